/**
 * The stream jobs on the event log: one consumer group reading raw transactions, corrections,
 * wallet events and the reference topics. A batch is handled fully (documents, rollups, index,
 * enriched events, alerts) before the handler returns, and only then does the log commit it, so a
 * crash redelivers what was not fully written and the idempotent writes make the redelivery
 * harmless.
 *
 * - Poison messages (undecodable, unknown version, invalid, or failing deterministically in
 *   enrichment) go to the dead-letter topic with the reason and the original bytes.
 * - A sink that is down (MongoDB, search, the log) makes the handler retry with backoff, holding
 *   the batch: the consumer stops fetching (back-pressure) and resumes where it was.
 * - `stop()` lets the batch in flight finish or, when it is stuck on a sink, abandons it uncommitted.
 */
import { DateTime } from 'luxon';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  deadLetterFor,
  decodeEvent,
  encodeEvent,
  encodeEventWithWire,
  EventDecodeError,
  eventTypes,
  topics,
  type TopicEvent,
  type TopicName,
} from '@spendstream/core/events';
import type { AlertRaisedV1 } from '@spendstream/core/events/alerts';
import type {
  RawTransactionV1,
  TransactionAnnotatedV1,
  TransactionRecategorizedV1,
} from '@spendstream/core/events/transactions';
import type {
  Consumer,
  EventLog,
  IncomingMessage,
  MessageBatch,
  SubscribeOptions,
} from '@spendstream/core/event-log';
import type { Logger } from '@spendstream/core/log';
import { DomainError, ValidationError } from '@spendstream/core/errors';
import {
  budgetAlerts,
  largeTransactionAlerts,
  lowBalanceAlerts,
  unusualBaselineDays,
  unusualSpendingAlerts,
} from '../alerts/alert-rules.js';
import { alertIdentity, alertRaisedV1Schema } from '@spendstream/core/events/alerts';
import { BoundedMap } from '@spendstream/core/bounded-map';
import {
  applyBatchSizeMax,
  getRollupsInParts,
  type AlertBatch,
  type ApplyItem,
  type DocumentStore,
  type StateEntry,
} from '../documents/store.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import { enrich, rawOfDocument } from '../enrich/enrich.js';
import { enrichedEventOf } from './enriched-event.js';
import { unknownMerchantKey } from '../enrich/merchants.js';
import { createRatesTable, type RatesTable } from '../enrich/rates.js';
import {
  addAmountsInto,
  copyAmounts,
  cellKeyOf,
  cellKeyOfParts,
  transactionCellsOf,
  encodeKeyPart,
  zeroAmounts,
  type Dimension,
  type RollupGrain,
} from '../rollups/contributions.js';
import { indexBatchSizeMax, type SearchIndex } from '../search/search-index.js';
import {
  loadUserState,
  loadUserStates,
  mergeAnnotation,
  revisionOrder,
  stateKinds,
  userContextOf,
  type AnnotationValue,
  type OverrideValue,
  type UserState,
} from './user-state.js';

/** The consumer group of the stream jobs. */
export const streamJobsGroupDefault = 'stream-jobs';
/** The topics the jobs read. */
export const inputTopics: readonly TopicName[] = [
  topics.refUserSettings,
  topics.refBudgets,
  topics.refCategoryRules,
  topics.refWallets,
  topics.transactionsRaw,
  topics.transactionsCorrections,
  topics.walletEvents,
];
/** Messages per batch handed to the handler, on MongoDB (FerretDB: each read decodes its collection). */
export const batchSizeMaxDefault = 500;
/**
 * Messages per batch on the embedded store: a batch costs a fixed number of SQLite commits (each a
 * WAL fsync) and statements, and the alert rules read each user's trailing days once per batch, so
 * larger batches spread them over more transactions (measured in docs/benchmarks.md: 2,000 -> 5,000
 * saved about a sixth of the CPU of a 10,000-transaction backlog); at a steady 1,000/s the batches
 * stay small anyway. A batch is one `apply` and one `index` call, so it stays within both bounds.
 */
export const embeddedBatchSizeMaxDefault = Math.min(applyBatchSizeMax, indexBatchSizeMax);
/** The largest `batchSizeMax` accepted: the embedded default, which is what both calls take. */
const batchSizeMaxAccepted = embeddedBatchSizeMaxDefault;
/** Backoff between retries of a batch whose sink failed, growing to the max. */
export const retryDelayMsMin = 100;
export const retryDelayMsMax = 5_000;
/** A batch failing this many times for a reason other than a sink being down is logged as stuck. */
export const stuckAttemptsLog = 10;
/** How often, at most, a worker looks for alerts recorded but never published. */
export const unpublishedSweepIntervalMs = 30_000;
/** An unpublished alert younger than this may still be in a batch in flight: left alone. */
export const unpublishedAlertAgeMs = 120_000;
/** Most unpublished alerts published per sweep. */
export const unpublishedSweepSizeMax = 1_000;
/** How long `stop()` waits for the batch in flight before abandoning it. */
export const stopGraceMsDefault = 10_000;
/** Months of category history for "large for you". */
export const largeHistoryMonths = 3;
/** Look-back periods kept between batches (a month's 3 months or a day's 28 days each). */
export const lookbackCachedMax = 4_096;
/**
 * Alert-rule key lists kept between batches, per user x currency x day (28 keys) or x category x
 * month (3 keys): at most about 8 MB of strings.
 */
export const alertKeysCachedMax = 4_096;

export interface StreamJobsOptions {
  eventLog: EventLog;
  store: DocumentStore;
  index: SearchIndex;
  log: Logger;
  registry?: Registry;
  groupId?: string;
  rates?: RatesTable;
  batchSizeMax?: number;
  /** The clock, for late marking; tests pin it. */
  now?: () => DateTime;
  /** Service name in events' `source`. */
  source?: string;
  /**
   * Prefix of every topic name on the log (`test_x_` reads `test_x_transactions.raw`), so tests on
   * a shared broker stay apart; the events inside are the same.
   */
  topicPrefix?: string;
}

export interface StreamJobs {
  start(): Promise<void>;
  /**
   * Lets the batch in flight finish (and commit) for up to `graceMs`; a batch still held after that
   * (a sink down) is abandoned uncommitted. Then leaves the group.
   */
  stop(graceMs?: number): Promise<void>;
  /**
   * Settles once `stop()` has run. A consumer that dies on its own (the broker went away) is not
   * an end: the jobs join the group again, with backoff, until they succeed or are stopped.
   */
  readonly stopped: Promise<unknown>;
  /** Handles one batch as the consumer would (exposed for tests and the benchmark). */
  handleBatch(batch: MessageBatch): Promise<void>;
}

interface Metrics {
  messages: Counter<'topic' | 'outcome'>;
  batchSeconds: Histogram<'topic'>;
  eventLagSeconds: Gauge<'topic' | 'partition'>;
  retries: Counter<'sink'>;
  alerts: Counter<'rule' | 'late'>;
  rejoins: Counter;
  stepSeconds: Histogram<'step'>;
}

function createMetrics(registry: Registry | undefined): Metrics {
  const registers = registry ? [registry] : [];
  return {
    messages: new Counter({
      name: 'stream_jobs_messages_total',
      help: 'Messages handled, by topic and outcome (processed, stale, dead_lettered).',
      labelNames: ['topic', 'outcome'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'stream_jobs_batch_duration_seconds',
      help: 'Time to handle one batch fully.',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    eventLagSeconds: new Gauge({
      name: 'stream_jobs_event_lag_seconds',
      help: 'Consumer lag in time: now minus the produce time of the last message handled, per partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    retries: new Counter({
      name: 'stream_jobs_sink_retries_total',
      help: 'Batch retries because a sink failed (back-pressure).',
      labelNames: ['sink'],
      registers,
    }),
    stepSeconds: new Histogram({
      name: 'stream_jobs_step_duration_seconds',
      help: 'Time of each step of a batch of raw transactions: apply (documents + rollups), index, publish (enriched), alert_rules, alert_record.',
      labelNames: ['step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    rejoins: new Counter({
      name: 'stream_jobs_consumer_rejoins_total',
      help: 'Times the consumer died on its own (e.g. the broker went away) and the jobs joined again.',
      registers,
    }),
    alerts: new Counter({
      name: 'stream_jobs_alerts_total',
      help: 'Alerts raised (first time only).',
      labelNames: ['rule', 'late'],
      registers,
    }),
  };
}

/**
 * Alerts to publish: their messages, `producedAt`, and what marks them published: the batch that
 * recorded them (`insertAlerts`), or their ids (the sweep's, which may take a part of a batch).
 */
interface RecordedAlerts {
  messages: Array<{ key: string; value: Buffer }>;
  mark: { batch: AlertBatch | null } | { alertIds: string[] };
  fresh: AlertRaisedV1[];
  producedAt: string;
}

/** The first document of each transaction id (a batch may hold several deliveries of one). */
function uniqueById(docs: TransactionDocument[]): TransactionDocument[] {
  const first = new Map<string, TransactionDocument>();
  for (const doc of docs) if (!first.has(doc.id)) first.set(doc.id, doc);
  return [...first.values()];
}

function isPoison(error: unknown): boolean {
  return (
    error instanceof EventDecodeError ||
    (error instanceof DomainError && error.code === 'validation_failed')
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Stopped while a batch was held: the batch is left uncommitted. */
export class StoppingError extends Error {
  constructor() {
    super('stream jobs are stopping: batch left uncommitted');
    this.name = 'StoppingError';
  }
}

export function createStreamJobs(options: StreamJobsOptions): StreamJobs {
  const { eventLog, store, index, log } = options;
  const batchSizeMax =
    options.batchSizeMax ??
    (store.kind === 'embedded' ? embeddedBatchSizeMaxDefault : batchSizeMaxDefault);
  // A batch of raw transactions is one `apply` and one `index` call: it must fit both.
  if (!Number.isInteger(batchSizeMax) || batchSizeMax < 1 || batchSizeMax > batchSizeMaxAccepted)
    throw new ValidationError(
      `batchSizeMax must be a whole number from 1 to ${batchSizeMaxAccepted}`,
      { field: 'batchSizeMax' },
    );
  const groupId = options.groupId ?? streamJobsGroupDefault;
  const rates = options.rates ?? createRatesTable();
  const now = options.now ?? (() => DateTime.utc());
  const source = options.source ?? 'stream-jobs';
  const metrics = createMetrics(options.registry);
  const prefix = options.topicPrefix ?? '';
  const physical = (topic: TopicName) => `${prefix}${topic}`;
  const logical = (name: string) => name.slice(prefix.length) as TopicName;
  const abort = new AbortController();
  let consumer: Consumer | undefined;
  let resolveStopped: (value: unknown) => void = () => {};
  const stopped = new Promise<unknown>((resolve) => (resolveStopped = resolve));

  async function deadLetter(message: IncomingMessage, error: unknown): Promise<void> {
    const event = deadLetterFor({
      topic: logical(message.topic),
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      consumer: groupId,
      error,
      source,
    });
    await eventLog.send(physical(topics.deadLetter), [
      { key: event.key, value: encodeEvent(topics.deadLetter, event) },
    ]);
    metrics.messages.inc({ topic: logical(message.topic), outcome: 'dead_lettered' });
    log.warn('message dead-lettered', {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset.toString(),
      reason: error instanceof Error ? error.message : String(error),
    });
  }

  /** Runs `fn` until it succeeds; sink failures wait and retry (back-pressure). */
  async function untilWritten<T>(sink: string, fn: () => Promise<T>): Promise<T> {
    let delay = retryDelayMsMin;
    for (let attempt = 1; ; attempt += 1) {
      if (abort.signal.aborted) throw new StoppingError();
      try {
        return await fn();
      } catch (error) {
        if (abort.signal.aborted) throw new StoppingError();
        metrics.retries.inc({ sink });
        const fields = {
          sink,
          attempt,
          error: error instanceof Error ? error.message : String(error),
        };
        if (attempt % stuckAttemptsLog === 0)
          log.error('sink still failing; holding the batch', fields);
        else log.warn('sink failed; retrying', fields);
        await sleep(delay, abort.signal);
        delay = Math.min(delay * 2, retryDelayMsMax);
      }
    }
  }

  /** Runs one step of a batch and records its duration. */
  async function timed<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const end = metrics.stepSeconds.startTimer({ step });
    try {
      return await fn();
    } finally {
      end();
    }
  }

  const userCache = new Map<string, UserState>();
  async function userState(userId: string, from: DocumentStore = store): Promise<UserState> {
    let state = userCache.get(userId);
    if (!state) {
      state = await loadUserState(from, userId);
      userCache.set(userId, state);
    }
    return state;
  }

  /**
   * Publishes alerts recorded by an attempt that crashed between recording and publishing. Only
   * alerts older than `unpublishedAlertAgeMs` are taken, so a batch still in flight elsewhere is
   * not published twice.
   */
  let lastSweep = 0;
  async function sweepUnpublished(): Promise<void> {
    if (Date.now() - lastSweep < unpublishedSweepIntervalMs) return;
    lastSweep = Date.now();
    const cutoff = now().minus({ milliseconds: unpublishedAlertAgeMs }).toUTC().toISO()!;
    const records = await store.listAlerts({
      unpublishedOnly: true,
      limit: unpublishedSweepSizeMax,
    });
    const due = records
      .filter((record) => record.createdAt < cutoff)
      .map((record) => alertRaisedV1Schema.parse(record.payload));
    if (due.length === 0) return;
    const at = now().toUTC().toISO()!;
    await publish({
      messages: due.map((alert) => alertMessage(alert, at)),
      mark: { alertIds: due.map((alert) => alert.alertId) },
      fresh: [],
      producedAt: at,
    });
  }

  /** An alert as the message published on `alerts` (validated and encoded once). */
  function alertMessage(alert: AlertRaisedV1, producedAt: string) {
    return alertEncoded(alert, producedAt).message;
  }

  /** The alert's message and the wire form of its payload (what is recorded and re-published). */
  function alertEncoded(alert: AlertRaisedV1, producedAt: string) {
    const event = {
      id: alert.alertId,
      type: eventTypes.alertRaised,
      version: 1 as const,
      key: alert.userId,
      occurredAt: alert.firedAt,
      producedAt,
      source,
      payload: alert,
    };
    const { bytes, wire, payloadText } = encodeEventWithWire(
      topics.alerts,
      event as TopicEvent<typeof topics.alerts>,
    );
    return {
      message: { key: event.key, value: bytes },
      payload: wire.payload as Record<string, unknown>,
      payloadText,
    };
  }

  /** Marks recorded alerts published once they are on the log. */
  async function markPublished(recorded: RecordedAlerts): Promise<void> {
    const { mark } = recorded;
    if ('batch' in mark) {
      if (mark.batch !== null) await store.markAlertBatchPublished(mark.batch, recorded.producedAt);
    } else if (mark.alertIds.length > 0)
      await store.markAlertsPublished(mark.alertIds, recorded.producedAt);
    for (const alert of recorded.fresh)
      metrics.alerts.inc({ rule: alert.rule, late: String(alert.late) });
  }

  /** Sends alert messages, then marks their alerts published. */
  async function publish(recorded: RecordedAlerts): Promise<void> {
    await eventLog.sendTopics([{ topic: physical(topics.alerts), messages: recorded.messages }]);
    await markPublished(recorded);
  }

  /**
   * Records the candidates in `into` and returns those recorded for the first time, to publish.
   * Each alert is validated and encoded once: the recorded payload is the wire form the encoder
   * wrote into the message (not parsed back from its bytes), which is what the sweep re-publishes.
   */
  async function recordAlerts(
    candidates: AlertRaisedV1[],
    into: DocumentStore,
  ): Promise<RecordedAlerts> {
    const producedAt = now().toUTC().toISO()!;
    if (candidates.length === 0)
      return { messages: [], mark: { batch: null }, fresh: [], producedAt };
    const encoded = candidates.map((alert) => alertEncoded(alert, producedAt));
    const { fresh: inserted, batch } = await into.insertAlerts(
      candidates.map((alert, i) => ({
        alertId: alert.alertId,
        identity: alertIdentity(alert),
        userId: alert.userId,
        // The payload exactly as written in the message (wire form), without parsing it back,
        // and its JSON text from the message's encoding (not stringified a second time).
        payload: encoded[i]!.payload,
        payloadText: encoded[i]!.payloadText,
        createdAt: alert.firedAt,
        publishedAt: null,
      })),
    );
    const fresh = candidates.filter((_, i) => inserted[i]);
    return {
      messages: encoded.filter((_, i) => inserted[i]).map((e) => e.message),
      mark: { batch },
      fresh,
      producedAt,
    };
  }

  /** Records the candidates, then publishes those recorded for the first time. */
  async function publishAlerts(candidates: AlertRaisedV1[]): Promise<void> {
    if (candidates.length === 0) return;
    await publish(await recordAlerts(candidates, store));
  }

  /**
   * The periods the alert rules look back over, per local month and local day: computed once for
   * all the documents that share them (luxon date arithmetic is a visible share of a batch's CPU
   * when done per document) and kept across batches (calendar arithmetic: a period's answer never
   * changes; the small batches of a steady 1,000/s computed them again each time), up to
   * `lookbackCachedMax` periods.
   */
  const lookbackCache = new BoundedMap<string, string[]>(lookbackCachedMax);
  function lookback(kind: 'months' | 'days', period: string): string[] {
    const cacheKey = `${kind}|${period}`;
    let periods = lookbackCache.get(cacheKey);
    if (!periods) {
      periods =
        kind === 'months'
          ? Array.from({ length: largeHistoryMonths }, (_, i) =>
              DateTime.fromISO(`${period}-01`, { zone: 'utc' })
                .minus({ months: i + 1 })
                .toFormat('yyyy-MM'),
            )
          : Array.from({ length: unusualBaselineDays }, (_, i) =>
              DateTime.fromISO(period, { zone: 'utc' })
                .minus({ days: i + 1 })
                .toISODate()!,
            );
      lookbackCache.set(cacheKey, periods);
    }
    return periods;
  }

  /**
   * Cell keys the alert rules read, per user, currency and period: the documents of one user and
   * day share their 28 trailing-day keys (building each key was a visible share of a batch's CPU
   * when done per document). The keys are a function of those parts alone, so they are kept across
   * batches (at a steady 1,000/s a batch holds about one transaction per user and built every key
   * again), up to `alertKeysCachedMax` entries.
   */
  const alertKeysCache = new BoundedMap<string, string[]>(alertKeysCachedMax);
  function alertKeys(
    doc: TransactionDocument,
    kind: 'history' | 'trailing',
    build: (
      cell: (grain: RollupGrain, dimension: Dimension, key: string, period: string) => string,
    ) => string[],
  ): string[] {
    const cacheKey =
      kind === 'history'
        ? `${kind}|${doc.userId}|${doc.homeCurrency}|${doc.category.id}|${doc.localMonth}`
        : `${kind}|${doc.userId}|${doc.homeCurrency}|${doc.localDate}`;
    let keys = alertKeysCache.get(cacheKey);
    if (!keys) {
      const user = encodeKeyPart(doc.userId);
      const currency = encodeKeyPart(doc.homeCurrency);
      keys = build((grain, dimension, key, period) =>
        cellKeyOfParts(user, grain, period, dimension, key, currency),
      );
      alertKeysCache.set(cacheKey, keys);
    }
    return keys;
  }

  /** The rollup cells the alert rules read for one document (budget, category history, days). */
  function alertCellsOf(doc: TransactionDocument, state: UserState) {
    const cell = (grain: RollupGrain, dimension: Dimension, key: string, period: string) =>
      cellKeyOf({ userId: doc.userId, grain, period, dimension, key, currency: doc.homeCurrency });
    const budgets = doc.budgets.flatMap((ref) => {
      const budget = state.budgets?.budgets.find((b) => b.budgetId === ref.budgetId);
      return budget
        ? [{ ref, budget, cellKey: cell('budget', 'budget', ref.budgetId, ref.start) }]
        : [];
    });
    const spending = doc.direction === 'out' && !doc.kind.startsWith('transfer');
    const history = spending
      ? alertKeys(doc, 'history', (key) =>
          lookback('months', doc.localMonth).map((month) =>
            key('month', 'category', doc.category.id, month),
          ),
        )
      : [];
    const trailingDays = spending
      ? alertKeys(doc, 'trailing', (key) =>
          lookback('days', doc.localDate).map((day) => key('day', 'total', 'all', day)),
        )
      : [];
    const today = cell('day', 'total', 'all', doc.localDate);
    return { budgets, spending, history, trailingDays, today };
  }

  /**
   * Alerts a set of freshly applied documents may raise, read from the rollups just written: every
   * cell the rules need, for the whole batch, in one read by cell key (on FerretDB each query costs
   * a pass over the collection, so one read per batch instead of three per transaction).
   */
  async function evaluateAlerts(
    docs: TransactionDocument[],
    from: DocumentStore,
  ): Promise<AlertRaisedV1[]> {
    const booked = docs.filter((doc) => doc.status === 'booked');
    if (booked.length === 0) return [];
    const plans = [];
    for (const doc of booked) {
      const state = await userState(doc.userId, from);
      plans.push({ doc, state, cells: alertCellsOf(doc, state) });
    }
    // Indexed loops, no spreads: in this async function each step of a `for...of` or a spread
    // made an iterator result (about 50 a transaction, 1.6 KB).
    const keys = new Set<string>();
    for (let p = 0; p < plans.length; p += 1) {
      const cells = plans[p]!.cells;
      for (let i = 0; i < cells.budgets.length; i += 1) keys.add(cells.budgets[i]!.cellKey);
      if (!cells.spending) continue;
      for (let i = 0; i < cells.history.length; i += 1) keys.add(cells.history[i]!);
      for (let i = 0; i < cells.trailingDays.length; i += 1) keys.add(cells.trailingDays[i]!);
      keys.add(cells.today);
    }
    const rows = await getRollupsInParts(from, [...keys]);
    const amountsOf = (key: string) => rows.get(key)?.amounts;
    const alerts: AlertRaisedV1[] = [];
    const at = now();
    for (let p = 0; p < plans.length; p += 1) {
      const { doc, state, cells } = plans[p]!;
      for (let i = 0; i < cells.budgets.length; i += 1) {
        const { ref, budget, cellKey } = cells.budgets[i]!;
        pushAll(
          alerts,
          budgetAlerts({
            userId: doc.userId,
            budget,
            period: ref,
            timeZone: doc.timeZone,
            spent: amountsOf(cellKey) ?? zeroAmounts,
            transactionId: doc.id,
            now: at,
          }),
        );
      }
      if (!cells.spending) continue;
      const history = copyAmounts(zeroAmounts);
      for (let i = 0; i < cells.history.length; i += 1) {
        const amounts = amountsOf(cells.history[i]!);
        if (amounts) addAmountsInto(history, amounts, 1n);
      }
      pushAll(alerts, largeTransactionAlerts({ doc, settings: state.settings, history, now: at }));
      const trailing: bigint[] = [];
      for (let i = 0; i < cells.trailingDays.length; i += 1) {
        const amounts = amountsOf(cells.trailingDays[i]!);
        if (amounts) trailing.push(amounts.expense - amounts.refund);
      }
      pushAll(
        alerts,
        unusualSpendingAlerts({
          doc,
          settings: state.settings,
          day: amountsOf(cells.today) ?? zeroAmounts,
          trailing,
          now: at,
        }),
      );
    }
    return alerts;
  }

  /**
   * The store's and the index's steps of a batch: apply (documents and rollups), index what the
   * store holds, run the alert rules on it and record their alerts. `retry` wraps each step: a
   * retry of its own on separate commits, none inside one shared transaction (that is retried
   * whole).
   */
  async function storeAndRecord(
    items: ApplyItem[],
    into: DocumentStore,
    indexInto: SearchIndex,
    retry: <T>(sink: string, fn: () => Promise<T>) => Promise<T>,
  ): Promise<{ docs: TransactionDocument[]; recorded: RecordedAlerts }> {
    const outcomes = await timed('apply', () => retry('documents', () => into.apply(items)));
    // Index and publish what the store holds: for a stale item (a redelivery) that is the stored
    // version, which may have been written by an attempt that crashed before indexing.
    const staleIds = items.filter((_, i) => outcomes[i] === 'stale').map((item) => item.doc.id);
    const stored =
      staleIds.length > 0
        ? await retry('documents', () => into.getTransactions(staleIds))
        : new Map<string, TransactionDocument>();
    const latest = new Map<string, TransactionDocument>();
    items.forEach((item, i) => {
      const doc = outcomes[i] === 'applied' ? item.doc : stored.get(item.doc.id);
      if (doc && (latest.get(doc.id)?.version ?? -1) < doc.version) latest.set(doc.id, doc);
    });
    const docs = [...latest.values()];
    await timed('index', () => retry('search', () => indexInto.index(docs)));
    // The rules run for every version written now and for every redelivered one that is the
    // stored version: an attempt that crashed after writing it may not have run them. An alert it
    // did record is not recorded (nor published) again: its id is the alert's identity.
    const toCheck = items.flatMap((item, i) => {
      if (outcomes[i] === 'applied') return [item.doc];
      const doc = stored.get(item.doc.id);
      return doc && doc.version === item.doc.version ? [doc] : [];
    });
    const candidates = await timed('alert_rules', () =>
      retry('documents', () => evaluateAlerts(uniqueById(toCheck), into)),
    );
    const recorded = await timed('alert_record', () =>
      retry('alerts', () => recordAlerts(candidates, into)),
    );
    return { docs, recorded };
  }

  /**
   * When the store and the index share one SQL database (the embedded default: one SQLite file),
   * a batch's apply, index and alert records are one transaction of it: one commit (a WAL fsync)
   * instead of three, and all of them or none.
   */
  const sharedSql =
    store.sql !== undefined && index.sql !== undefined && store.sql.knex === index.sql.knex
      ? { knex: store.sql.knex, store: store.sql, index: index.sql }
      : undefined;
  const inline = <T>(_sink: string, fn: () => Promise<T>) => fn();

  /**
   * Writes a batch's documents everywhere: store, index and alert records (one transaction where
   * they share a database), then the enriched events and the fresh alerts on the log (one commit on
   * the embedded log), then marks those alerts published. A crash between the records and the
   * sends is finished by the redelivery (enriched events) and the sweep of unpublished alerts.
   */
  async function writeDocuments(items: ApplyItem[]): Promise<void> {
    if (items.length === 0) return;
    const { docs, recorded } = sharedSql
      ? await untilWritten('documents', () =>
          sharedSql.knex.transaction((trx) =>
            storeAndRecord(items, sharedSql.store.within(trx), sharedSql.index.within(trx), inline),
          ),
        )
      : await storeAndRecord(items, store, index, untilWritten);
    const producedAt = now().toUTC().toISO()!;
    const enriched = docs.map((doc) => ({
      key: doc.userId,
      value: encodeEvent(topics.transactionsEnriched, enrichedEventOf(doc, producedAt, source)),
    }));
    await timed('publish', () =>
      untilWritten('event-log', () =>
        eventLog.sendTopics([
          { topic: physical(topics.transactionsEnriched), messages: enriched },
          { topic: physical(topics.alerts), messages: recorded.messages },
        ]),
      ),
    );
    await timed('alert_mark', () => untilWritten('alerts', () => markPublished(recorded)));
  }

  async function handleRaw(
    decoded: Array<{ message: IncomingMessage; event: TopicEvent<typeof topics.transactionsRaw> }>,
  ): Promise<void> {
    const items: ApplyItem[] = [];
    const { overrides, annotations } = await correctionsOf(
      decoded.map(({ event }) => (event.payload as RawTransactionV1).transactionId),
    );
    // Every user of the batch in one query per kind (the cache is per batch).
    const missing = [
      ...new Set(decoded.map(({ event }) => (event.payload as RawTransactionV1).userId)),
    ].filter((userId) => !userCache.has(userId));
    if (missing.length > 0) {
      const loaded = await untilWritten('documents', () => loadUserStates(store, missing));
      for (const [userId, state] of loaded) userCache.set(userId, state);
    }
    // One clock reading for the batch: its documents are processed together.
    const at = now();
    for (const { message, event } of decoded) {
      const raw = event.payload as RawTransactionV1;
      try {
        const state =
          userCache.get(raw.userId) ??
          (await untilWritten('documents', () => userState(raw.userId)));
        const doc = enrich({
          raw,
          eventId: event.id,
          user: userContextOf(
            state,
            overrides.get(raw.transactionId)?.value as OverrideValue | undefined,
            annotations.get(raw.transactionId)?.value as AnnotationValue | undefined,
          ),
          rates,
          now: at,
        });
        items.push({ doc, cells: transactionCellsOf(doc) });
      } catch (error) {
        if (!isPoison(error)) throw error;
        await untilWritten('event-log', () => deadLetter(message, error));
      }
    }
    await writeDocuments(items);
    // Counted once written (documents, rollups, index, enriched event, alerts), not when enriched.
    if (items.length > 0)
      metrics.messages.inc({ topic: topics.transactionsRaw, outcome: 'processed' }, items.length);
  }

  /** Per transaction id, its stored recategorization and annotation, if any. */
  async function correctionsOf(
    ids: string[],
  ): Promise<{ overrides: Map<string, StateEntry>; annotations: Map<string, StateEntry> }> {
    const [overrides, annotations] = await untilWritten('documents', () =>
      Promise.all([
        store.getStates(stateKinds.override, ids),
        store.getStates(stateKinds.annotation, ids),
      ]),
    );
    return { overrides, annotations };
  }

  /** The order of a recategorization among those of its transaction: `correctedAt`, then its id. */
  function correctionOrder(correction: TransactionRecategorizedV1): string {
    return `${DateTime.fromISO(correction.correctedAt).toUTC().toISO()}|${correction.correctionId}`;
  }

  /**
   * Stores a correction (recategorization or annotation) when it is newer than what is stored, then
   * re-enriches the stored document with every correction of the transaction. The document is
   * re-enriched even when the correction was already stored: a crash between storing it and
   * writing the document is finished by the redelivery (an applied version is `stale`, a no-op).
   */
  async function handleCorrection(
    event: TopicEvent<typeof topics.transactionsCorrections>,
  ): Promise<void> {
    const { transactionId, userId } = event.payload;
    if (event.type === eventTypes.transactionAnnotated) {
      const annotation = event.payload as TransactionAnnotatedV1;
      const current = await untilWritten('documents', () =>
        store.getState(stateKinds.annotation, transactionId),
      );
      const next = mergeAnnotation(current?.value as AnnotationValue | undefined, annotation);
      if (next)
        await untilWritten('documents', () =>
          store.putState({
            kind: stateKinds.annotation,
            key: transactionId,
            userId,
            order: revisionOrder(next.revision),
            value: next,
          }),
        );
    } else {
      const correction = event.payload as TransactionRecategorizedV1;
      const order = correctionOrder(correction);
      const current = await untilWritten('documents', () =>
        store.getState(stateKinds.override, transactionId),
      );
      if (!current || current.order < order) {
        const revision = ((current?.value as OverrideValue | undefined)?.revision ?? 0) + 1;
        await untilWritten('documents', () =>
          store.putState({
            kind: stateKinds.override,
            key: transactionId,
            userId,
            order,
            value: { category: correction.category, revision },
          }),
        );
      }
    }
    // Read after the transaction's own correction is stored: a raw transaction written meanwhile
    // either is read here or read that correction itself.
    const found = (
      await untilWritten('documents', () => store.getTransactions([transactionId]))
    ).get(transactionId);
    const existing = found?.userId === userId ? found : undefined;
    if (event.type === eventTypes.transactionRecategorized) {
      const correction = event.payload as TransactionRecategorizedV1;
      // "This merchant from now on" is learned under stream-jobs' own key of the stored
      // transaction (`carrefour`, `raw:blue-bottle`), the one later transactions are looked up by;
      // the event's key (analytics-api knows only the display name) is the fallback for a
      // transaction not stored yet. Nothing is learned for a transaction without a merchant.
      const merchantKey = correction.applyToMerchant
        ? (existing?.merchantKey ?? correction.merchantKey)
        : undefined;
      if (merchantKey && merchantKey !== unknownMerchantKey) {
        await untilWritten('documents', () =>
          store.putState({
            kind: stateKinds.merchantCorrection,
            key: `${userId}|${merchantKey}`,
            userId,
            order: correctionOrder(correction),
            value: { category: correction.category },
          }),
        );
        userCache.delete(userId);
      }
    }
    if (!existing) return; // the raw transaction will pick them up
    const { overrides, annotations } = await correctionsOf([transactionId]);
    const state = await untilWritten('documents', () => userState(userId));
    const doc = enrich({
      raw: rawOfDocument(existing),
      eventId: existing.sourceEventId,
      user: userContextOf(
        state,
        overrides.get(transactionId)?.value as OverrideValue | undefined,
        annotations.get(transactionId)?.value as AnnotationValue | undefined,
      ),
      rates,
      now: now(),
    });
    await writeDocuments([{ doc, cells: transactionCellsOf(doc) }]);
  }

  /**
   * Stores a batch of reference snapshots in one `putStates` call (on FerretDB one read and one
   * insert for users seen for the first time, instead of a conditional update per snapshot).
   */
  async function handleReferences(
    topic: TopicName,
    decoded: Array<{ message: IncomingMessage; event: { payload: unknown } }>,
  ): Promise<void> {
    const kinds: Partial<Record<TopicName, string>> = {
      [topics.refUserSettings]: stateKinds.settings,
      [topics.refBudgets]: stateKinds.budgets,
      [topics.refCategoryRules]: stateKinds.rules,
      [topics.refWallets]: stateKinds.wallets,
    };
    const kind = kinds[topic]!;
    const entries = decoded.map(({ message, event }): StateEntry => {
      const payload = event.payload as { userId: string; revision: number };
      // Stored in wire form (amounts as strings), decoded again on read.
      const wire = (JSON.parse(message.value.toString('utf8')) as { payload: unknown }).payload;
      return {
        kind,
        key: payload.userId,
        userId: payload.userId,
        order: revisionOrder(payload.revision),
        value: wire,
      };
    });
    if (entries.length > 0) await untilWritten('documents', () => store.putStates(entries));
    for (const entry of entries) userCache.delete(entry.userId);
    metrics.messages.inc({ topic, outcome: 'processed' }, entries.length);
  }

  async function handleWalletEvent(event: TopicEvent<typeof topics.walletEvents>): Promise<void> {
    if (event.type !== eventTypes.walletBalanceChanged) return;
    const change = event.payload as {
      userId: string;
      walletId: string;
      balance: { amount: bigint; currency: 'EUR' };
      postedAt: string;
      transactionId: string;
    };
    const state = await untilWritten('documents', () => userState(change.userId));
    const wallet = state.wallets?.wallets.find((w) => w.walletId === change.walletId);
    if (!wallet) return;
    const alerts = lowBalanceAlerts({
      userId: change.userId,
      wallet,
      balance: change.balance,
      postedAt: change.postedAt,
      transactionId: change.transactionId,
      timeZone: state.settings?.timeZone ?? 'UTC',
      now: now(),
    });
    if (alerts.length > 0) await untilWritten('alerts', () => publishAlerts(alerts));
  }

  async function handleBatch(batch: MessageBatch): Promise<void> {
    await handlePartitionBatches([batch]);
  }

  /**
   * Handles the batches of one topic's partitions (every partition of a fetch with messages) as
   * one batch: one user's messages are all on one partition, in order, so they stay in order, and
   * what a batch costs whatever its size (the commits and their fsyncs) is paid once.
   */
  async function handlePartitionBatches(batches: MessageBatch[]): Promise<void> {
    const topic = logical(batches[0]!.topic);
    await untilWritten('alerts', () => sweepUnpublished());
    const timer = metrics.batchSeconds.startTimer({ topic });
    userCache.clear();
    const decoded: Array<{ message: IncomingMessage; event: TopicEvent<TopicName> }> = [];
    for (const message of batches.flatMap((batch) => batch.messages)) {
      try {
        decoded.push({ message, event: decodeEvent(topic, message.value) });
      } catch (error) {
        await untilWritten('event-log', () => deadLetter(message, error));
      }
    }
    if (topic === topics.transactionsRaw) {
      await handleRaw(decoded as never);
    } else if (topic !== topics.transactionsCorrections && topic !== topics.walletEvents) {
      await handleReferences(topic, decoded);
    } else {
      for (const { message, event } of decoded) {
        try {
          if (topic === topics.transactionsCorrections) await handleCorrection(event as never);
          else await handleWalletEvent(event as never);
          metrics.messages.inc({ topic, outcome: 'processed' });
        } catch (error) {
          if (!isPoison(error)) throw error;
          await untilWritten('event-log', () => deadLetter(message, error));
        }
      }
    }
    const lastOfPartition = new Map<number, TopicEvent<TopicName>>();
    for (const { message, event } of decoded) lastOfPartition.set(message.partition, event);
    for (const [partition, last] of lastOfPartition) {
      const lag = (now().toMillis() - DateTime.fromISO(last.producedAt).toMillis()) / 1000;
      metrics.eventLagSeconds.set({ topic, partition: String(partition) }, Math.max(0, lag));
    }
    timer();
  }

  let stopping = false;
  /** Joins the group; when the consumer dies on its own (the broker went away), joins again. */
  async function join(): Promise<void> {
    const subscription: SubscribeOptions = {
      groupId,
      topics: inputTopics.map(physical),
      partitionBatchesHandler: handlePartitionBatches,
      from: 'earliest',
      batchSizeMax,
    };
    const joined = await eventLog.subscribe(subscription);
    consumer = joined;
    if (stopping) {
      await joined.close();
      return;
    }
    void joined.stopped.then(async (reason) => {
      if (stopping) return;
      metrics.rejoins.inc();
      log.error('stream jobs consumer stopped; joining the group again', {
        error: reason instanceof Error ? reason.message : String(reason),
      });
      // The batch in flight (if any) finishes first: one handler per partition at a time.
      await joined.close().catch(() => undefined);
      let delay = retryDelayMsMin;
      while (!stopping) {
        try {
          await join();
          log.warn('stream jobs joined the group again');
          return;
        } catch (error) {
          log.warn('joining the group failed; retrying', {
            error: error instanceof Error ? error.message : String(error),
          });
          await sleep(delay, abort.signal);
          delay = Math.min(delay * 2, retryDelayMsMax);
        }
      }
    });
  }

  return {
    stopped,
    handleBatch,
    async start() {
      await store.init();
      await index.init();
      await join();
    },
    async stop(graceMs = stopGraceMsDefault) {
      stopping = true;
      const closing = consumer ? consumer.close() : Promise.resolve();
      const timer = setTimeout(() => abort.abort(), graceMs);
      try {
        await closing;
      } finally {
        clearTimeout(timer);
        abort.abort();
        resolveStopped(undefined);
      }
    },
  };
}

/** Appends `items` to `target` (what `target.push(...items)` does, without an iterator). */
function pushAll<T>(target: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i += 1) target.push(items[i]!);
}
