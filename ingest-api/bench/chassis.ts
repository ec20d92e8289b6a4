/**
 * `npm run bench:chassis -w ingest-api`: the server CPU one request costs in core's HTTP chassis
 * alone (createServiceApp's middlewares, requireAuth with a machine client's 6.9 kB Bearer header,
 * the JSON body read and parsed, a 202 answer), with no backend behind the route. The end-to-end
 * bench (bench/ingest.ts) mixes this with SQL, Kafka and the ingest path, and its single-request
 * figure moves by 10% from run to run on a shared box; this one isolates what core's HTTP files
 * cost. The server is a child process (this file with BENCH_CHASSIS_ROLE=server); this process
 * sends from keep-alive connections and reads the server's CPU time (process.cpuUsage) around the
 * measured requests, after a warm-up.
 *
 * Options: --requests=N (measured, 20,000 by default) --concurrency=N (in flight, 64)
 * --warm-up=N (requests before measuring, 3,000 by default; see warmUpRequestsDefault)
 * --bare (Koa with only the body parser and the router: what the chassis adds, by difference)
 * --node (node:http alone, no Koa: the body read and parsed, a 202: the floor under both)
 * --ingest (ingest-api's own app and route, every transaction new, with in-memory dedupe and
 * idempotency stores and an event log that acknowledges at once: the ingest path's per-request
 * CPU above the chassis, without SQL or Kafka); --ingest=mariadb (the same with ingest-api's SQL
 * dedupe and idempotency stores on the real MariaDB, in a database of its own: what the SQL side
 * adds); --ingest=kafka (in-memory stores, the real Kafka log, a topic of its own with 6
 * partitions: what the Kafka side adds); --ingest=mariadb,kafka (both). --log-delay-ms=N: the
 * in-memory log acknowledges each send after N ms (a timer), so cycles carry as many requests as
 * with a real log, without another process on the box.
 * With --ingest the output adds the requests per claim-and-publish cycle (claims of new keys) and
 * per send to the log. BENCH_CPU_PROFILE_DIR=<dir> writes the server's V8 CPU profile (warm-up
 * included) into <dir>.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Agent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { requireAuth, type AuthContext, type TokenVerifier } from '@spendstream/core/auth';
import {
  createServiceApp,
  createServiceServer,
  jsonBody,
  type ServiceApp,
} from '@spendstream/core/http';
import { createKafkaEventLog, type EventLog } from '@spendstream/core/event-log';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createIngestApp, migrateIngest } from '../src/app.js';
import { createMemoryDedupeStore } from '../src/features/dedupe/dedupe-store.js';
import { createSqlDedupeStore } from '../src/features/dedupe/sql-stores.js';
import { createMemoryIdempotencyStore } from '../src/features/dedupe/idempotency-store.js';
import { createMemoryWalletDirectory } from '../src/features/transactions/wallet-directory.js';

/**
 * Requests sent before measuring, so the server's code is optimized (--warm-up=N). Per-request
 * code is, after 3,000; code that runs once a claim-and-publish cycle (~18 requests) is not: the
 * SQL store's and the Kafka log's code was still being compiled by V8's helper threads after 300
 * cycles (session 16: a claim statement 533 us of client CPU after 300 warm-up statements, 306
 * after 5,000), so the per-cycle cost of a short run overstates a long-running server's.
 */
const warmUpRequestsDefault = 3_000;
/** Length of the bench's token, in characters: a machine client acting for 200 users. */
const tokenChars = 6_900;
/** Longest one run may take, in ms. */
const runTimeoutMs = 300_000;

/** What the server counted while measuring: claims of new keys (one a cycle), sends to the log. */
interface Counts {
  claims: number;
  sends: number;
}

/** The server process's system figures around the measured requests (Linux /proc; 0 elsewhere). */
interface Kernel {
  userUs: number;
  systemUs: number;
  /** write/writev/sendmsg system calls (/proc/self/io syscw), read ones (syscr). */
  writeCalls: number;
  readCalls: number;
  /** Context switches: waits (voluntary) and preemptions (involuntary). */
  voluntarySwitches: number;
  involuntarySwitches: number;
}

type Message =
  { url: string } | { started: true } | { cpuUs: number; counts: Counts; kernel: Kernel };

/** /proc/self counters (syscalls, context switches); zeros where /proc is missing. */
function procCounters(): Omit<Kernel, 'userUs' | 'systemUs'> {
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:?\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    const status = readFileSync('/proc/self/status', 'utf8');
    return {
      writeCalls: field(io, 'syscw'),
      readCalls: field(io, 'syscr'),
      voluntarySwitches: field(status, 'voluntary_ctxt_switches'),
      involuntarySwitches: field(status, 'nonvoluntary_ctxt_switches'),
    };
  } catch {
    return { writeCalls: 0, readCalls: 0, voluntarySwitches: 0, involuntarySwitches: 0 };
  }
}

async function serve(): Promise<void> {
  const log = createLogger({ service: 'chassis-bench', level: 'warn' });
  const auth: AuthContext = {
    subject: 'bank',
    kind: 'client',
    scopes: ['transactions:write'],
    keyId: 'k1',
    clientId: 'bank',
    userIds: ['u1'],
    expiresAt: new Date(Date.now() + 3_600_000),
  };
  // A verifier that answers at once, as ingest-api's token cache does for a known token.
  const verifier: TokenVerifier = { verify: async () => auth };
  const router = new Router();
  router.post(
    '/v1/transactions',
    requireAuth(verifier, { scopes: ['transactions:write'] }),
    async (ctx) => {
      const { externalId } = ctx.request.body as { externalId: string };
      await Promise.resolve();
      ctx.status = 202;
      ctx.set('Content-Type', 'application/json; charset=utf-8');
      ctx.body = JSON.stringify({ index: 0, status: 'accepted', externalId, version: 1 });
    },
  );
  let app: ServiceApp;
  const counts: Counts = { claims: 0, sends: 0 };
  let close = async () => undefined as unknown;
  const ingestMode = process.argv.find((a) => a.startsWith('--ingest'));
  if (ingestMode !== undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'chassis-bench-'));
    const backends = ingestMode.replace(/^--ingest=?/, '').split(',');
    const onMariadb = backends.includes('mariadb');
    const onKafka = backends.includes('kafka');
    const logDelayMs = Number(
      process.argv.find((a) => a.startsWith('--log-delay-ms='))?.split('=')[1] ?? 0,
    );
    const sql = onMariadb
      ? createSql({ DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '' }, { poolSizeMax: 8 })
      : createSql({ DATA_DIR: dataDir });
    if (onMariadb) await migrateIngest(sql);
    // Acknowledges every send at once: what is measured is ingest-api, not a log.
    const eventLog: EventLog = onKafka
      ? createKafkaEventLog({
          brokers: (process.env.BENCH_KAFKA_BROKERS ?? '').split(','),
          clientId: 'chassis-bench',
        })
      : {
          kind: 'kafka',
          createTopic: async () => undefined,
          send: () =>
            logDelayMs > 0
              ? new Promise<void>((resolve) => setTimeout(resolve, logDelayMs))
              : Promise.resolve(),
          sendTopics: async () => undefined,
          subscribe: () => Promise.reject(new Error('the chassis bench log has no consumers')),
          close: async () => undefined,
        };
    const logSend = eventLog.send.bind(eventLog);
    eventLog.send = (...args) => {
      counts.sends++;
      return logSend(...args);
    };
    const dedupe = onMariadb ? createSqlDedupeStore(sql) : createMemoryDedupeStore();
    const claimNew = dedupe.claimNew.bind(dedupe);
    dedupe.claimNew = (...args) => {
      counts.claims++;
      return claimNew(...args);
    };
    const topic = uniqueName('chassis_bench').replace(/_/g, '-');
    await eventLog.createTopic(topic, { partitions: 6 });
    const wallets = createMemoryWalletDirectory();
    wallets.register({ walletId: 'wal_1', writers: ['u1'], currency: 'EUR', archived: false });
    const ingest = createIngestApp({
      log,
      sql,
      eventLog,
      verifier,
      wallets,
      dedupe,
      ...(onMariadb ? {} : { idempotency: createMemoryIdempotencyStore() }),
      rateLimit: { itemsPerSecond: 10_000_000, burstItems: 10_000_000 },
      topic,
    });
    app = ingest;
    close = async () => {
      await ingest.close();
      await eventLog.close();
      await sql.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } else if (process.argv.includes('--node')) {
    // node:http alone, no Koa: read the body, parse it, answer 202. The floor under the chassis.
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (!(req.headers.authorization ?? '').startsWith('Bearer ')) {
          res.statusCode = 401;
          res.end();
          return;
        }
        const { externalId } = JSON.parse(Buffer.concat(chunks).toString()) as {
          externalId: string;
        };
        void Promise.resolve().then(() => {
          res.statusCode = 202;
          res.setHeader('Content-Type', 'application/json; charset=utf-8');
          res.end(JSON.stringify({ index: 0, status: 'accepted', externalId, version: 1 }));
        });
      });
    };
    const serviceApp = createServiceApp({ name: 'chassis-bench', version: '0', log });
    app = { ...serviceApp, koa: { callback: () => handler } as unknown as Koa };
  } else if (process.argv.includes('--bare')) {
    const koa = new Koa();
    koa.use(jsonBody({ bodyBytesMax: 1_048_576 }));
    koa.use(router.routes());
    app = { ...createServiceApp({ name: 'chassis-bench', version: '0', log }), koa };
  } else {
    app = createServiceApp({ name: 'chassis-bench', version: '0', log, routers: [router] });
  }
  const server = createServiceServer(app, { shutdownTimeoutMs: 1_000 });
  await server.listen(0, '127.0.0.1');
  const send = (message: Message) => process.send?.(message);
  send({ url: server.url });
  let start = process.cpuUsage();
  let startCounters = procCounters();
  process.on('message', (message: string) => {
    if (message === 'start') {
      start = process.cpuUsage();
      startCounters = procCounters();
      Object.assign(counts, { claims: 0, sends: 0 });
      send({ started: true });
    } else if (message === 'stop') {
      const used = process.cpuUsage(start);
      const counters = procCounters();
      send({
        cpuUs: used.user + used.system,
        counts: { ...counts },
        kernel: {
          userUs: used.user,
          systemUs: used.system,
          writeCalls: counters.writeCalls - startCounters.writeCalls,
          readCalls: counters.readCalls - startCounters.readCalls,
          voluntarySwitches: counters.voluntarySwitches - startCounters.voluntarySwitches,
          involuntarySwitches: counters.involuntarySwitches - startCounters.involuntarySwitches,
        },
      });
      void server
        .close()
        .then(close)
        .then(() => process.exit(0));
    }
  });
}

async function drive(): Promise<void> {
  const args = new Map(
    process.argv
      .slice(2)
      .map((a) => a.replace(/^--/, '').split('=') as [string, string | undefined]),
  );
  const requests = Number(args.get('requests') ?? 20_000);
  const concurrency = Number(args.get('concurrency') ?? 64);
  let database: string | undefined;
  let admin: ReturnType<typeof createSql> | undefined;
  const databaseUrl = new URL('mysql://localhost/');
  const backends = (args.get('ingest') ?? '').split(',');
  const servers = backends.some((b) => b === 'mariadb' || b === 'kafka')
    ? realServers([])
    : undefined;
  if (servers && backends.includes('mariadb')) {
    admin = createSql({ DATABASE_URL: servers.DATABASE_URL }, { poolSizeMax: 1 });
    database = uniqueName('chassis_bench');
    await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [database]);
    databaseUrl.href = servers.DATABASE_URL;
    databaseUrl.pathname = `/${database}`;
  }
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, process.argv.slice(2), {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`]
        : []),
    ],
    env: {
      ...process.env,
      BENCH_CHASSIS_ROLE: 'server',
      ...(database ? { BENCH_DATABASE_URL: databaseUrl.toString() } : {}),
      ...(servers ? { BENCH_KAFKA_BROKERS: servers.KAFKA_BROKERS } : {}),
    },
  });
  const timer = setTimeout(() => child.kill(), runTimeoutMs);
  const next = () => new Promise<Message>((resolve) => child.once('message', resolve));
  const { url } = (await next()) as { url: string };
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });
  const authorization = `Bearer eyJ${'A'.repeat(tokenChars - 7)}.sig`;
  // Yesterday, so the time is always within what ingest-api accepts.
  const occurredAt = `${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}T08:15:00+01:00`;
  let sequence = 0;
  // A new externalId on every request, so the ingest route accepts each (202) as new.
  const bodyOf = () =>
    JSON.stringify({
      externalId: `FIT-2026-11-24-${String(sequence++).padStart(6, '0')}`,
      walletId: 'wal_1',
      amount: '-4.20',
      currency: 'EUR',
      occurredAt,
      merchant: 'SQ *BLUE BOTTLE COFFEE',
      mcc: '5814',
    });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const body = bodyOf();
      const request = httpRequest(
        `${url}/v1/transactions`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization,
          },
        },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 202
              ? resolve()
              : reject(new Error(`status ${String(response.statusCode)}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const run = async (count: number) => {
    let sent = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent++ < count) await post();
      }),
    );
  };
  await run(Number(args.get('warm-up') ?? warmUpRequestsDefault));
  child.send('start');
  await next();
  const started = process.hrtime.bigint();
  await run(requests);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  child.send('stop');
  const { cpuUs, counts, kernel } = (await next()) as {
    cpuUs: number;
    counts: Counts;
    kernel: Kernel;
  };
  const perRequest = (n: number) => Math.round((n / requests) * 100) / 100;
  clearTimeout(timer);
  agent.destroy();
  if (child.exitCode === null && child.signalCode === null)
    await new Promise((resolve) => child.once('exit', resolve));
  if (admin && database) await admin.raw('DROP DATABASE IF EXISTS ??', [database]);
  await admin?.destroy();
  console.log(
    JSON.stringify({
      mode: args.has('ingest')
        ? `ingest (${args.get('ingest') ?? 'memory'})`
        : args.has('bare')
          ? 'bare Koa'
          : args.has('node')
            ? 'node:http'
            : 'chassis',
      requests,
      concurrency,
      ratePerSecond: Math.round((requests / ms) * 1000),
      serverUsPerRequest: Math.round((cpuUs / requests) * 10) / 10,
      serverSystemUsPerRequest: Math.round((kernel.systemUs / requests) * 10) / 10,
      writeCallsPerRequest: perRequest(kernel.writeCalls),
      readCallsPerRequest: perRequest(kernel.readCalls),
      switchesPerRequest: perRequest(kernel.voluntarySwitches),
      preemptionsPerRequest: perRequest(kernel.involuntarySwitches),
      ...(args.has('ingest')
        ? {
            requestsPerClaim: Math.round((requests / counts.claims) * 10) / 10,
            requestsPerSend: Math.round((requests / counts.sends) * 10) / 10,
          }
        : {}),
      loadAverage: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    }),
  );
}

await (process.env.BENCH_CHASSIS_ROLE === 'server' ? serve() : drive());
