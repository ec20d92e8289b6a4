/**
 * `npm run bench -w ingest-api`: accepted transactions per second into ingest-api over HTTP with
 * auth, in batches of 1,000 and one per request, into real Kafka (dedupe on MariaDB) and into the
 * embedded log (dedupe on SQLite), with p50/p99 request latency, and the ratio against the raw
 * Kafka produce baselines (bench/baseline-lib.ts: kafkajs and @platformatic/kafka; the ratio is
 * against the faster of the two) measured in the same run. Then it reads the topic
 * back and checks every accepted transaction is there once.
 *
 * The server runs in its own process (bench/server.ts); this process generates realistic
 * transactions (the generator, not measured), mints a machine-client token, and drives the load
 * from keep-alive connections.
 *
 * Options: --batched=N (transactions sent in batches) --single=N (sent one per request)
 * --batch-concurrency=N --single-concurrency=N --only=kafka,embedded --baseline=N (messages)
 * --lanes=N (Kafka producer lanes) --sends-in-flight=N (the publisher's sends in flight)
 * --workers=N (server processes behind one port, node:cluster, as INGEST_WORKERS)
 * --semi-space=MiB (the server's V8 young-generation semi-space; 64 as in `npm start`, 0: Node's default)
 * --driver=socket|http (how this process sends: bench/http-client.ts, the default since session 14,
 * or node:http's keep-alive Agent as before; the driver's CPU per request is in the table either way)
 * --single-warm-up=N (single requests sent right before the measured single phase and not counted,
 * 10,000 by default since session 17, see singleWarmUpDefault; 0: none, as before, when the single
 * phase began on a server that had served only the 1,000 single requests of the start's warm-up)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, publicJwks, signAccessToken } from '@spendstream/core/auth';
import { createEventLog } from '@spendstream/core/event-log';
import { keepAliveTimeoutMs } from '@spendstream/core/http';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { createSql } from '@spendstream/core/sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { kafkaProduceConsume, kafkaProducePlatformatic } from '../../bench/baseline-lib.js';
import { toIngestBody } from '../src/features/generator/ingest-body.js';
import {
  generateUsers,
  iterateTransactions,
  startOfPastPeriod,
} from '../src/features/generator/generate.js';
import { readRawTopic } from '../src/testing/read-topic.js';
import { createHttpClient } from '../../bench/http-client.js';

const args = new Map(
  process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]),
);
const num = (name: string, fallback: number) => Number(args.get(name) ?? fallback);
const batched = num('batched', 200_000);
const single = num('single', 20_000);
const batchConcurrency = num('batch-concurrency', 4);
const singleConcurrency = num('single-concurrency', 64);
/**
 * Uncounted single requests right before the measured single phase (--single-warm-up=N), on new
 * keys of their own. Code that runs once a claim-and-publish cycle (~18 single requests: the SQL
 * claim, the Kafka send, the confirm) was still being compiled by V8 after the ~550 cycles of a
 * 10,000-request phase (docs/benchmarks.md, ingest-api session 16), so without it the phase
 * measures a server still warming up rather than a long-running one. The table's header names it.
 */
const singleWarmUpDefault = 10_000;
const singleWarmUp = num('single-warm-up', singleWarmUpDefault);
const baselineMessages = num('baseline', 200_000);
const only = (args.get('only') ?? 'kafka,embedded').split(',');
/** The driver's HTTP client: bench/http-client.ts (socket) or node:http's Agent (http). */
const driver = args.get('driver') ?? 'socket';
if (driver !== 'socket' && driver !== 'http') throw new Error('--driver is socket or http');
const batchSize = 1_000;
/** The server's --max-semi-space-size in MiB; the same as ingest-api's start script. */
const semiSpaceMb = num('semi-space', 64);
const seed = 'ingest-bench';
const users = 200;

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const clockTicksPerSecond = 100;

/** CPU seconds a process has used so far (Linux /proc), or undefined where it cannot be read. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** A process and every process below it (a node:cluster primary and its workers). */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${tree[i]}/task`)) {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(' ').map(Number));
      }
    } catch {
      // gone meanwhile, or no /proc: counted as far as it could be read
    }
  }
  return tree;
}

/** CPU seconds of a process and the processes below it, now alive (Linux /proc). */
function treeCpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let total: number | undefined;
  for (const p of processTree(pid)) {
    const seconds = cpuSecondsOf(p);
    if (seconds !== undefined) total = (total ?? 0) + seconds;
  }
  return total;
}

function pidFrom(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the CPU of a phase went, in microseconds per accepted transaction: the ingest server, this
 * driver, MariaDB and the Kafka broker (the shared servers: other users' work counts too, so read
 * these on a quiet box), and how busy the whole box was.
 */
function cpuMeter(serverPid: number | undefined) {
  const pids: Record<string, number | undefined> = {
    server: serverPid,
    driver: process.pid,
    mariadb: pidFrom('/run/mysqld/mysqld.pid'),
    kafka: pidFrom(new URL('../../.infra/kafka/kafka.pid', import.meta.url).pathname),
  };
  const boxTicks = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const all = fields.map(Number);
    return { idle: all[3]! + all[4]!, total: all.reduce((a, b) => a + b, 0) };
  };
  // The server's workers (--workers=N) are its children: counted with it.
  const sample = () => ({
    box: boxTicks(),
    cpu: Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [
        k,
        k === 'server' ? treeCpuSecondsOf(pid) : cpuSecondsOf(pid),
      ]),
    ),
  });
  const start = sample();
  return (transactions: number) => {
    const end = sample();
    const usPerTransaction: Record<string, number> = {};
    for (const [name, seconds] of Object.entries(end.cpu)) {
      const before = start.cpu[name];
      if (seconds !== undefined && before !== undefined)
        usPerTransaction[name] = Math.round(((seconds - before) * 1e6) / transactions);
    }
    const total = end.box.total - start.box.total;
    const boxBusyPercent = Math.round(100 * (1 - (end.box.idle - start.box.idle) / total));
    return { usPerTransaction, boxBusyPercent };
  };
}

interface Figure {
  name: string;
  transactions: number;
  requests: number;
  durationMs: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpu: ReturnType<ReturnType<typeof cpuMeter>>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function inParallel(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * Days of generated history, ending 16 days before today (startOfPastPeriod): inside the 10 years
 * back that ingest accepts, and never in its future, refunds included. (The generator's fixed
 * start, 2026-01-01, ran past today + 2 days after about 195,000 transactions on 2026-11-26, so the
 * default 200,000-transaction run was refused there.)
 * At this bench's 200 users that is room for about 1.7 million transactions.
 */
const workloadDays = 3_000;

/** Original deliveries only (every one is new, so every one must be accepted), ids made unique per run. */
function workload(
  count: number,
  runId: string,
): (ReturnType<typeof toIngestBody> & { userId: string })[] {
  const bodies: (ReturnType<typeof toIngestBody> & { userId: string })[] = [];
  for (const delivery of iterateTransactions({
    seed,
    users,
    days: workloadDays,
    start: startOfPastPeriod(workloadDays),
    anomalies: { duplicate: 0, correction: 0, reversal: 0, late: 0 },
  })) {
    bodies.push({
      ...toIngestBody(delivery.event),
      userId: delivery.event.userId,
      externalId: `${runId}-${bodies.length}`,
    });
    if (bodies.length >= count) break;
  }
  return bodies;
}

async function main(): Promise<void> {
  const servers = realServers(['KAFKA_BROKERS', 'DATABASE_URL']);
  const key = await generateSigningKey({ alg: 'EdDSA' });
  const issuer = 'https://bench.issuer';
  const userIds = generateUsers({ seed, users, days: 1 }).map((u) => u.userId);
  const token = await signAccessToken(key, {
    issuer,
    audience: 'spendstream',
    subject: 'bench-bank',
    clientId: 'bench-bank',
    userIds,
    scopes: ['transactions:write'],
    ttlSeconds: 3600,
  });
  console.error(`generating ${batched + single} transactions per backend (not measured)...`);

  const results: { backend: string; figures: Figure[] }[] = [];
  for (const backend of only) {
    const dataDir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
    const topic = uniqueName('ingest_bench').replace(/_/g, '-');
    let database: string | undefined;
    const admin = createSql({ DATABASE_URL: servers.DATABASE_URL }, { poolSizeMax: 1 });
    let databaseUrl: string | undefined;
    if (backend === 'kafka') {
      database = uniqueName('ingest_bench');
      await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [database]);
      const url = new URL(servers.DATABASE_URL);
      url.pathname = `/${database}`;
      databaseUrl = url.toString();
    }
    // Idle sockets are dropped a second before the server's keep-alive timeout would close them:
    // otherwise a request sent on a socket the server is closing fails with ECONNRESET (seen
    // when the 64 sockets of the single-request warm-up idled through a 6 s batched phase).
    const agent = new Agent({
      keepAlive: true,
      maxSockets: 128,
      timeout: keepAliveTimeoutMs - 1_000,
    });
    const server = spawnTsx(new URL('./server.ts', import.meta.url).pathname, {
      BENCH_LOG: backend,
      BENCH_TOPIC: topic,
      BENCH_SEED: seed,
      BENCH_USERS: String(users),
      BENCH_ISSUER: issuer,
      BENCH_JWKS: JSON.stringify(publicJwks([key])),
      DATA_DIR: dataDir,
      // A CPU profile of the server (bench/server.ts writes it on exit), for finding where time goes.
      ...(process.env.BENCH_CPU_PROFILE
        ? { BENCH_CPU_PROFILE: `${process.env.BENCH_CPU_PROFILE}-${backend}.cpuprofile` }
        : {}),
      ...(backend === 'kafka'
        ? { KAFKA_BROKERS: servers.KAFKA_BROKERS, DATABASE_URL: databaseUrl ?? '' }
        : {}),
      ...(args.has('lanes') ? { BENCH_PRODUCER_LANES: args.get('lanes') } : {}),
      ...(args.has('workers') ? { BENCH_WORKERS: args.get('workers') } : {}),
      // V8's young-generation semi-space for the server, in MiB, as `npm start -w ingest-api` sets
      // it (--semi-space=0: Node's default, to compare GC costs).
      ...(semiSpaceMb > 0 ? { NODE_OPTIONS: `--max-semi-space-size=${semiSpaceMb}` } : {}),
      ...(args.has('sends-in-flight')
        ? { BENCH_SENDS_IN_FLIGHT: args.get('sends-in-flight') }
        : {}),
    });
    let closeClient = () => undefined as void;
    try {
      const ready = await server.waitForRecord((r) => r.msg === 'bench-listening', 120_000);
      const origin = `http://127.0.0.1:${String(ready.port)}`;
      const socketClient =
        driver === 'socket'
          ? createHttpClient({
              host: '127.0.0.1',
              port: Number(ready.port),
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${token}`,
              },
              idleMsMax: keepAliveTimeoutMs - 1_000,
            })
          : undefined;
      closeClient = () => socketClient?.close();
      // node:http with keep-alive rather than fetch: undici's fetch cost the driver about as much
      // CPU per request as the server spent, on the same two cores.
      const httpPost = (path: string, body: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const request = httpRequest(
            `${origin}${path}`,
            {
              method: 'POST',
              agent,
              headers: {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
                authorization: `Bearer ${token}`,
              },
            },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () =>
                resolve({
                  status: response.statusCode ?? 0,
                  text: Buffer.concat(chunks).toString('utf8'),
                }),
              );
              response.on('error', reject);
            },
          );
          request.on('error', reject);
          request.end(body);
        });
      const post = socketClient ? socketClient.post : httpPost;
      const runId = uniqueName('r');
      const items = workload(batched + single, runId);
      const batchedBodies: string[] = [];
      for (let i = 0; i < batched; i += batchSize)
        batchedBodies.push(JSON.stringify({ items: items.slice(i, i + batchSize) }));
      const singleBodies = items.slice(batched).map((b) => JSON.stringify(b));
      const singleWarmUpBodies =
        singleWarmUp > 0
          ? workload(singleWarmUp, `${runId}-warm-single`).map((b) => JSON.stringify(b))
          : [];

      const measure = async (
        name: string,
        bodies: string[],
        path: string,
        perRequest: number,
        concurrency: number,
        expect: number,
      ) => {
        const latencies: number[] = [];
        let accepted = 0;
        const meter = cpuMeter(server.child.pid);
        const started = performance.now();
        await inParallel(bodies.length, concurrency, async (i) => {
          const t0 = performance.now();
          const r = await post(path, bodies[i]!);
          latencies.push(performance.now() - t0);
          if (r.status !== expect)
            throw new Error(`${name}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
          accepted +=
            perRequest === 1
              ? 1
              : (JSON.parse(r.text) as { summary: { accepted: number } }).summary.accepted;
        });
        const durationMs = performance.now() - started;
        const cpu = meter(accepted);
        latencies.sort((a, b) => a - b);
        return {
          name,
          transactions: accepted,
          requests: bodies.length,
          durationMs,
          ratePerSecond: (accepted * 1000) / durationMs,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          cpu,
        };
      };
      // A short warm-up (JIT, connections, topic metadata), not counted.
      const warm = workload(2_000, `${runId}-warm`);
      await measure(
        'warm-up',
        [JSON.stringify({ items: warm.slice(0, 1_000) })],
        '/v1/transactions:batch',
        batchSize,
        1,
        202,
      );
      await measure(
        'warm-up',
        warm.slice(1_000).map((b) => JSON.stringify(b)),
        '/v1/transactions',
        1,
        singleConcurrency,
        202,
      );

      const batchedFigure = await measure(
        `batched (${batchSize}/request, ${batchConcurrency} in flight)`,
        batchedBodies,
        '/v1/transactions:batch',
        batchSize,
        batchConcurrency,
        202,
      );
      console.error(JSON.stringify({ backend, ...batchedFigure }));
      if (singleWarmUpBodies.length > 0) {
        await measure(
          'single warm-up',
          singleWarmUpBodies,
          '/v1/transactions',
          1,
          singleConcurrency,
          202,
        );
      }
      const singleFigure = await measure(
        `single (${singleConcurrency} in flight)`,
        singleBodies,
        '/v1/transactions',
        1,
        singleConcurrency,
        202,
      );
      console.error(JSON.stringify({ backend, ...singleFigure }));
      if (batchedFigure.transactions !== batched || singleFigure.transactions !== single)
        throw new Error('not every transaction was accepted');

      // Every accepted transaction is in the topic, once.
      const reader = await createEventLog(
        backend === 'kafka'
          ? { kafkaBrokers: servers.KAFKA_BROKERS, clientId: 'ingest-bench-reader' }
          : { dataDir },
      );
      const total = batched + single + 2_000 + singleWarmUp;
      const events = await readRawTopic(reader, topic, {
        expected: total,
        timeoutMs: 300_000,
        quietMs: 2_000,
      });
      await reader.close();
      const ids = new Set(events.map((e) => e.payload.externalId));
      if (ids.size !== total)
        throw new Error(`topic holds ${ids.size} distinct transactions, expected ${total}`);
      console.error(
        `${backend}: topic holds all ${ids.size} transactions (${events.length} events)`,
      );
      results.push({ backend, figures: [batchedFigure, singleFigure] });
    } finally {
      agent.destroy();
      closeClient();
      await server.stop('SIGTERM');
      if (database) await admin.raw('DROP DATABASE IF EXISTS ??', [database]);
      await admin.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  console.error(
    `kafka produce baselines: ${baselineMessages} messages each, kafkajs then @platformatic/kafka (bench/baseline-lib.ts)...`,
  );
  const [kafkajsProduce] = await kafkaProduceConsume(servers.KAFKA_BROKERS, {
    messages: baselineMessages,
  });
  const platformaticProduce = await kafkaProducePlatformatic(servers.KAFKA_BROKERS, {
    messages: baselineMessages,
  });
  const baselines = [
    { name: 'kafkajs', figure: kafkajsProduce! },
    { name: '@platformatic/kafka', figure: platformaticProduce },
  ];
  // The ratio is taken against the faster raw producer of this run, whichever it is.
  const fastest = baselines.reduce((a, b) =>
    b.figure.ratePerSecond > a.figure.ratePerSecond ? b : a,
  );
  const lines = [
    `driver: ${driver === 'socket' ? 'bench/http-client.ts' : "node:http's keep-alive Agent"}`,
    `single phase: after ${singleWarmUp.toLocaleString('en-US')} uncounted single requests (--single-warm-up)`,
    '',
    `| backend | mode | transactions | rate (/s) | p50 (ms) | p99 (ms) | vs raw Kafka produce (${fastest.name}) | CPU us/tx: server / MariaDB / broker / driver | box busy |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { backend, figures } of results) {
    for (const f of figures) {
      lines.push(
        `| ${backend === 'kafka' ? 'Kafka + MariaDB' : 'embedded log + SQLite'} | ${f.name} | ${f.transactions} | ${Math.round(f.ratePerSecond).toLocaleString('en-US')} | ${f.p50Ms.toFixed(1)} | ${f.p99Ms.toFixed(1)} | ${((f.ratePerSecond / fastest.figure.ratePerSecond) * 100).toFixed(0)}% | ${['server', 'mariadb', 'kafka', 'driver'].map((k) => f.cpu.usPerTransaction[k] ?? '-').join(' / ')} | ${f.cpu.boxBusyPercent}% |`,
      );
    }
  }
  for (const { name, figure } of baselines) {
    lines.push(
      `| raw Kafka produce (${name}, batches of 1,000, 4 in flight, acks=all) | baseline | ${figure.count} | ${Math.round(figure.ratePerSecond).toLocaleString('en-US')} | | | ${((figure.ratePerSecond / fastest.figure.ratePerSecond) * 100).toFixed(0)}% | | |`,
    );
  }
  console.log(lines.join('\n'));
}

await main();
