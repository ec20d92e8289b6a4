/**
 * Group commit for money movements: requests that arrive while batches are in flight wait and go
 * together in the next one, one transaction with a fixed number of statements (see
 * `features/ledger/batch.ts`). This turns one commit (one fsync, one lock hold to COMMIT) and about
 * ten round trips per movement into one commit and about ten round trips per batch.
 *
 * Up to `lanes` batches are in flight at once, each on its own connection, and no two of them hold
 * the same wallet: a batch takes waiting writes in arrival order, skipping a write whose wallet an
 * in-flight batch holds and every later write on that wallet. So one wallet's movements are
 * applied one batch after another in arrival order (a hot wallet gets one batch at a time), while
 * the round trips and the commit (fsync) of one batch overlap with the next batch's. No timer: a
 * lone request is not delayed; while a batch is in flight, the next one starts once
 * `busyStartMin` writes wait (or when the batch in flight ends), so batches stay large enough to
 * pay for their fixed statements.
 */
import { UnavailableError } from '@spendstream/core/errors';
import type { UnitOfWork } from './stores.js';
import { KeyRaceError, recordMovementBatch } from './features/ledger/batch.js';
import type { BatchMovement, BatchMovementOutcome } from './features/ledger/batch.js';

/**
 * Batches in flight at once and the most writes per batch. Two: with a second batch starting only
 * once half a full batch waits, the batches stay near full (29 movements instead of 32) at the same
 * CPU per movement, and on a quiet 2-core box one batch's round trips and commit overlap the
 * other's (docs/benchmarks.md). A hot wallet still gets one batch at a time.
 */
export const batchLanesDefault = 2;
export const batchSizeMax = 64;
/**
 * Writes waiting before a batch starts beside one already in flight: half a full batch. Smaller
 * second batches cost more CPU per movement (their fixed statements are shared by fewer), which a
 * loaded 2-core box cannot spare: with 16 the batches averaged 21 movements instead of 32 and the
 * server and MariaDB spent 10-15% more CPU per movement (docs/benchmarks.md).
 */
export const busyStartMinDefault = batchSizeMax / 2;
/** Runs of one batch when its keys race with another writer's (each run sees more keys taken). */
export const keyRaceRetriesMax = 3;
/** Writes waiting before new ones are refused with 503. */
export const queueMax = 10_000;

export interface MovementBatcher {
  submit(item: BatchMovement): Promise<BatchMovementOutcome>;
  /** Batches committed or failed so far, and the movements they carried (average batch size). */
  stats(): { batches: number; movements: number };
}

interface Waiting {
  item: BatchMovement;
  resolve: (o: BatchMovementOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for income and expenses through `recordMovementBatch`, one transaction per batch,
 * at most `lanes` batches in flight on disjoint wallets.
 */
export function createMovementBatcher(
  uow: UnitOfWork,
  options: { lanes?: number; sizeMax?: number; busyStartMin?: number } = {},
): MovementBatcher {
  const sizeMax = Math.max(1, options.sizeMax ?? batchSizeMax);
  const lanes = Math.max(1, options.lanes ?? batchLanesDefault);
  const busyStartMin = Math.max(1, Math.min(options.busyStartMin ?? busyStartMinDefault, sizeMax));
  let queue: Waiting[] = [];
  /** Wallets of the batches in flight. */
  const held = new Set<string>();
  let inFlight = 0;
  const counts = { batches: 0, movements: 0 };

  async function run(waiting: Waiting[]): Promise<void> {
    counts.batches += 1;
    counts.movements += waiting.length;
    try {
      const items = waiting.map((w) => w.item);
      let outcomes: BatchMovementOutcome[] | undefined;
      for (let attempt = 1; outcomes === undefined; attempt += 1) {
        try {
          // The key lookup runs on another connection while this one begins the transaction:
          // one round trip less on the batch's critical path.
          const prefetch = uow.read.idempotency.findMany(items);
          prefetch.catch(() => undefined);
          outcomes = await uow.transaction(async (stores) =>
            recordMovementBatch(stores, items, Date.now(), await prefetch),
          );
        } catch (error) {
          // A key stored meanwhile by another writer: the next run sees it as taken.
          if (!(error instanceof KeyRaceError) || attempt >= keyRaceRetriesMax) throw error;
        }
      }
      waiting.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      for (const w of waiting) w.reject(error);
    }
  }

  /** The next batch: waiting writes in arrival order whose wallet no batch in flight holds. */
  function take(): Waiting[] {
    const taken: Waiting[] = [];
    const rest: Waiting[] = [];
    const blocked = new Set<string>();
    for (let i = 0; i < queue.length; i += 1) {
      const w = queue[i]!;
      const wallet = w.item.body.walletId;
      if (taken.length >= sizeMax) {
        rest.push(...queue.slice(i));
        break;
      }
      if (held.has(wallet) || blocked.has(wallet)) {
        // Later writes on this wallet stay behind this one.
        blocked.add(wallet);
        rest.push(w);
      } else taken.push(w);
    }
    queue = rest;
    return taken;
  }

  function pump(): void {
    while (inFlight < lanes && queue.length > 0) {
      if (inFlight > 0 && queue.length < busyStartMin) return;
      const batch = take();
      if (batch.length === 0) return;
      const wallets = new Set(batch.map((w) => w.item.body.walletId));
      for (const wallet of wallets) held.add(wallet);
      inFlight += 1;
      void run(batch).finally(() => {
        for (const wallet of wallets) held.delete(wallet);
        inFlight -= 1;
        pump();
      });
    }
  }

  return {
    stats: () => ({ ...counts }),
    submit(item) {
      if (queue.length >= queueMax)
        return Promise.reject(new UnavailableError('too many writes waiting; retry shortly'));
      return new Promise((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
