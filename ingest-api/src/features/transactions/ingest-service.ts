/**
 * The ingest use case, shared by the single, batch and file-import routes: validate each item on its
 * own, check the wallet, deduplicate on (source, externalId), publish new versions to
 * `transactions.raw` keyed by user id, and report per item. Nothing is acknowledged before the event
 * log says the events are durable; when the log is slow or down the whole request fails with 503
 * (Retry-After) and its claims are released, so a retry starts clean.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  DomainError,
  NotFoundError,
  UnavailableError,
  type ErrorCode,
  type FieldProblem,
} from '@spendstream/core/errors';
import { topics, type RawTransactionV1 } from '@spendstream/core/events';
import type { EventLog, OutgoingMessage } from '@spendstream/core/event-log';
import { fieldProblems } from '@spendstream/core/http';
import {
  claimLeaseMs,
  type Claim,
  type DedupeRecord,
  type DedupeStore,
} from '../dedupe/dedupe-store.js';
import { createPublisher } from './publisher.js';
import { type Caller, resolveUser, sourceOf } from './caller.js';
import { parseTransactionInput } from './fast-input.js';
import { rawTransactionMessage } from './raw-event.js';
import { contentHash, toRawTransaction } from './to-raw.js';
import { walletViewWaitMs } from './ref-wallet-directory.js';
import { refusalError, refusedWrites, type WalletDirectory } from './wallet-directory.js';

/** Most items in one request (batch or one import chunk). */
export const batchItemsMax = 1_000;
/** Longest wait for the log to acknowledge a publish before answering 503, in ms. */
export const publishTimeoutMsDefault = 5_000;
/** Longest wait for a concurrent request that holds the claim on the same transaction, in ms. */
export const claimWaitMsDefault = 5_000;
/** Pause between looks at a claim held by another request, in ms. */
const claimPollMs = 15;
/** Most items being published at once by this process; beyond it requests get 503 at once. */
export const inFlightItemsMaxDefault = 50_000;
/** Most items claimed and published in one cycle (several requests combined). */
export const combinedItemsMax = 5_000;
/** Cycles running at once. */
const cyclesMax = 4;
/**
 * Waiting items that start another cycle while one is still claiming. Fewer wait until every
 * running cycle is waiting on the log (or for a running cycle to come round, taking everything
 * waiting): single requests then share a cycle (one insert, one send, one confirm) instead of each
 * starting a cycle of one.
 */
export const overlapItemsMin = 500;
/** After the log failed, answer 503 without trying for this long, in ms (then let one through). */
export const logBackoffMs = 1_000;

export type ItemStatus = 'accepted' | 'duplicate' | 'rejected';

export interface ItemResult {
  index: number;
  status: ItemStatus;
  externalId?: string;
  transactionId?: string;
  /** The version now durable for this transaction. */
  version?: number;
  /** For accepted items: a new transaction, a correction (new version), or a reversal. */
  outcome?: 'created' | 'corrected' | 'reversed';
  error?: { code: ErrorCode; message: string; fields: FieldProblem[] };
}

export interface IngestOptions {
  channel: NonNullable<RawTransactionV1['channel']>;
  correlationId?: string;
}

export interface IngestServiceDeps {
  log: EventLog;
  dedupe: DedupeStore;
  wallets: WalletDirectory;
  /** Physical topic for raw transactions (tests use unique names); `transactions.raw` by default. */
  topic?: string;
  now?: () => number;
  publishTimeoutMs?: number;
  claimWaitMs?: number;
  inFlightItemsMax?: number;
  /** Told how many items ended in each outcome (metrics). */
  onOutcome?: (status: ItemStatus | 'unavailable', count: number) => void;
  /** Sends to the log in flight at once (the publisher's default: 4 on Kafka, 1 embedded). */
  sendsInFlightMax?: number;
  /** How long a failed wallet check waits for a directory fed from the log to change, in ms. */
  walletWaitMs?: number;
}

export interface IngestService {
  /** Ingest items (already JSON-parsed, not yet validated); one result per item, in order. */
  ingest(caller: Caller, items: readonly unknown[], options: IngestOptions): Promise<ItemResult[]>;
  /** Counters since start, for metrics and tests. */
  readonly stats: {
    accepted: number;
    duplicate: number;
    rejected: number;
    unavailable: number;
    /** Confirms that failed after the answer (their claims go stale and are taken over). */
    confirmFailed: number;
  };
  /** Resolves when every confirm started so far has finished (before closing the SQL pool). */
  settled(): Promise<void>;
}

interface Pending {
  index: number;
  raw: RawTransactionV1;
  hash: string;
  /** The result array of the request this item came in (requests are combined in cycles). */
  sink: (ItemResult | undefined)[];
  correlationId: string | undefined;
}

/** A request's checked items, waiting for a claim-and-publish cycle. */
interface Job {
  source: string;
  items: Pending[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The claim of one item at `version` (a module function: see `mayWrite` in wallet-directory). */
function claimOf(p: Pending, version: number): Claim {
  return {
    externalId: p.raw.externalId,
    transactionId: p.raw.transactionId,
    version,
    contentHash: p.hash,
    status: p.raw.status,
  };
}

function rejection(index: number, error: unknown, externalId?: string): ItemResult {
  if (error instanceof z.ZodError) {
    const fields = fieldProblems(error);
    return {
      index,
      status: 'rejected',
      ...(externalId ? { externalId } : {}),
      error: {
        code: 'validation_failed',
        message: `${fields[0]?.path}: ${fields[0]?.message}`,
        fields,
      },
    };
  }
  if (error instanceof DomainError) {
    return {
      index,
      status: 'rejected',
      ...(externalId ? { externalId } : {}),
      error: { code: error.code, message: error.message, fields: error.fields },
    };
  }
  throw error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createIngestService(deps: IngestServiceDeps): IngestService {
  const topic = deps.topic ?? topics.transactionsRaw;
  const now = deps.now ?? Date.now;
  const publishTimeoutMs = deps.publishTimeoutMs ?? publishTimeoutMsDefault;
  const claimWaitMs = deps.claimWaitMs ?? claimWaitMsDefault;
  const inFlightItemsMax = deps.inFlightItemsMax ?? inFlightItemsMaxDefault;
  const walletWaitMs = deps.walletWaitMs ?? walletViewWaitMs;
  const stats = { accepted: 0, duplicate: 0, rejected: 0, unavailable: 0, confirmFailed: 0 };
  let inFlight = 0;
  let backoffUntil = 0;
  const publisher = createPublisher(deps.log, topic, now, deps.sendsInFlightMax);
  const jobs: Job[] = [];
  let cyclesRunning = 0;
  /** Items in `jobs`. */
  let waitingItems = 0;
  /** Cycles taking jobs or claiming keys (not waiting on the log). */
  let claiming = 0;

  /** Confirms still running after their requests were answered. */
  const confirming = new Set<Promise<void>>();

  /**
   * Publish and wait for durability; on any failure the claims go and the request gets 503. The
   * confirm (claims become the durable version) runs after the answer: the event is already in the
   * log, a request for the same key meanwhile waits on the claim and then sees a duplicate, and a
   * confirm that never lands leaves a claim that goes stale and is taken over by republishing the
   * same event id. Returns the confirm (wrapped: a returned promise would be awaited).
   */
  async function publish(
    messages: OutgoingMessage[],
    token: string,
  ): Promise<{ confirm: Promise<void> }> {
    try {
      await publisher.publish(messages, publishTimeoutMs);
    } catch (error) {
      backoffUntil = now() + logBackoffMs;
      stats.unavailable += messages.length;
      deps.onOutcome?.('unavailable', messages.length);
      await deps.dedupe.release(token);
      if (error instanceof UnavailableError) throw error;
      throw new UnavailableError('the event log is unavailable; nothing was accepted, retry', 1, {
        cause: error,
      });
    }
    const confirm = deps.dedupe
      .confirm(token)
      .catch(() => {
        stats.confirmFailed++;
      })
      .finally(() => confirming.delete(confirm));
    confirming.add(confirm);
    return { confirm };
  }

  async function ingest(
    caller: Caller,
    items: readonly unknown[],
    options: IngestOptions,
  ): Promise<ItemResult[]> {
    if (items.length > batchItemsMax) {
      throw new DomainError(
        'payload_too_large',
        `at most ${batchItemsMax} items per request (batchItemsMax)`,
        {
          field: 'items',
        },
      );
    }
    // Fail fast while the log is known to be failing, or a send has been stuck past the timeout:
    // queueing more behind it would only turn into 503s later.
    if (now() < backoffUntil || publisher.inFlightForMs() > publishTimeoutMs) {
      throw new UnavailableError(
        'the event log is unavailable; retry shortly',
        Math.ceil(logBackoffMs / 1000),
      );
    }
    if (inFlight + items.length > inFlightItemsMax) {
      throw new UnavailableError(
        'too many transactions are waiting for the event log; retry shortly',
        1,
      );
    }
    inFlight += items.length;
    try {
      return await ingestAdmitted(caller, items, options);
    } finally {
      inFlight -= items.length;
    }
  }

  /**
   * Claim, publish, confirm; keys claimed by a concurrent request are looked at again shortly.
   * New keys are claimed first, optimistically (one insert-or-ignore for every item that is not a
   * reversal): when all are new, as for most traffic, that one statement is the whole dedupe
   * check. Only the keys it did not win are read and judged (duplicate, correction, reversal,
   * claim held elsewhere).
   */
  async function runWave(
    source: string,
    wave: Pending[],
    deadline: number,
  ): Promise<Promise<void>[]> {
    const confirms: Promise<void>[] = [];
    let remaining = wave;
    while (remaining.length > 0) {
      const token = randomUUID();
      const tNow = now();
      const staleBefore = tNow - claimLeaseMs;
      const won: { p: Pending; version: number; previous: number }[] = [];
      const retry: Pending[] = [];
      const candidates = remaining.filter((p) => p.raw.status !== 'reversed');
      const got =
        candidates.length > 0
          ? await deps.dedupe.claimNew(
              source,
              candidates.map((p) => claimOf(p, 1)),
              token,
              tNow,
            )
          : new Set<string>();
      const known: Pending[] = [];
      for (const p of remaining) {
        if (got.has(p.raw.externalId)) won.push({ p, version: 1, previous: 0 });
        else known.push(p);
      }

      // The keys claimed above must not stay claimed if judging the rest fails (database error).
      try {
        const records =
          known.length > 0
            ? await deps.dedupe.read(
                source,
                known.map((p) => p.raw.externalId),
              )
            : new Map<string, DedupeRecord>();
        const next: { p: Pending; version: number; expected: number }[] = [];
        for (const p of known) {
          const record = records.get(p.raw.externalId);
          if (!record) {
            if (p.raw.status === 'reversed') {
              p.sink[p.index] = rejection(
                p.index,
                new NotFoundError('no transaction with this externalId to reverse', {
                  field: 'externalId',
                }),
                p.raw.externalId,
              );
            } else retry.push(p); // its claim was released between our insert and this read
            continue;
          }
          if (record.pending && record.pending.sinceMs >= staleBefore) {
            retry.push(p);
            continue;
          }
          if (record.version === 0) {
            next.push({ p, version: 1, expected: 0 }); // a stale first claim: take it over
            continue;
          }
          const same =
            record.contentHash === p.hash ||
            record.history.includes(p.hash) ||
            (record.status === 'reversed' && p.raw.status === 'reversed');
          if (same) {
            p.sink[p.index] = {
              index: p.index,
              status: 'duplicate',
              externalId: p.raw.externalId,
              transactionId: record.transactionId,
              version: record.version,
            };
            continue;
          }
          next.push({ p, version: record.version + 1, expected: record.version });
        }
        for (const n of next) {
          const ok = await deps.dedupe.claimExisting(
            source,
            claimOf(n.p, n.version),
            n.expected,
            token,
            tNow,
            staleBefore,
          );
          if (ok) won.push({ p: n.p, version: n.version, previous: n.expected });
          else retry.push(n.p);
        }
      } catch (error) {
        await deps.dedupe.release(token).catch(() => undefined);
        throw error;
      }

      if (won.length > 0) {
        const producedAt = new Date(now()).toISOString();
        const messages = won.map(({ p, version }) =>
          rawTransactionMessage(p.raw, producedAt, p.correlationId, version),
        );
        // From here this cycle waits on the log: another may claim what has queued meanwhile.
        claiming--;
        void pumpJobs();
        try {
          confirms.push((await publish(messages, token)).confirm);
        } finally {
          claiming++;
        }
        for (const { p, version, previous } of won) {
          p.sink[p.index] = {
            index: p.index,
            status: 'accepted',
            externalId: p.raw.externalId,
            transactionId: p.raw.transactionId,
            version,
            outcome:
              p.raw.status === 'reversed' ? 'reversed' : previous === 0 ? 'created' : 'corrected',
          };
        }
      }

      remaining = retry;
      if (remaining.length > 0) {
        if (now() >= deadline) {
          for (const p of remaining) {
            p.sink[p.index] = rejection(
              p.index,
              new UnavailableError(
                'a concurrent request is still publishing this transaction; retry',
                1,
                {
                  field: 'externalId',
                },
              ),
              p.raw.externalId,
            );
          }
          return confirms;
        }
        await sleep(claimPollMs);
      }
    }
    return confirms;
  }

  /**
   * Claim-and-publish cycles: each takes every waiting request of one source (up to
   * `combinedItemsMax` items) and runs them together; up to `cyclesMax` cycles overlap when
   * enough is waiting (`overlapItemsMin`), so the SQL of one overlaps the send of another. The same externalId twice (in one request or two) is
   * judged in order, in waves: the second after the first is durable (duplicate, correction or
   * reversal).
   */
  async function pumpJobs(): Promise<void> {
    if (cyclesRunning >= cyclesMax || jobs.length === 0) return;
    if (claiming > 0 && waitingItems < overlapItemsMin) return;
    cyclesRunning++;
    claiming++;
    try {
      while (jobs.length > 0) {
        // Little waiting: let the requests already received reach the queue first (one turn of
        // the event loop), so they share this cycle. With the embedded log every cycle blocks the
        // loop for its SQLite commits, and cycles of one request each were its single-request stall.
        if (waitingItems < overlapItemsMin) {
          await new Promise((resolve) => setImmediate(resolve));
          if (jobs.length === 0) break;
        }
        const source = jobs[0]!.source;
        const taken: Job[] = [];
        let count = 0;
        for (let i = 0; i < jobs.length;) {
          const job = jobs[i]!;
          if (
            job.source === source &&
            (taken.length === 0 || count + job.items.length <= combinedItemsMax)
          ) {
            taken.push(job);
            count += job.items.length;
            waitingItems -= job.items.length;
            jobs.splice(i, 1);
          } else i++;
        }
        try {
          const waves: Pending[][] = [];
          const seen = new Map<string, number>();
          for (const p of taken.flatMap((j) => j.items)) {
            const n = seen.get(p.raw.externalId) ?? 0;
            seen.set(p.raw.externalId, n + 1);
            (waves[n] ??= []).push(p);
          }
          const deadline = now() + claimWaitMs;
          for (const [i, wave] of waves.entries()) {
            const confirms = await runWave(source, wave, deadline);
            // A later wave repeats keys of this one: let it see them confirmed, not pending.
            if (i < waves.length - 1) await Promise.all(confirms);
          }
          for (const job of taken) job.resolve();
        } catch (error) {
          for (const job of taken) job.reject(error);
        }
      }
    } finally {
      cyclesRunning--;
      claiming--;
    }
  }

  async function ingestAdmitted(
    caller: Caller,
    items: readonly unknown[],
    options: IngestOptions,
  ): Promise<ItemResult[]> {
    const source = sourceOf(caller);
    const nowMs = now();
    const results: (ItemResult | undefined)[] = new Array(items.length);
    const valid: Pending[] = [];

    // 1. Each item on its own: schema, caller's right to the user, the payload rules.
    items.forEach((item, index) => {
      const externalId =
        item &&
        typeof item === 'object' &&
        typeof (item as { externalId?: unknown }).externalId === 'string'
          ? (item as { externalId: string }).externalId.slice(0, 200)
          : undefined;
      try {
        const input = parseTransactionInput(item);
        const userId = resolveUser(caller, input.userId);
        const raw = toRawTransaction(input, { source, userId, channel: options.channel, nowMs });
        valid.push({
          index,
          raw,
          hash: contentHash(raw),
          sink: results,
          correlationId: options.correlationId,
        });
      } catch (error) {
        results[index] = rejection(index, error, externalId);
      }
    });

    // 2. Wallets: the user must be allowed to write to it. Unknown and foreign look the same.
    const refusals = await refusedWrites(
      deps.wallets,
      valid.map((p) => p.raw),
      walletWaitMs,
      now,
    );
    for (const [i, reason] of refusals) {
      const p = valid[i]!;
      results[p.index] = rejection(p.index, refusalError(reason), p.raw.externalId);
    }
    const writable = valid.filter((_, i) => !refusals.has(i));

    // 3. Claim and publish in a cycle shared with the other requests waiting now (group commit:
    // one dedupe read, one insert, one send and one confirm for all of them).
    await new Promise<void>((resolve, reject) => {
      jobs.push({ source, items: writable, resolve, reject });
      waitingItems += writable.length;
      void pumpJobs();
    });

    const out = results.map((r, i) => r ?? rejection(i, new UnavailableError('not processed', 1)));
    for (const r of out) stats[r.status]++;
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const r of out) counts[r.status]++;
    for (const [status, count] of Object.entries(counts) as [ItemStatus, number][]) {
      if (count > 0) deps.onOutcome?.(status, count);
    }
    return out;
  }

  return {
    ingest,
    stats,
    async settled() {
      await Promise.all([...confirming]);
    },
  };
}
