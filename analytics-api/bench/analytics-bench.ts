/**
 * analytics-api benchmark: p50/p95 latency and queries per second of the four queries the issue
 * names (monthly category breakdown, 12-month time series, filtered search, budget status), on the
 * embedded SQL twin (SQLite file) and on MongoDB (FerretDB) + OpenSearch, over one seeded data set.
 *
 *   npm run bench -w analytics-api -- --users 10000 --per-user 100 --backend embedded
 *   npm run bench -w analytics-api -- --users 1000 --per-user 100 --backend remote
 *
 * Flags: --users, --per-user (transactions per user), --backend embedded|remote|both,
 * --queries (per kind), --concurrency, --seed, --keep (leave the remote index and database),
 * --project N (then apply N new versions through the projector's writer and time it),
 * --project-parallel N (user-years the writer writes at once, default its own),
 * --dataset NAME (remote: load into `analytics_bench_NAME`, database (with its read-model databases
 * `analytics_bench_NAME_r<k>`) and index, and keep them; a later run with the same NAME reuses them
 * when they hold this users/per-user/seed and the current document layouts and spread, else
 * reloads).
 * Every answer is checked for shape (a wrong or empty answer is not counted as fast).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { MongoClient, type Db } from 'mongodb';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createSql, migrateToLatest } from '@spendstream/core/sql';
import { generateDocs, type TestUser } from '../test/support/factories.js';
import type { AnalyticsStore, TransactionDoc } from '../src/query/analytics-store.js';
import type { Budget } from '@spendstream/core/events';
import { loadSqlDocuments } from '../src/query/sql-loader.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';
import { createRemoteAnalyticsStore } from '../src/query/remote-store.js';
import {
  ensureSearchIndex,
  loadMongoDocuments,
  loadSearchDocuments,
} from '../src/query/remote-loader.js';
import {
  createSqlReadModelWriter,
  type ReadModelWriter,
} from '../src/features/projection/sql-read-model-writer.js';
import { createMongoReadModelWriter } from '../src/features/projection/mongo-read-model-writer.js';
import { revisionSlots, type VersionedDoc } from '../src/features/projection/enriched-to-doc.js';
import { openSearchTransport, type SearchTransport } from '../src/query/search-index.js';
import { bucketId, sumsLayout } from '../src/query/mongo-rollups.js';
import { dropReadModel, spreadLayout, sumsCollectionOf } from '../src/query/mongo-spread.js';
import { ledgerLayout } from '../src/query/mongo-ledger.js';
import { getBreakdown } from '../src/features/breakdowns/breakdown-service.js';
import { getTimeSeries } from '../src/features/time-series/time-series-service.js';
import { resolvePeriod } from '../src/domain/periods.js';
import { createBudgetService } from '../src/features/budgets/budget-service.js';
import { createSqlBudgetStore } from '../src/features/budgets/budget-store.js';
import { analyticsMigrations } from '../src/migrations.js';
import { createMemoryPublisher } from '../src/domain/event-publisher.js';
import { createSnapshotOutboxes } from '../src/snapshots.js';
import { createMemoryLogger } from '@spendstream/core/log';
import { createMemoryUserSettingsStore } from '../src/domain/user-settings.js';
import { createDefaultCategoryCatalog } from '../src/domain/categories.js';
import { seededRandom } from '@spendstream/core/testing/random';

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    'per-user': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'embedded' },
    queries: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'boolean', default: false },
    project: { type: 'string', default: '0' },
    dataset: { type: 'string' },
    'project-parallel': { type: 'string' },
  },
});
const userCount = Number(flags.users);
const perUser = Number(flags['per-user']);
const queriesPerKind = Number(flags.queries);
const concurrency = Number(flags.concurrency);
const seed = Number(flags.seed);
/** New versions the projector's writer applies after the queries (0: skip that measurement). */
const projectCount = Number(flags.project);
/** Versions per writer call, as a consumer batch hands them over. */
const projectBatchSize = 500;
/** Users generated and loaded per chunk, so a million documents never sit in memory at once. */
const usersPerChunk = 500;

const zones: Array<[string, string]> = [
  ['Europe/Paris', 'EUR'],
  ['America/New_York', 'USD'],
  ['Pacific/Kiritimati', 'AUD'],
  ['Asia/Kolkata', 'INR'],
  ['Pacific/Pago_Pago', 'USD'],
];

function usersOf(start: number, count: number): TestUser[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = start + offset;
    const [timeZone, homeCurrency] = zones[index % zones.length]!;
    return {
      userId: `bu${index}`,
      timeZone,
      homeCurrency,
      walletIds: [`bw${index}a`, `bw${index}b`, `bw${index}c`],
    };
  });
}

async function loadInChunks(
  load: (docs: TransactionDoc[]) => Promise<void>,
): Promise<{ docs: number; seconds: number }> {
  const started = performance.now();
  let total = 0;
  for (let start = 0; start < userCount; start += usersPerChunk) {
    const users = usersOf(start, Math.min(usersPerChunk, userCount - start));
    const docs = generateDocs(seed + start, perUser, users);
    await load(docs);
    total += docs.length;
    process.stdout.write(`\r  loaded ${total} documents`);
  }
  process.stdout.write('\n');
  return { docs: total, seconds: (performance.now() - started) / 1000 };
}

/**
 * Where the CPU goes during one measurement (Linux /proc): milliseconds of CPU per query spent by
 * this process (the analytics code and the drivers), FerretDB, OpenSearch, and everything else on
 * the machine (others' work), and the machine's busy share of its cores over the wall time.
 */
interface CpuShare {
  selfMs: number;
  ferretdbMs: number;
  opensearchMs: number;
  otherMs: number;
  busy: number;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** The pid of the first process whose command line `matches`, or null. */
function pidOf(matches: (argv: string[]) => boolean): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (matches(argv)) return Number(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    // No /proc (not Linux): no CPU shares.
  }
  return null;
}

/**
 * The servers the benchmark talks to, by the port they listen on (other FerretDB and OpenSearch
 * processes may run beside them: a CI clone's, tests' private ones).
 */
function serverPidsFor(mongoUrl: string, searchUrl: string) {
  const mongoPort = new URL(mongoUrl).port || '27017';
  const searchPort = new URL(searchUrl).port || '9200';
  return {
    ferretdb: pidOf(
      (argv) =>
        (argv[0]?.endsWith('/ferretdb') ?? false) &&
        argv.some((arg) => arg.startsWith('--listen-addr=') && arg.endsWith(`:${mongoPort}`)),
    ),
    opensearch: pidOf(
      (argv) => argv.includes('OpenSearchLauncher') && argv.includes(`http.port=${searchPort}`),
    ),
  };
}

let serverPids: { ferretdb: number | null; opensearch: number | null } = {
  ferretdb: null,
  opensearch: null,
};

/** User + system CPU of a process in milliseconds (0 when it cannot be read). */
function cpuMsOf(pid: number | null): number {
  if (pid === null) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Busy and total CPU milliseconds of the whole machine (all cores). */
function machineMs(): { busy: number; total: number } {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const ticks = values.map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const total = ticks.reduce((sum, value) => sum + value, 0);
    return {
      busy: ((total - idle) * 1000) / ticksPerSecond,
      total: (total * 1000) / ticksPerSecond,
    };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function cpuSnapshot() {
  const self = process.cpuUsage();
  return {
    self: (self.user + self.system) / 1000,
    ferretdb: cpuMsOf(serverPids.ferretdb),
    opensearch: cpuMsOf(serverPids.opensearch),
    machine: machineMs(),
  };
}

function cpuShare(
  before: ReturnType<typeof cpuSnapshot>,
  after: ReturnType<typeof cpuSnapshot>,
  count: number,
): CpuShare {
  const self = after.self - before.self;
  const ferretdb = after.ferretdb - before.ferretdb;
  const opensearch = after.opensearch - before.opensearch;
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  return {
    selfMs: self / count,
    ferretdbMs: ferretdb / count,
    opensearchMs: opensearch / count,
    otherMs: Math.max(0, busy - self - ferretdb - opensearch) / count,
    busy: total > 0 ? busy / total : 0,
  };
}

interface Result {
  cpu?: CpuShare;
  query: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  qps: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

async function measure(name: string, run: (i: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpuSnapshot();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const index = next++;
        if (index >= queriesPerKind) return;
        const begin = performance.now();
        await run(index);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuShare(cpuBefore, cpuSnapshot(), latencies.length);
  latencies.sort((a, b) => a - b);
  const result = {
    cpu,
    query: name,
    count: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    qps: latencies.length / seconds,
  };
  // Printed as each query kind finishes, so a slow backend shows where it is.
  console.log(
    `    ${name}: p50 ${result.p50Ms.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms, ${result.qps.toFixed(0)}/s`,
  );
  console.log(`      ${cpuText(cpu)}`);
  return result;
}

function cpuText(cpu: CpuShare): string {
  return (
    `CPU ms per query: bench ${cpu.selfMs.toFixed(2)}, FerretDB ${cpu.ferretdbMs.toFixed(2)}, ` +
    `OpenSearch ${cpu.opensearchMs.toFixed(2)}, others ${cpu.otherMs.toFixed(2)}; machine ${(cpu.busy * 100).toFixed(0)}% busy`
  );
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`benchmark answer failed its check: ${what}`);
}

async function runQueries(
  label: string,
  store: AnalyticsStore,
  budgetsDb: Knex,
): Promise<Result[]> {
  const random = seededRandom(seed * 7);
  const userAt = () => usersOf(Math.floor(random() * userCount), 1)[0]!;
  const months = Array.from(
    { length: 24 },
    (_, i) => `${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-15`,
  );
  const settings = createMemoryUserSettingsStore({ timeZone: 'UTC', homeCurrency: 'EUR' });
  for (const user of usersOf(0, userCount))
    await settings.put(user.userId, { ...user, revision: 1 });
  const budgets = createBudgetService({
    budgets: createSqlBudgetStore(budgetsDb),
    store,
    settings,
    categories: createDefaultCategoryCatalog(),
    snapshots: createSnapshotOutboxes({
      sql: budgetsDb,
      publisher: createMemoryPublisher(),
      log: createMemoryLogger('analytics-api').log,
      clock: () => new Date('2026-06-20T12:00:00Z'),
    }),
    clock: () => new Date('2026-06-20T12:00:00Z'),
  });
  const budgetUsers = usersOf(0, Math.min(userCount, 200));
  const budgetList: Array<{ user: TestUser; budget: Budget }> = [];
  for (const user of budgetUsers) {
    budgetList.push({
      user,
      budget: await budgets.create(user.userId, {
        name: 'Food',
        limit: { amount: 50_000n, currency: user.homeCurrency as 'EUR' },
        period: { kind: 'month', startDay: 25 },
        scope: { categories: ['food'], walletIds: [], tags: [], merchantKeys: [] },
        thresholds: [80, 100],
        rollover: true,
        active: true,
      }),
    });
  }
  console.log(`  ${label}: measuring ${queriesPerKind} queries per kind, ${concurrency} in flight`);
  const results: Result[] = [];
  results.push(
    await measure('monthly category breakdown', async () => {
      const user = userAt();
      const result = await getBreakdown(store, {
        userId: user.userId,
        range: resolvePeriod({
          kind: 'month',
          anchor: months[Math.floor(random() * months.length)]!,
        }),
        by: 'category',
        flow: 'spend',
        byCurrency: false,
        limit: 100,
      });
      check(
        result.items.every((item) => item.amountMinor > 0n),
        'breakdown items',
      );
    }),
  );
  results.push(
    await measure('12-month time series', async () => {
      const user = userAt();
      const series = await getTimeSeries(store, {
        userId: user.userId,
        range: { from: '2025-07-01', to: '2026-07-01' },
        bucket: 'month',
        monthStartDay: 1,
      });
      check(series.points.length === 12, 'twelve points');
    }),
  );
  results.push(
    await measure('filtered search', async () => {
      const user = userAt();
      const page = await store.search({
        userId: user.userId,
        text: 'card payment',
        categories: ['food'],
        from: '2025-06-01',
        to: '2026-06-01',
        sort: 'date_desc',
        limit: 25,
        withFacets: true,
      });
      check(page.items.length <= 25 && page.total >= page.items.length, 'search page');
    }),
  );
  results.push(
    await measure('budget status', async () => {
      const { user, budget } = budgetList[Math.floor(random() * budgetList.length)]!;
      const status = await budgets.status(user.userId, budget);
      check(status.period.from === '2026-05-25', 'budget period');
    }),
  );
  return results;
}

/**
 * The projector's write path on the loaded data: `projectCount` new versions of random users'
 * existing transactions (ids `<user>-t<n>` regenerated from another seed, so amount, date and
 * category may change, like corrections, plus a tag), applied in consumer-sized batches; each batch reads the index for the
 * applied versions, rewrites the buckets it touches and bulk-indexes the new versions.
 */
async function measureProjection(writer: ReadModelWriter, version: number): Promise<Result> {
  const random = seededRandom(seed * 13);
  const latencies: number[] = [];
  let applied = 0;
  const cpuBefore = cpuSnapshot();
  for (let done = 0; done < projectCount; done += projectBatchSize) {
    const batch: VersionedDoc[] = [];
    for (let i = 0; i < Math.min(projectBatchSize, projectCount - done); i += 1) {
      const start = Math.floor(random() * userCount);
      const [doc] = generateDocs(seed + start, perUser, usersOf(start, 1)).slice(
        Math.floor(random() * perUser),
      );
      if (doc) batch.push({ doc: { ...doc, tags: [...doc.tags, 'projected'] }, version });
    }
    const begin = performance.now();
    applied += (await writer.apply(batch)).length;
    latencies.push(performance.now() - begin);
  }
  // Only the writer's time: generating the versions is the benchmark's own work.
  const seconds = latencies.reduce((sum, ms) => sum + ms, 0) / 1000;
  const cpu = cpuShare(cpuBefore, cpuSnapshot(), Math.max(1, applied));
  latencies.sort((a, b) => a - b);
  check(applied > 0, 'projected versions applied');
  const result = {
    cpu,
    query: `projection (batches of ${projectBatchSize}; latency per batch)`,
    count: applied,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    qps: applied / seconds,
  };
  console.log(
    `    projection: ${applied} versions, batch p50 ${result.p50Ms.toFixed(0)} ms, p95 ${result.p95Ms.toFixed(0)} ms, ${result.qps.toFixed(0)} versions/s`,
  );
  console.log(`      ${cpuText(cpu)} (per version; includes generating them)`);
  return result;
}

/**
 * The same-run baseline of the remote queries: the servers' own floor without analytics code. A
 * yearly sums document read by `_id` (what a one-month breakdown costs FerretDB before any
 * decoding and folding) and an
 * OpenSearch query with only the user filter and 25 hits (no text, no facets).
 */
async function measureRemoteFloor(mongo: Db, search: SearchTransport, index: string) {
  const random = seededRandom(seed * 17);
  const userAt = () => usersOf(Math.floor(random() * userCount), 1)[0]!;
  return [
    await measure('baseline: FerretDB sums document read by _id', async () => {
      const user = userAt();
      const bucket = await sumsCollectionOf<{ _id: string }>(mongo, user.userId).findOne({
        _id: bucketId(user.userId, random() < 0.5 ? '2025' : '2026'),
      });
      check(bucket !== null, 'bucket found');
    }),
    await measure('baseline: OpenSearch user filter, 25 hits', async () => {
      const user = userAt();
      const response = (await search.request('POST', `/${index}/_search`, {
        size: 25,
        query: { bool: { filter: [{ term: { userId: user.userId } }] } },
      })) as { hits: { hits: unknown[] } };
      check(response.hits.hits.length > 0, 'hits');
    }),
  ];
}

function printResults(
  label: string,
  loaded: { docs: number; seconds: number },
  results: Result[],
): void {
  console.log(
    `\n${label}: ${loaded.docs} transactions, ${userCount} users, loaded in ${loaded.seconds.toFixed(1)} s`,
  );
  console.log(
    '| query | queries | p50 (ms) | p95 (ms) | queries/s | CPU ms per query: bench / FerretDB / OpenSearch / others | machine busy |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const result of results) {
    const cpu = result.cpu;
    const cpuCells = cpu
      ? `${cpu.selfMs.toFixed(2)} / ${cpu.ferretdbMs.toFixed(2)} / ${cpu.opensearchMs.toFixed(2)} / ${cpu.otherMs.toFixed(2)} | ${(cpu.busy * 100).toFixed(0)}%`
      : ' | ';
    console.log(
      `| ${result.query} | ${result.count} | ${result.p50Ms.toFixed(1)} | ${result.p95Ms.toFixed(1)} | ${result.qps.toFixed(0)} | ${cpuCells} |`,
    );
  }
}

async function benchEmbedded(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-bench-'));
  const db = createSql({}, { sqliteFilename: join(dir, 'bench.sqlite') });
  try {
    await migrateToLatest(db, analyticsMigrations);
    const loaded = await loadInChunks((docs) => loadSqlDocuments(db, docs));
    await db.raw('ANALYZE');
    const results = await runQueries('embedded', createSqlAnalyticsStore(db), db);
    if (projectCount > 0) results.push(await measureProjection(createSqlReadModelWriter(db), 1));
    printResults('embedded (SQLite file)', loaded, results);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a kept data set was loaded with; a run reuses it only when every field matches. */
interface DatasetMeta {
  _id: 'meta';
  users: number;
  perUser: number;
  seed: number;
  layout: string;
  /** Projection runs done on it: each run's versions must be newer than the last run's. */
  projectRuns: number;
}

async function benchRemote(): Promise<void> {
  const servers = realServers(['MONGODB_URL', 'OPENSEARCH_URL']);
  serverPids = serverPidsFor(servers.MONGODB_URL, servers.OPENSEARCH_URL);
  const client = new MongoClient(servers.MONGODB_URL, { useBigInt64: true });
  await client.connect();
  const name = flags.dataset
    ? `analytics_bench_${flags.dataset.replace(/[^a-z0-9_]/g, '_')}`
    : uniqueName('analytics_bench');
  const keep = flags.keep || flags.dataset !== undefined;
  const mongo = client.db(name);
  const search = openSearchTransport(servers.OPENSEARCH_URL);
  const index = name;
  const metaCollection = mongo.collection<DatasetMeta>('bench_meta');
  // Budgets live in SQL whatever the document backend is.
  const budgetsDb = createSql({}, { sqliteFilename: ':memory:' });
  try {
    await migrateToLatest(budgetsDb, analyticsMigrations);
    const wanted = {
      users: userCount,
      perUser,
      seed,
      layout: `${sumsLayout}/${ledgerLayout}/${spreadLayout}`,
    };
    const meta = flags.dataset ? await metaCollection.findOne({ _id: 'meta' }) : null;
    const reusable =
      meta !== null &&
      meta.users === wanted.users &&
      meta.perUser === wanted.perUser &&
      meta.seed === wanted.seed &&
      meta.layout === wanted.layout;
    let loaded = { docs: userCount * perUser, seconds: 0 };
    if (reusable) {
      console.log(
        `  reusing the data set ${name} (loaded earlier, ${meta.projectRuns} projection runs)`,
      );
    } else {
      await dropReadModel(mongo);
      await search.request('DELETE', `/${index}`).catch(() => undefined);
      await ensureSearchIndex(search, index);
      loaded = await loadInChunks(async (docs) => {
        await Promise.all([
          loadMongoDocuments(mongo, docs),
          loadSearchDocuments(search, index, docs),
        ]);
      });
      await metaCollection.insertOne({ _id: 'meta', ...wanted, projectRuns: 0 });
    }
    const store = createRemoteAnalyticsStore({ mongo, search, index });
    const results = await runQueries('mongodb+opensearch', store, budgetsDb);
    results.push(...(await measureRemoteFloor(mongo, search, index)));
    if (projectCount > 0) {
      // Every run's versions newer than the previous run's on the same data set.
      const runs = (meta && reusable ? meta.projectRuns : 0) + 1;
      results.push(
        await measureProjection(
          createMongoReadModelWriter({
            mongo,
            search,
            index,
            bucketWritesParallel: flags['project-parallel']
              ? Number(flags['project-parallel'])
              : undefined,
          }),
          (1 + runs) * revisionSlots,
        ),
      );
      await metaCollection.updateOne({ _id: 'meta' }, { $set: { projectRuns: runs } });
    }
    printResults('MongoDB (FerretDB 1.24) + OpenSearch 2.19', loaded, results);
  } finally {
    if (!keep) {
      await dropReadModel(mongo).catch(() => undefined);
      await search.request('DELETE', `/${index}`).catch(() => undefined);
    }
    await budgetsDb.destroy();
    await search.close();
    await client.close();
  }
}

console.log(
  `analytics-api bench: users=${userCount} per-user=${perUser} backend=${flags.backend} queries=${queriesPerKind} concurrency=${concurrency}`,
);
if (flags.backend === 'embedded' || flags.backend === 'both') await benchEmbedded();
if (flags.backend === 'remote' || flags.backend === 'both') await benchRemote();
