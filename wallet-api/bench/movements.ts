/**
 * `npm run bench -w wallet-api`: money movements per second over HTTP, with auth, on MariaDB.
 *
 * A wallet-api process (bench/server.ts) serves on a fresh database; this process registers users,
 * logs them in, opens and funds wallets (not measured), then drives POST /v1/movements (an expense
 * with a fresh Idempotency-Key each, Bearer token on every call) from `concurrency` keep-alive
 * connections: once spread over 1,000 wallets, once all on one hot wallet. It reports movements/s,
 * p50/p99 latency, and the ratio to the raw MariaDB single-row UPDATE baseline measured in the same
 * run (bench/baseline-lib.ts), then checks that every wallet's balance equals its postings.
 *
 * Options: --spread=N --hot=N --wallets=N --users=N --concurrency=N --repeat=N --relay=kafka|embedded|off
 * --batch=on|off (group commit of movements, on by default) --lanes=N (batches in flight)
 * --batch-size=N (most movements per batch) --busy-start=N (writes waiting before a batch starts
 * beside one in flight)
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { cpuMeter, findPid } from './cpu.js';
import { createHttpClient } from '../../bench/http-client.js';
import { keepAliveTimeoutMs } from '@spendstream/core/http';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { createSql } from '@spendstream/core/sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { mariaDbUpdates, medians } from '../../bench/baseline-lib.js';
import type { BaselineResult } from '../../bench/baseline-lib.js';

/** Default sizes: a few seconds per figure on the 2-core box. */
export const benchDefaults = {
  spread: 12_000,
  hot: 4_000,
  wallets: 1_000,
  users: 20,
  concurrency: 64,
  repeat: 1,
};

const args = new Map(
  process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]),
);
const opt = (name: keyof typeof benchDefaults) => Number(args.get(name) ?? benchDefaults[name]);
const servers = realServers(['DATABASE_URL']);
const relay = args.get('relay') ?? (tryKafka() ? 'kafka' : 'off');

function tryKafka(): string | undefined {
  try {
    return realServers(['KAFKA_BROKERS']).KAFKA_BROKERS;
  } catch {
    return undefined;
  }
}

interface Figure {
  name: string;
  /** Movements per group-commit batch, on average. */
  batchSize: number;
  /** CPU ms each process (and the whole machine) spent during the measurement. */
  cpuMs: Record<string, number>;
  count: number;
  ok: number;
  durationMs: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const database = uniqueName('wallet_bench');
  const admin = createSql({ DATABASE_URL: servers.DATABASE_URL }, { poolSizeMax: 1 });
  await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [database]);
  const url = new URL(servers.DATABASE_URL);
  url.pathname = `/${database}`;
  const server = spawnTsx(new URL('./server.ts', import.meta.url).pathname, {
    DATABASE_URL: url.toString(),
    BENCH_RELAY: relay,
    BENCH_BATCH: args.get('batch') ?? 'on',
    ...(args.has('lanes') ? { BENCH_LANES: args.get('lanes')! } : {}),
    ...(args.has('batch-size') ? { BENCH_BATCH_SIZE: args.get('batch-size')! } : {}),
    ...(args.has('busy-start') ? { BENCH_BUSY_START: args.get('busy-start')! } : {}),
    // BENCH_PROFILE=<file>: the server writes a V8 CPU profile there when it stops.
    ...(process.env.BENCH_PROFILE ? { BENCH_PROFILE: process.env.BENCH_PROFILE } : {}),
    ...(relay === 'kafka' ? { KAFKA_BROKERS: tryKafka() ?? '' } : {}),
  });
  try {
    const ready = await server.waitForRecord((r) => r.msg === 'bench-listening', 60_000);
    const port = Number(ready.port);
    // node:http with keep-alive rather than fetch: fetch costs the client several times the CPU
    // per request, and the client shares the two cores with the server it measures.
    const agent = new Agent({ keepAlive: true, maxSockets: opt('concurrency') });
    const post = (path: string, body: unknown, token?: string, key?: string) =>
      new Promise<{ status: number; json: Record<string, string> }>((resolve, reject) => {
        const data = JSON.stringify(body);
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(data),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(key ? { 'idempotency-key': key } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              resolve({
                status: res.statusCode ?? 0,
                json: text ? (JSON.parse(text) as Record<string, string>) : {},
              });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    /** Group-commit counters from /metrics: batches and movements so far. */
    const batchCounters = async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const value = (name: string) =>
        Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return {
        batches: value('wallet_movement_batches_total'),
        movements: value('wallet_movements_batched_total'),
      };
    };
    const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
    const pids = {
      server: server.child.pid,
      client: process.pid,
      mariadb: findPid('mariadbd'),
      kafka:
        relay === 'kafka'
          ? findPid('kafka.Kafka', `${repoRoot}.infra/kafka/server.properties`)
          : undefined,
    };

    // Setup (not measured): users, tokens, wallets, funds.
    const users = opt('users');
    const walletsWanted = opt('wallets');
    const tokens: string[] = [];
    for (let u = 0; u < users; u += 1) {
      const email = `bench-${u}-${randomBytes(4).toString('hex')}@example.test`;
      await post('/v1/auth/register', {
        email,
        password: 'bench-password-123',
        displayName: `Bench ${u}`,
        homeCurrency: 'EUR',
        timeZone: 'UTC',
      });
      tokens.push(
        (await post('/v1/auth/login', { email, password: 'bench-password-123' })).json.accessToken!,
      );
    }
    const wallets: Array<{ id: string; token: string }> = [];
    await inParallel(walletsWanted, 16, async (i) => {
      const token = tokens[i % users]!;
      const w = await post('/v1/wallets', { name: `W${i}`, type: 'bank', currency: 'EUR' }, token);
      wallets[i] = { id: w.json.id!, token };
      await post(
        '/v1/movements',
        { kind: 'income', walletId: w.json.id, amount: '1000000000' },
        token,
        `fund-${i}`,
      );
    });

    const measure = async (
      name: string,
      count: number,
      walletFor: (i: number) => { id: string; token: string },
    ): Promise<Figure> => {
      const latencies: number[] = [];
      let ok = 0;
      const runId = randomBytes(4).toString('hex');
      const batchesBefore = await batchCounters();
      const stopMeter = cpuMeter(pids);
      const started = performance.now();
      await inParallel(count, opt('concurrency'), async (i) => {
        const w = walletFor(i);
        const t0 = performance.now();
        const r = await client.post(
          '/v1/movements',
          `{"kind":"expense","walletId":"${w.id}","amount":"1","merchant":"Bench Shop","category":"groceries"}`,
          { authorization: `Bearer ${w.token}`, 'idempotency-key': `${runId}-${i}` },
        );
        latencies.push(performance.now() - t0);
        if (r.status === 201) ok += 1;
        else throw new Error(`${name}: HTTP ${r.status} ${r.text}`);
      });
      const durationMs = performance.now() - started;
      const cpuMs = stopMeter();
      const batchesAfter = await batchCounters();
      const batchSize =
        (batchesAfter.movements - batchesBefore.movements) /
        (batchesAfter.batches - batchesBefore.batches);
      latencies.sort((a, b) => a - b);
      return {
        name,
        cpuMs,
        batchSize,
        count,
        ok,
        durationMs,
        ratePerSecond: (ok * 1000) / durationMs,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      };
    };

    // The measured requests go over the benches' light keep-alive client (bench/http-client.ts),
    // at most one connection a worker; an idle one is dropped a second before the server would.
    const client = createHttpClient({
      host: '127.0.0.1',
      port,
      headers: { 'content-type': 'application/json' },
      idleMsMax: keepAliveTimeoutMs - 1_000,
      connectionsMax: opt('concurrency'),
    });
    const runs: Figure[][] = [];
    const baselines: BaselineResult[][] = [];
    const profiling = process.env.BENCH_PROFILE !== undefined;
    for (let r = 0; r < opt('repeat'); r += 1) {
      if (profiling && r === 0) server.child.kill('SIGUSR2');
      const spread = await measure(
        `movements over ${walletsWanted} wallets`,
        opt('spread'),
        (i) => wallets[(i * 7919) % walletsWanted]!,
      );
      const hot = await measure('movements on one hot wallet', opt('hot'), () => wallets[0]!);
      if (profiling && r === 0) server.child.kill('SIGUSR2');
      runs.push([spread, hot]);
      baselines.push(
        await mariaDbUpdates(servers.DATABASE_URL, {
          spreadUpdates: 20_000,
          hotRowUpdates: 10_000,
          concurrency: 8,
        }),
      );
    }

    // Conservation check on the database the server wrote.
    const check = createSql({ DATABASE_URL: url.toString() }, { poolSizeMax: 2 });
    const mismatched = (await check.raw(
      'SELECT w.id FROM wallets w LEFT JOIN (SELECT wallet_id, SUM(amount) s FROM postings GROUP BY wallet_id) p ON p.wallet_id = w.id WHERE w.balance <> COALESCE(p.s, 0)',
    )) as [unknown[]];
    const pending = (await check('outbox').whereNull('published_at').count({ n: '*' }).first()) as {
      n: unknown;
    };
    await check.destroy();

    const baseline = medians(baselines);
    const spreadBase = baseline.find((b) => b.name.includes('over'))!;
    const hotBase = baseline.find((b) => b.name.includes('hot'))!;
    const pick = (index: number) =>
      [...runs.map((run) => run[index]!)].sort((a, b) => a.ratePerSecond - b.ratePerSecond)[
        Math.floor((runs.length - 1) / 2)
      ]!;
    const spread = pick(0);
    const hot = pick(1);
    const rows = [
      [spread, spreadBase],
      [hot, hotBase],
    ] as const;
    console.log(
      `\nwallet-api movements over HTTP with auth on MariaDB (relay: ${relay}, group commit: ${args.get('batch') ?? 'on'}, concurrency ${opt('concurrency')}, ${opt('repeat')} run(s), median)\n`,
    );
    console.log(
      '| figure | movements | movements/s | p50 ms | p99 ms | MariaDB single-row updates/s (same run) | ratio |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [f, b] of rows) {
      console.log(
        `| ${f.name} | ${f.ok} | ${f.ratePerSecond.toFixed(0)} | ${f.p50Ms.toFixed(1)} | ${f.p99Ms.toFixed(1)} | ${b.ratePerSecond.toFixed(0)} (${b.name}) | ${(f.ratePerSecond / b.ratePerSecond).toFixed(3)} |`,
      );
    }
    console.log('\nCPU per movement, µs (median run), and the share of the 2 cores each took:\n');
    console.log(
      '| figure | server | MariaDB | Kafka | client | everything else | machine busy | movements per batch |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [f] of rows) {
      const per = (ms: number | undefined) =>
        ms === undefined
          ? '-'
          : `${((ms * 1000) / f.ok).toFixed(0)} (${((100 * ms) / (2 * f.durationMs)).toFixed(0)}%)`;
      const { server: sv, mariadb, kafka, client, machine } = f.cpuMs;
      const serverSys = f.cpuMs['server:sys'];
      const others =
        machine === undefined
          ? undefined
          : machine - (sv ?? 0) - (mariadb ?? 0) - (kafka ?? 0) - (client ?? 0);
      console.log(
        `| ${f.name} | ${per(sv)}, system ${per(serverSys)} | ${per(mariadb)} | ${per(kafka)} | ${per(client)} | ${per(others)} | ${per(machine)} | ${f.batchSize.toFixed(1)} |`,
      );
    }
    agent.destroy();
    client.close();
    console.log(
      `\nconservation: ${mismatched[0].length === 0 ? 'every wallet balance equals the sum of its postings' : `MISMATCH in ${mismatched[0].length} wallets`}; outbox rows not yet relayed at the end: ${String(pending.n)}`,
    );
    if (mismatched[0].length !== 0) process.exitCode = 1;
    const warnings = server.records.filter((r) => r.level === 'warn' || r.level === 'error');
    if (warnings.length > 0) {
      console.log(`server warnings: ${warnings.length}, first: ${JSON.stringify(warnings[0])}`);
    }
  } finally {
    await server.stop('SIGTERM');
    await admin.raw('DROP DATABASE IF EXISTS ??', [database]);
    await admin.destroy();
  }
}

async function inParallel(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

await main();
