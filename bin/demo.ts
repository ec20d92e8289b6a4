/**
 * `npm run demo`: everything on the embedded default (`npm start` in a child process, its data in a
 * throwaway folder), one demo person with a few weeks of history from ingest-api's generator, two
 * budgets close to their limits, then a new purchase every few seconds, so the dashboard is alive
 * within a minute: charts move, transactions arrive, budget alerts fire. Ctrl-C stops it all.
 *
 * Only public HTTP APIs are used (wallet-api to register and open wallets, ingest-api to push the
 * transactions, analytics-api for the budgets), as a bank or an app would.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  generateTransactions,
  toIngestBody,
  type GeneratedTransaction,
} from '@spendstream/ingest-api/generator';

import { demoUser } from './demo-user.js';

const startPath = fileURLToPath(new URL('./start.ts', import.meta.url));
/** Transactions per ingest request while loading the history (ingest-api takes up to 1,000). */
const historyBatchMax = 500;
/** Longest wait for every service to come up (a first run also builds the dashboard). */
const startTimeoutMs = 120_000;
/** Days of history by default: enough for "this month against the last". */
const historyDaysDefault = 45;
/** Seconds between two live purchases by default. */
const liveIntervalSecondsDefault = 4;
/** Largest number of live purchases (a demo left running overnight stops adding). */
const livePurchasesMax = 10_000;

const { values } = parseArgs({
  options: {
    days: { type: 'string' },
    interval: { type: 'string' },
    'keep-data': { type: 'boolean' },
  },
  strict: true,
});
const historyDays = Math.min(365, Math.max(1, Number(values.days ?? historyDaysDefault) || 1));
const intervalMs = Math.max(0.2, Number(values.interval ?? liveIntervalSecondsDefault) || 1) * 1000;
const dataDir = resolve(process.env.DATA_DIR ?? join('.data', 'demo'));

const say = (line: string) => process.stdout.write(`${line}\n`);

function startSystem(): Promise<{ urls: Record<string, string>; stop(): Promise<void> }> {
  if (!values['keep-data']) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const logPath = join(dataDir, 'spendstream.log');
  const logFile = createWriteStream(logPath);
  const child = spawn(process.execPath, ['--import', 'tsx', startPath], {
    env: { ...process.env, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(logFile);
  child.stderr.pipe(process.stderr);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(
      () => rejectStart(new Error(`the services did not start in time; see ${logPath}`)),
      startTimeoutMs,
    );
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"all services up"')) continue;
        clearTimeout(timer);
        const record = JSON.parse(line) as { services: Record<string, string> };
        resolveStart({
          urls: record.services,
          async stop() {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`npm start exited (${String(code)}); see ${logPath}`));
    });
  });
}

async function call<T>(
  url: string,
  init: { method?: string; token?: string; body?: unknown; key?: string } = {},
): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.key ? { 'idempotency-key': init.key } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** YYYY-MM-DD of `days` days before today (UTC). */
function daysAgo(days: number): string {
  return new Date(Date.now() - days * 24 * 3600 * 1000).toISOString().slice(0, 10);
}

let system: Awaited<ReturnType<typeof startSystem>> | undefined;

async function main(): Promise<void> {
  say('Starting every service on the embedded default (a first run builds the dashboard)...');
  system = await startSystem();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('\nStopping...');
    await system?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const wallet = system.urls['wallet-api']!;
  const ingest = system.urls['ingest-api']!;
  const analytics = system.urls['analytics-api']!;
  const dashboard = system.urls.dashboard!.replace('127.0.0.1', 'localhost');

  // One generated person (their zone, currency, wallets and habits), history up to now.
  const dataset = generateTransactions({
    seed: 'spendstream-demo',
    users: 1,
    days: historyDays + 1,
    start: daysAgo(historyDays),
    activity: 2,
  });
  const person = dataset.users[0]!;
  await call(`${wallet}/v1/auth/register`, {
    body: {
      ...demoUser,
      displayName: person.displayName,
      homeCurrency: person.homeCurrency,
      timeZone: person.timeZone,
    },
  });
  const { accessToken: token } = await call<{ accessToken: string }>(`${wallet}/v1/auth/login`, {
    body: demoUser,
  });
  const walletIds = new Map<string, string>();
  for (const w of person.wallets) {
    const created = await call<{ id: string }>(`${wallet}/v1/wallets`, {
      token,
      key: `demo-${w.walletId}`,
      body: { name: w.name, type: w.type, currency: w.currency, overdraftLimit: '100000000' },
    });
    walletIds.set(w.walletId, created.id);
  }
  say('');
  say(`  Dashboard:  ${dashboard}`);
  say(`  Log in as:  ${demoUser.email} / ${demoUser.password}`);
  say(`  (${person.displayName}, ${person.timeZone}, ${person.homeCurrency}; logs in ${dataDir})`);
  say('');

  const now = Date.now();
  const history = dataset.transactions.filter((t) => Date.parse(t.deliveredAt) <= now);
  for (let i = 0; i < history.length; i += historyBatchMax) {
    const items = history
      .slice(i, i + historyBatchMax)
      .map((t) => toIngestBody(t.event, walletIds));
    await call(`${ingest}/v1/transactions:batch`, { token, body: { items } });
    process.stdout.write(
      `\r  History: ${Math.min(i + historyBatchMax, history.length)} of ${history.length} transactions`,
    );
  }
  say('');

  // Budgets a little above what this person spends, so the live purchases cross thresholds.
  const month = await call<{ spend: { amount: string } }>(
    `${analytics}/v1/analytics/cash-flow?period=month`,
    { token },
  );
  const spent = BigInt(month.spend.amount);
  const limit = (spent * 11n) / 10n + 10_000n;
  await call(`${analytics}/v1/budgets`, {
    token,
    body: {
      name: 'Monthly spending',
      limit: { amount: limit.toString(), currency: person.homeCurrency },
      period: { kind: 'month', startDay: 1 },
      thresholds: [80, 90, 100],
    },
  });
  await call(`${analytics}/v1/budgets`, {
    token,
    body: {
      name: 'Eating out',
      limit: { amount: '15000', currency: person.homeCurrency },
      period: { kind: 'week' },
      scope: { categories: ['food'] },
      thresholds: [50, 80, 100],
    },
  });
  say('  Budgets: "Monthly spending" and "Eating out" (weekly), with alerts.');

  // From now on, a purchase every few seconds: a copy of one of the person's own, made today.
  const templates = history.filter(
    (t: GeneratedTransaction) =>
      t.delivery === 'original' && ['expense', 'fee'].includes(t.event.kind),
  );
  say(`  Live: a new purchase every ${intervalMs / 1000} s. Ctrl-C to stop.`);
  for (let n = 0; n < livePurchasesMax && !stopping && templates.length > 0; n++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const template = templates[Math.floor(Math.random() * templates.length)]!;
    const body = {
      ...toIngestBody(template.event, walletIds),
      externalId: `demo-live-${Date.now()}-${n}`,
      occurredAt: new Date().toISOString(),
    };
    try {
      await call(`${ingest}/v1/transactions`, { token, body });
      process.stdout.write(
        `\r  Live purchases: ${n + 1} (last: ${body.merchant ?? 'cash'})`.padEnd(70),
      );
    } catch (error) {
      if (!stopping) say(`\n  ${String(error)}`);
    }
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await system?.stop();
  process.exit(1);
});
