/**
 * Shared setup of the chaos suite: the stream jobs on the real servers (Kafka, FerretDB,
 * OpenSearch), each test with its own topic prefix, database and index, and a workload with every
 * kind of disorder. Everything here is data the test builds itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { createEventLog, type EventLog, type OutgoingMessage } from '@spendstream/core/event-log';
import { topicNames, topics } from '@spendstream/core/events';
import type { RawTransactionV1 } from '@spendstream/core/events/transactions';
import { createLogger, createMemoryLogger } from '@spendstream/core/log';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { seededRandom } from '@spendstream/core/testing/random';
import {
  createMongoDocumentStore,
  dropMongoDatabase,
} from '../src/features/documents/mongo-store.js';
import {
  rawTransaction,
  sampleMerchants,
  shuffled,
} from '../src/features/documents/test-documents.js';
import { createStreamJobs, type StreamJobs } from '../src/features/pipeline/stream-jobs.js';
import {
  annotatedEvent,
  correctionEvent,
  eventually,
  rawEvent,
  settingsEvent,
} from '../src/features/pipeline/test-harness.js';
import { formatReport, reconcile } from '../src/features/reconcile/reconcile.js';
import { createOpenSearchIndex } from '../src/features/search/opensearch-index.js';
import type { ExecutionContext } from 'ava';

/** Partitions of each test topic: enough for two workers to share. */
export const testPartitions = 4;

export interface RealSetup {
  prefix: string;
  dbName: string;
  indexName: string;
  eventLog: EventLog;
  store: ReturnType<typeof createMongoDocumentStore>;
  index: ReturnType<typeof createOpenSearchIndex>;
  start(): Promise<StreamJobs>;
  env: Record<string, string>;
}

export async function realSetup(
  t: ExecutionContext,
  name: string,
  /**
   * A private server's address instead of the shared one (a test that stops a server starts its
   * own); `logs`: the jobs' warnings on stderr.
   */
  options: {
    kafkaBrokers?: string;
    mongoUrl?: string;
    openSearchUrl?: string;
    logs?: boolean;
  } = {},
): Promise<RealSetup> {
  const shared = realServers(['KAFKA_BROKERS', 'MONGODB_URL', 'OPENSEARCH_URL']);
  const servers = {
    KAFKA_BROKERS: options.kafkaBrokers ?? shared.KAFKA_BROKERS,
    MONGODB_URL: options.mongoUrl ?? shared.MONGODB_URL,
    OPENSEARCH_URL: options.openSearchUrl ?? shared.OPENSEARCH_URL,
  };
  const prefix = `${uniqueName(name)}_`;
  const dbName = uniqueName(`${name}_db`);
  const indexName = uniqueName(`${name}_ix`);
  const eventLog = await createEventLog({ kafkaBrokers: servers.KAFKA_BROKERS, clientId: prefix });
  for (const topic of topicNames)
    await eventLog.createTopic(`${prefix}${topic}`, { partitions: testPartitions });
  const store = createMongoDocumentStore({ url: servers.MONGODB_URL, dbName });
  const index = createOpenSearchIndex({ url: servers.OPENSEARCH_URL, index: indexName });
  await store.init();
  await index.init();
  const workers: StreamJobs[] = [];
  t.teardown(async () => {
    for (const worker of workers) await worker.stop(1_000);
    await eventLog.close();
    await store.close();
    await index.drop();
    await index.close();
    await dropMongoDatabase(servers.MONGODB_URL, dbName);
  });
  return {
    prefix,
    dbName,
    indexName,
    eventLog,
    store,
    index,
    async start() {
      const log = options.logs
        ? createLogger({ service: 'stream-jobs', level: 'warn' })
        : createMemoryLogger('stream-jobs', 'silent').log;
      const jobs = createStreamJobs({
        eventLog,
        store,
        index,
        log,
        topicPrefix: prefix,
        groupId: `${prefix}jobs`,
        batchSizeMax: 200,
      });
      await jobs.start();
      workers.push(jobs);
      return jobs;
    },
    env: {
      KAFKA_BROKERS: servers.KAFKA_BROKERS,
      MONGODB_URL: servers.MONGODB_URL,
      OPENSEARCH_URL: servers.OPENSEARCH_URL,
      CHAOS_PREFIX: prefix,
      CHAOS_DB: dbName,
      CHAOS_INDEX: indexName,
    },
  };
}

export interface Workload {
  /** Messages in the order to send them. */
  messages: OutgoingMessage[];
  /** Per transaction id, the final raw version and whether a recategorization and an annotation apply. */
  finals: Map<string, { version: number; recategorized: boolean; annotated: boolean }>;
  /** Recategorizations and annotations, sent after the raw events. */
  corrections: OutgoingMessage[];
}

/** The tag the workload's annotations set. */
const annotatedTag = 'chaos-annotated';

/**
 * `count` transactions over a few users: 10% corrected (v2), 5% reversed (v3), 5% 30 days late,
 * 10% recategorized, 10% annotated (tags and note); every raw event delivered `copies` times, all in a shuffled order.
 */
export function workload(count: number, seed: number, copies = 3): Workload {
  const random = seededRandom(seed);
  const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
  const today = DateTime.utc().startOf('day');
  const setup: OutgoingMessage[] = users.map((userId, i) =>
    settingsEvent({
      userId,
      revision: 1,
      timeZone: i % 2 === 0 ? 'Pacific/Auckland' : 'America/Los_Angeles',
      homeCurrency: 'NZD',
      locale: 'en-NZ',
      alerts: { enabled: true },
      updatedAt: '2026-01-01T00:00:00Z',
    }),
  );
  const raws: OutgoingMessage[] = [];
  const corrections: OutgoingMessage[] = [];
  const finals = new Map<string, { version: number; recategorized: boolean; annotated: boolean }>();
  const merchants = sampleMerchants;
  for (let i = 0; i < count; i += 1) {
    const late = random() < 0.05;
    const occurredAt = today
      .minus({ days: late ? 30 : Math.floor(random() * 3), minutes: Math.floor(random() * 1440) })
      .toISO()!;
    const base: Partial<RawTransactionV1> = {
      transactionId: `tx${seed}-${i}`,
      userId: users[i % users.length]!,
      merchant: merchants[Math.floor(random() * merchants.length)]!,
      amount: {
        amount: BigInt(100 + Math.floor(random() * 20_000)),
        currency: random() < 0.2 ? 'USD' : 'NZD',
      },
      occurredAt,
    };
    const versions: RawTransactionV1[] = [rawTransaction(base)];
    if (random() < 0.1)
      versions.push(
        rawTransaction({ ...base, version: 2, amount: { amount: 777n, currency: 'NZD' } }),
      );
    if (random() < 0.05)
      versions.push(rawTransaction({ ...base, version: versions.length + 1, status: 'reversed' }));
    for (const raw of versions)
      for (let c = 0; c < copies; c += 1)
        raws.push(rawEvent(raw, `raw-${raw.transactionId}-v${raw.version}-c${c}`));
    const recategorized = random() < 0.1;
    if (recategorized) {
      corrections.push(
        correctionEvent({
          correctionId: `c-${base.transactionId}`,
          transactionId: base.transactionId!,
          userId: base.userId!,
          category: 'presents',
          applyToMerchant: false,
          correctedAt: '2026-11-25T10:00:00Z',
        }),
      );
    }
    const annotated = random() < 0.1;
    if (annotated) {
      corrections.push(
        annotatedEvent({
          correctionId: `a-${base.transactionId}`,
          transactionId: base.transactionId!,
          userId: base.userId!,
          tags: [annotatedTag],
          note: 'annotated in the chaos suite',
          annotatedAt: '2026-11-25T10:00:00Z',
        }),
      );
    }
    finals.set(base.transactionId!, { version: versions.length, recategorized, annotated });
  }
  return { messages: [...setup, ...shuffled(raws, random)], finals, corrections };
}

/** Sends raw (and settings) messages in chunks to the prefixed topics. */
export async function sendWorkload(
  setup: RealSetup,
  load: Workload,
  from = 0,
  to = load.messages.length,
): Promise<void> {
  const slice = load.messages.slice(from, to);
  for (let i = 0; i < slice.length; i += 500) {
    const chunk = slice.slice(i, i + 500);
    const settings = chunk.filter((m) => isSettings(m));
    const raws = chunk.filter((m) => !isSettings(m));
    if (settings.length > 0)
      await setup.eventLog.send(`${setup.prefix}${topics.refUserSettings}`, settings);
    if (raws.length > 0)
      await setup.eventLog.send(`${setup.prefix}${topics.transactionsRaw}`, raws);
  }
}

export async function sendCorrections(setup: RealSetup, load: Workload): Promise<void> {
  if (load.corrections.length > 0) {
    await setup.eventLog.send(`${setup.prefix}${topics.transactionsCorrections}`, load.corrections);
  }
}

function isSettings(message: OutgoingMessage): boolean {
  return String(message.value).includes('"user_settings.snapshot"');
}

/** Waits until every transaction's document is at its final version (and recategorized where due) and indexed. */
export async function waitForFinals(
  setup: RealSetup,
  load: Workload,
  timeoutMs = 240_000,
  /** Whether the recategorizations were sent and must show. */
  withCorrections = false,
): Promise<boolean> {
  const ids = [...load.finals.keys()];
  return eventually(
    async () => {
      const docs = await setup.store.getTransactions(ids);
      for (const [id, final] of load.finals) {
        const doc = docs.get(id);
        if (!doc || doc.rawVersion !== final.version) return false;
        if (
          withCorrections &&
          final.recategorized &&
          doc.status === 'booked' &&
          doc.category.id !== 'presents'
        )
          return false;
        if (withCorrections && final.annotated && !doc.tags.includes(annotatedTag)) return false;
      }
      await setup.index.refresh();
      const versions = await setup.index.versions(ids);
      return ids.every((id) => versions.get(id) === docs.get(id)!.version);
    },
    timeoutMs,
    1_000,
  );
}

/** Runs reconcile on the test's topics and stores; asserts it is clean. */
export async function assertReconcileClean(t: ExecutionContext, setup: RealSetup): Promise<void> {
  const report = await reconcile({
    store: setup.store,
    index: setup.index,
    eventLog: setup.eventLog,
    topicPrefix: setup.prefix,
  });
  t.true(report.ok, formatReport(report));
  t.true((report.checks['ingested-transactions-have-documents']?.checked ?? 0) > 0);
}

/** How long a SIGSTOP may take to stop every thread of a process (a loaded box, a JVM's threads). */
const stopTakesHoldMs = 5_000;

/** Whether every thread of `pid` is stopped (state T in /proc/<pid>/task/<tid>/stat). */
function everyThreadStopped(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.every((tid) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      return true; // a thread that ended meanwhile
    }
    // "tid (comm) S ...": the state follows the command name, which may itself hold ") ".
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  });
}

/**
 * Freezes a process (SIGSTOP) for `ms`, then thaws it (SIGCONT) whatever happens. `frozen` settles
 * once every thread of it is stopped (a signal takes hold thread by thread; a probe sent before
 * that may still be answered), `thawed` once it runs again; the `ms` count from `frozen`. Only ever
 * a private server's pid: freezing a shared one would stall every other test file running meanwhile.
 */
export function freezeProcess(
  pid: number,
  ms: number,
): { frozen: Promise<void>; thawed: Promise<void> } {
  process.kill(pid, 'SIGSTOP');
  const frozen = eventually(() => everyThreadStopped(pid), stopTakesHoldMs, 10).then((stopped) => {
    if (!stopped) throw new Error(`process ${pid} not stopped ${stopTakesHoldMs} ms after SIGSTOP`);
  });
  // A stop that never took hold thaws at once (the caller gets frozen's error).
  const thawed = frozen
    .then(
      () => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      () => undefined,
    )
    .finally(() => process.kill(pid, 'SIGCONT'));
  return { frozen, thawed };
}
