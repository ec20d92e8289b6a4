/**
 * `npm run bench -w stream-jobs`: end-to-end figures of the stream jobs, on the embedded default
 * and (when `npm run infra:up` has run) on Kafka + FerretDB + OpenSearch, with the raw Kafka
 * consume baseline measured in the same run.
 *
 * - throughput: N raw transactions are on the log before the jobs start; the figure is N divided
 *   by the time until every one is enriched, categorized and written (documents, rollups, index,
 *   enriched event, alert checks);
 * - latency: transactions are produced at a fixed rate; every one is large enough to raise an alert,
 *   so "ingest -> alert" is the time from `send` to the alert arriving on the alerts topic, and
 *   "ingest -> indexed" the time to its `transactions.enriched` event, which the jobs publish only
 *   after the search index acknowledged the document (OpenSearch then makes it searchable within
 *   its 1 s refresh interval).
 *
 * The embedded backend is laid out as `openBackends` lays out the embedded default: the log in its
 * own file, the documents store and the search index sharing one (`stream-jobs.sqlite`). The
 * latency phase's sender and listeners run in a process of their own (`latency-sender.ts`; the
 * jobs' main thread then runs the jobs alone), or with `--sender same` beside the jobs on their
 * main thread (the bench's setup before 2026-11-27, session 13).
 *
 * Flags: --only embedded|real, --throughput N, --real-throughput N, --rate R, --real-rate R,
 * --seconds S, --baseline N, --batch N (most messages per batch; default: the jobs' default for
 * the backend), --sender process|same, --append (writes
 * the "stream-jobs" section of docs/benchmarks.md), --wal-pages (embedded: the store file's automatic
 * checkpoints off, so its WAL only grows; prints the WAL frames a transaction of each phase and the
 * latency phase's frames by B-tree, from `dbstat`). `MONGODB_URL` in the environment points the
 * real-server run at another FerretDB/MongoDB than the one infra:up started (a private, profiled one).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import {
  createEmbeddedEventLog,
  createEventLog,
  type EventLog,
  type OutgoingMessage,
} from '@spendstream/core/event-log';
import { topicNames, topics } from '@spendstream/core/events';
import { createLogger } from '@spendstream/core/log';
import { createSql, type Knex } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { kafkaProduceConsume } from '../../bench/baseline-lib.js';
import {
  createMongoDocumentStore,
  dropMongoDatabase,
} from '../src/features/documents/mongo-store.js';
import { createSqlDocumentStore, sqlDocumentsTable } from '../src/features/documents/sql-store.js';
import type { DocumentStore } from '../src/features/documents/store.js';
import { createStreamJobs } from '../src/features/pipeline/stream-jobs.js';
import { batchesOf, settingsEvent } from '../src/features/pipeline/test-harness.js';
import { benchRaw, runLatencyPhase, usersCount, type LatencyResult } from './bench-load.js';
import type { SenderConfig, SenderReport } from './latency-sender.js';
import { createOpenSearchIndex } from '../src/features/search/opensearch-index.js';
import type { SearchIndex } from '../src/features/search/search-index.js';
import { createSqlSearchIndex } from '../src/features/search/sql-index.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    throughput: { type: 'string', default: '20000' },
    'real-throughput': { type: 'string', default: '3000' },
    rate: { type: 'string', default: '1000' },
    'real-rate': { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    baseline: { type: 'string', default: '200000' },
    batch: { type: 'string' },
    sender: { type: 'string', default: 'process' },
    append: { type: 'boolean', default: false },
    'wal-pages': { type: 'boolean', default: false },
  },
});

if (args.sender !== 'process' && args.sender !== 'same')
  throw new Error(`--sender is process or same, not ${args.sender}`);
/** Longest wait for the jobs to drain a phase. */
const drainTimeoutMs = 600_000;
const partitions = 4;

interface Backend {
  name: string;
  eventLog: EventLog;
  /** How a sender in another process opens the same log. */
  senderLog: SenderConfig['log'];
  store: DocumentStore;
  index: SearchIndex;
  prefix: string;
  /** `--wal-pages`: the frames in the store file's WAL, and those from a frame on by B-tree. */
  wal?: { frames(): number; byTree(fromFrame: number): Promise<string> };
  close(): Promise<void>;
}
/** A WAL frame: its 24-byte header and a page of the store file's 4,096 bytes. */
const walFrameBytes = 24 + 4096;
/** The WAL file's header. */
const walHeaderBytes = 32;

/** Counts the WAL frames of the SQLite file at `path` (automatic checkpoints off). */
async function walCounter(knex: Knex, path: string): Promise<NonNullable<Backend['wal']>> {
  await knex.raw('PRAGMA wal_autocheckpoint = 0');
  const walPath = `${path}-wal`;
  const frames = () => {
    try {
      return Math.floor((statSync(walPath).size - walHeaderBytes) / walFrameBytes);
    } catch {
      return 0;
    }
  };
  return {
    frames,
    async byTree(fromFrame) {
      const wal = readFileSync(walPath);
      const perPage = new Map<number, number>();
      for (
        let at = walHeaderBytes + fromFrame * walFrameBytes;
        at + walFrameBytes <= wal.length;
        at += walFrameBytes
      ) {
        const page = wal.readUInt32BE(at);
        perPage.set(page, (perPage.get(page) ?? 0) + 1);
      }
      const rows = (await knex.raw('SELECT name, pageno FROM dbstat')) as {
        name: string;
        pageno: number;
      }[];
      const treeOf = new Map(rows.map((row) => [row.pageno, row.name]));
      const perTree = new Map<string, number>();
      for (const [page, count] of perPage) {
        const tree = treeOf.get(page) ?? '(free)';
        perTree.set(tree, (perTree.get(tree) ?? 0) + count);
      }
      return [...perTree]
        .sort((a, b) => b[1] - a[1])
        .map(([tree, count]) => `${tree} ${count}`)
        .join(', ');
    },
  };
}
/** The embedded log's poll interval (a consumer hears of another process's appends by polling). */
const embeddedPollIntervalMs = 5;

async function embeddedBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-bench-'));
  const logPath = join(dir, 'event-log.sqlite');
  const eventLog = createEmbeddedEventLog({
    path: logPath,
    pollIntervalMs: embeddedPollIntervalMs,
  });
  // One file for the store and the index, as the embedded default has them (`openBackends`).
  const storePath = join(dir, 'stream-jobs.sqlite');
  const knex = createSql({}, { sqliteFilename: storePath });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  const index = createSqlSearchIndex({
    knex,
    closeKnex: false,
    documentsTable: sqlDocumentsTable(),
  });
  const wal = args['wal-pages'] ? await walCounter(knex, storePath) : undefined;
  return {
    ...(wal ? { wal } : {}),
    name: 'embedded (SQLite log, store and index)',
    eventLog,
    senderLog: { kind: 'embedded', path: logPath, pollIntervalMs: embeddedPollIntervalMs },
    store,
    index,
    prefix: '',
    close: async () => {
      await eventLog.close();
      await store.close();
      await index.close();
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function realBackend(): Promise<Backend> {
  const servers = realServers(['KAFKA_BROKERS', 'MONGODB_URL', 'OPENSEARCH_URL']);
  // A private FerretDB (one started with a profiling endpoint, say) when MONGODB_URL is set.
  const mongoUrl = process.env.MONGODB_URL ?? servers.MONGODB_URL;
  const prefix = `${uniqueName('bench_sj')}_`;
  const dbName = uniqueName('bench_sj_db');
  const eventLog = await createEventLog({ kafkaBrokers: servers.KAFKA_BROKERS, clientId: prefix });
  const store = createMongoDocumentStore({ url: mongoUrl, dbName });
  const index = createOpenSearchIndex({
    url: servers.OPENSEARCH_URL,
    index: uniqueName('bench_sj_ix'),
  });
  return {
    name: 'Kafka + FerretDB + OpenSearch',
    eventLog,
    senderLog: { kind: 'kafka', brokers: servers.KAFKA_BROKERS },
    store,
    index,
    prefix,
    close: async () => {
      await eventLog.close();
      await store.close();
      await index.drop();
      await index.close();
      await dropMongoDatabase(mongoUrl, dbName);
    },
  };
}

/** Time and calls per store method, so a run shows where the store's time went. */
const storeCalls = new Map<string, { calls: number; ms: number }>();

/** The store with every method timed into `storeCalls`. */
function timedStore(store: DocumentStore): DocumentStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...callArgs: unknown[]) => {
        const started = performance.now();
        try {
          return (await (value as (...a: unknown[]) => Promise<unknown>).apply(
            target,
            callArgs,
          )) as unknown;
        } finally {
          const entry = storeCalls.get(String(name)) ?? { calls: 0, ms: 0 };
          entry.calls += 1;
          entry.ms += performance.now() - started;
          storeCalls.set(String(name), entry);
        }
      };
    },
  });
}

function printStoreCalls(backend: string, phase: string): void {
  console.error(
    `[${backend}] store calls (${phase}): ${[...storeCalls]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([name, e]) => `${name} ${(e.ms / 1000).toFixed(1)} s / ${e.calls}`)
      .join(', ')}`,
  );
  storeCalls.clear();
}

/**
 * CPU seconds (user + system) of the main thread (Linux `/proc/self/task/<pid>/stat`; undefined
 * elsewhere) and of the whole process (V8's GC threads included). The main thread runs the jobs'
 * event loop, so its CPU per transaction is what bounds their rate.
 */
function cpuSeconds(): { main: number | undefined; process: number } {
  const usage = process.cpuUsage();
  let main: number | undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    main = (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    main = undefined;
  }
  return { main, process: (usage.user + usage.system) / 1e6 };
}
/** The kernel's clock ticks per second (`getconf CLK_TCK`), 100 on Linux. */
const clockTicksPerSecond = 100;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function processedCount(registry: Registry): Promise<number> {
  return registry
    .getSingleMetric('stream_jobs_messages_total')!
    .get()
    .then((m) =>
      m.values
        .filter((v) => v.labels.topic === topics.transactionsRaw)
        .reduce((a, v) => a + v.value, 0),
    );
}

/** Batches of raw transactions handled so far, and their summed duration. */
/** Batches of raw transactions handled so far, and their summed duration. */
const rawBatches = (registry: Registry) => batchesOf(registry, topics.transactionsRaw);

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function prepare(backend: Backend): Promise<void> {
  for (const topic of topicNames)
    await backend.eventLog.createTopic(`${backend.prefix}${topic}`, { partitions });
  await backend.store.init();
  await backend.index.init();
  const settings: OutgoingMessage[] = [];
  for (let u = 0; u < usersCount; u += 1) {
    settings.push(
      settingsEvent({
        userId: `u${u}`,
        revision: 1,
        timeZone: u % 2 ? 'Pacific/Auckland' : 'America/Los_Angeles',
        homeCurrency: 'NZD',
        locale: 'en-NZ',
        alerts: { enabled: true, largeTransactionMin: { amount: 1n, currency: 'NZD' } },
        updatedAt: '2026-01-01T00:00:00Z',
      }),
    );
  }
  for (let i = 0; i < settings.length; i += 500)
    await backend.eventLog.send(
      `${backend.prefix}${topics.refUserSettings}`,
      settings.slice(i, i + 500),
    );
}

/**
 * The latency phase in a process of its own; `onStart` runs when its sender starts. The child's
 * CPU is its own, so the jobs' main-thread figure covers the jobs alone.
 */
function latencyInProcess(config: SenderConfig, onStart: () => void): Promise<LatencyResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./latency-sender.ts', import.meta.url), [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: LatencyResult | undefined;
    child.on('message', (message: SenderReport) => {
      if (message.type === 'start') onStart();
      else result = message.result;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result === undefined
        ? reject(new Error(`the latency sender exited with ${code} and no result`))
        : resolve(result),
    );
  });
}

interface Figures {
  backend: string;
  throughputCount: number;
  throughputPerSecond: number;
  rate: number;
  /** The rate the sender really offered over the phase. */
  offered: number;
  sent: number;
  alertsReceived: number;
  alertP50: number;
  alertP99: number;
  indexedP50: number;
  indexedP99: number;
}

async function run(backend: Backend, throughputCount: number, rate: number): Promise<Figures> {
  await prepare(backend);
  const raws: OutgoingMessage[] = Array.from({ length: throughputCount }, (_, i) =>
    benchRaw(i + 1),
  );
  for (let i = 0; i < raws.length; i += 1000)
    await backend.eventLog.send(
      `${backend.prefix}${topics.transactionsRaw}`,
      raws.slice(i, i + 1000),
    );
  const registry = new Registry();
  const log = createLogger({ service: 'bench', level: 'error' });
  const jobs = createStreamJobs({
    eventLog: backend.eventLog,
    store: timedStore(backend.store),
    index: backend.index,
    log,
    registry,
    topicPrefix: backend.prefix,
    groupId: `${backend.prefix}bench-jobs`,
    ...(args.batch !== undefined ? { batchSizeMax: Number(args.batch) } : {}),
  });
  storeCalls.clear();
  const walAtStart = backend.wal?.frames() ?? 0;
  const cpuAtStart = cpuSeconds();
  const started = performance.now();
  await jobs.start();
  // When the first batch was done (the consumer joined and handled one): the rate after it
  // leaves out the start-up (on Kafka, joining the group).
  let firstDone: { at: number; count: number } | undefined;
  const watchFirst = setInterval(() => {
    void processedCount(registry).then((count) => {
      if (firstDone === undefined && count > 0) firstDone = { at: performance.now(), count };
    });
  }, 100);
  // Progress on stderr every 10 s, so a stall shows (and whether the counter or the store stops).
  const progress = setInterval(() => {
    void processedCount(registry).then((count) =>
      console.error(
        `[${backend.name}] ${((performance.now() - started) / 1000).toFixed(0)} s: ${count} of ${throughputCount} processed`,
      ),
    );
  }, 10_000);
  const drained = await waitFor(
    async () => (await processedCount(registry)) >= throughputCount,
    drainTimeoutMs,
  );
  clearInterval(progress);
  clearInterval(watchFirst);
  const cpuAtEnd = cpuSeconds();
  const perTx = (seconds: number) => `${((seconds / throughputCount) * 1e6).toFixed(0)} us/tx`;
  console.error(
    `[${backend.name}] throughput phase CPU: main thread ${
      cpuAtEnd.main === undefined || cpuAtStart.main === undefined
        ? 'n/a'
        : `${(cpuAtEnd.main - cpuAtStart.main).toFixed(2)} s (${perTx(cpuAtEnd.main - cpuAtStart.main)})`
    }, process ${(cpuAtEnd.process - cpuAtStart.process).toFixed(2)} s (${perTx(cpuAtEnd.process - cpuAtStart.process)})`,
  );
  // Where the time of the throughput phase went, per step of a batch.
  const steps = await registry.getSingleMetric('stream_jobs_step_duration_seconds')!.get();
  console.error(
    `[${backend.name}] seconds per step: ${steps.values
      .filter((v) => ((v as { metricName?: string }).metricName ?? '').endsWith('_sum'))
      .map((v) => `${String(v.labels.step)} ${v.value.toFixed(1)}`)
      .join(', ')}`,
  );
  const seconds = (performance.now() - started) / 1000;
  if (!drained) console.error(`throughput phase did not drain within ${drainTimeoutMs} ms`);
  const throughputPerSecond = (await processedCount(registry)) / seconds;
  if (firstDone !== undefined) {
    const after = (performance.now() - firstDone.at) / 1000;
    console.error(
      `[${backend.name}] first batch done after ${((firstDone.at - started) / 1000).toFixed(1)} s (${firstDone.count} tx); after it ${((throughputCount - firstDone.count) / after).toFixed(1)} tx/s`,
    );
  }
  printStoreCalls(backend.name, 'throughput phase');
  const walAtLatency = backend.wal?.frames() ?? 0;
  if (backend.wal)
    console.error(
      `[${backend.name}] throughput phase WAL frames: ${walAtLatency - walAtStart} (${((walAtLatency - walAtStart) / throughputCount).toFixed(2)} a tx)`,
    );

  // Latency at a fixed rate.
  let latencyCpuAtStart = cpuSeconds();
  let batchesAtStart = await rawBatches(registry);
  const onStart = () => {
    latencyCpuAtStart = cpuSeconds();
    void rawBatches(registry).then((b) => (batchesAtStart = b));
  };
  const latency =
    args.sender === 'process'
      ? await latencyInProcess(
          {
            log: backend.senderLog,
            prefix: backend.prefix,
            rate,
            seconds: Number(args.seconds),
            firstSequence: throughputCount,
          },
          onStart,
        )
      : await runLatencyPhase({
          eventLog: backend.eventLog,
          prefix: backend.prefix,
          groupPrefix: backend.prefix,
          rate,
          seconds: Number(args.seconds),
          firstSequence: throughputCount,
          onStart,
        });
  const latencyCpuAtEnd = cpuSeconds();
  const { sent } = latency;
  const perSent = (seconds: number) =>
    sent === 0 ? 'n/a' : `${((seconds / sent) * 1e6).toFixed(0)} us/tx`;
  console.error(
    `[${backend.name}] latency phase CPU (${args.sender === 'process' ? 'jobs; the sender and listeners in their own process' : 'jobs, sender and listeners'}): main thread ${
      latencyCpuAtEnd.main === undefined || latencyCpuAtStart.main === undefined
        ? 'n/a'
        : `${(latencyCpuAtEnd.main - latencyCpuAtStart.main).toFixed(2)} s (${perSent(latencyCpuAtEnd.main - latencyCpuAtStart.main)})`
    }, process ${(latencyCpuAtEnd.process - latencyCpuAtStart.process).toFixed(2)} s (${perSent(latencyCpuAtEnd.process - latencyCpuAtStart.process)})${args.sender === 'process' ? `; the sender's process ${latency.senderCpuSeconds.toFixed(2)} s (${perSent(latency.senderCpuSeconds)})` : ''}`,
  );
  const batchesAtEnd = await rawBatches(registry);
  const batches = batchesAtEnd.count - batchesAtStart.count;
  console.error(
    `[${backend.name}] latency phase raw batches: ${batches}, ${(sent / Math.max(1, batches)).toFixed(1)} tx and ${(((batchesAtEnd.seconds - batchesAtStart.seconds) / Math.max(1, batches)) * 1000).toFixed(1)} ms each`,
  );
  printStoreCalls(backend.name, 'latency phase');
  if (backend.wal) {
    const frames = backend.wal.frames() - walAtLatency;
    console.error(
      `[${backend.name}] latency phase WAL frames (with the listeners' settling): ${frames} (${(frames / Math.max(1, sent)).toFixed(2)} a tx); by B-tree: ${await backend.wal.byTree(walAtLatency)}`,
    );
  }
  await jobs.stop(5_000);
  return {
    backend: backend.name,
    throughputCount,
    throughputPerSecond,
    rate,
    offered: latency.offered,
    sent,
    alertsReceived: latency.alertLatency.length,
    alertP50: percentile(latency.alertLatency, 50),
    alertP99: percentile(latency.alertLatency, 99),
    indexedP50: percentile(latency.indexedLatency, 50),
    indexedP99: percentile(latency.indexedLatency, 99),
  };
}

const results: Figures[] = [];
if (args.only !== 'real') {
  const backend = await embeddedBackend();
  try {
    results.push(await run(backend, Number(args.throughput), Number(args.rate)));
  } finally {
    await backend.close();
  }
}
let baselineConsume: number | undefined;
if (args.only !== 'embedded') {
  const servers = realServers(['KAFKA_BROKERS']);
  const [, consumed] = await kafkaProduceConsume(servers.KAFKA_BROKERS, {
    messages: Number(args.baseline),
  });
  baselineConsume = consumed?.ratePerSecond;
  const backend = await realBackend();
  try {
    results.push(await run(backend, Number(args['real-throughput']), Number(args['real-rate'])));
  } finally {
    await backend.close();
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const lines = [
  '## stream-jobs (`npm run bench -w stream-jobs`)',
  '',
  `Measured ${new Date().toISOString()} on the shared 2-core box; 1,000 users; every transaction raises a large-transaction alert in the latency phase.`,
  '',
  '| backend | sustained tx/s (end to end) | latency phase: target rate, offered, sent | ingest -> alert p50 / p99 ms | ingest -> indexed p50 / p99 ms | alerts received |',
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.backend} | ${fmt(r.throughputPerSecond)} (${fmt(r.throughputCount)} tx) | ${fmt(r.rate)}/s, ${fmt(r.offered)}/s, ${fmt(r.sent)} | ${fmt(r.alertP50)} / ${fmt(r.alertP99)} | ${fmt(r.indexedP50)} / ${fmt(r.indexedP99)} | ${fmt(r.alertsReceived)} of ${fmt(r.sent)} |`,
  ),
  '',
  baselineConsume === undefined
    ? 'Raw Kafka consume baseline: not measured in this run (embedded only).'
    : `Raw Kafka consume baseline (kafkajs, same run, ${fmt(Number(args.baseline))} messages): ${fmt(baselineConsume)} msg/s; Kafka + FerretDB + OpenSearch stream jobs reach ${(((results.find((r) => r.backend.startsWith('Kafka'))?.throughputPerSecond ?? 0) / baselineConsume) * 100).toFixed(2)}% of it.`,
  '',
];
const text = lines.join('\n');
console.log(text);
if (args.append) {
  const path = new URL('../../docs/benchmarks.md', import.meta.url);
  const current = readFileSync(path, 'utf8');
  const start = current.indexOf('## stream-jobs');
  const next = start === -1 ? -1 : current.indexOf('\n## ', start + 3);
  const updated =
    start === -1
      ? `${current.trimEnd()}\n\n${text}`
      : `${current.slice(0, start)}${text}${next === -1 ? '' : current.slice(next + 1)}`;
  writeFileSync(path, updated);
}
