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
 */
import { randomBytes } from 'node:crypto';
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
    // BENCH_PROFILE=<file>: the server writes a V8 CPU profile there when it stops.
    ...(process.env.BENCH_PROFILE ? { BENCH_PROFILE: process.env.BENCH_PROFILE } : {}),
    ...(relay === 'kafka' ? { KAFKA_BROKERS: tryKafka() ?? '' } : {}),
  });
  try {
    const ready = await server.waitForRecord((r) => r.msg === 'bench-listening', 60_000);
    const origin = `http://127.0.0.1:${String(ready.port)}`;
    const post = async (path: string, body: unknown, token?: string, key?: string) => {
      const response = await fetch(`${origin}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        json: text ? (JSON.parse(text) as Record<string, string>) : {},
      };
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
      const started = performance.now();
      await inParallel(count, opt('concurrency'), async (i) => {
        const w = walletFor(i);
        const t0 = performance.now();
        const r = await post(
          '/v1/movements',
          {
            kind: 'expense',
            walletId: w.id,
            amount: '1',
            merchant: 'Bench Shop',
            category: 'groceries',
          },
          w.token,
          `${runId}-${i}`,
        );
        latencies.push(performance.now() - t0);
        if (r.status === 201) ok += 1;
        else throw new Error(`${name}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
      });
      const durationMs = performance.now() - started;
      latencies.sort((a, b) => a - b);
      return {
        name,
        count,
        ok,
        durationMs,
        ratePerSecond: (ok * 1000) / durationMs,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      };
    };

    const runs: Figure[][] = [];
    const baselines: BaselineResult[][] = [];
    for (let r = 0; r < opt('repeat'); r += 1) {
      const spread = await measure(
        `movements over ${walletsWanted} wallets`,
        opt('spread'),
        (i) => wallets[(i * 7919) % walletsWanted]!,
      );
      const hot = await measure('movements on one hot wallet', opt('hot'), () => wallets[0]!);
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
    console.log(
      `\nconservation: ${mismatched[0].length === 0 ? 'every wallet balance equals the sum of its postings' : `MISMATCH in ${mismatched[0].length} wallets`}; outbox rows not yet relayed at the end: ${String(pending.n)}`,
    );
    if (mismatched[0].length !== 0) process.exitCode = 1;
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
