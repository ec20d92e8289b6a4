/**
 * Group commit for money movements: requests submitted while a batch is in flight wait and go
 * together in the next one, one transaction with a fixed number of statements (see
 * `features/ledger/batch.ts`). This turns one commit (one fsync, one lock hold to COMMIT) and about
 * ten round trips per movement into one commit and about ten round trips per batch.
 *
 * Writes are spread over lanes by a key (the wallet id), so one wallet's movements always queue in
 * one lane, in arrival order, and lanes never hold each other's wallet rows. No timer: a batch is
 * whatever arrived while the previous one ran, so a lone request is not delayed.
 */
import { UnavailableError } from '@spendstream/core/errors';
import type { UnitOfWork } from './stores.js';
import { KeyRaceError, recordMovementBatch } from './features/ledger/batch.js';
import type { BatchMovement, BatchMovementOutcome } from './features/ledger/batch.js';

/**
 * Lanes (batches in flight at once) and the most writes per batch. One lane measured best on the
 * 2-core box (bench: 1 lane beat 2 and 8 by 1.3x to 4x), because a round trip costs more there than
 * the parallelism buys; give a bigger database more lanes with `batchLanes`.
 */
export const batchLanesDefault = 1;
export const batchSizeMax = 64;
/** Runs of one batch when its keys race with another writer's (each run sees more keys taken). */
export const keyRaceRetriesMax = 3;
/** Writes waiting per lane before new ones are refused with 503. */
export const laneQueueMax = 5_000;

function laneOf(key: string, lanes: number): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return (hash >>> 0) % lanes;
}

export interface MovementBatcher {
  submit(item: BatchMovement): Promise<BatchMovementOutcome>;
  /** Batches committed or failed so far, and the movements they carried (average batch size). */
  stats(): { batches: number; movements: number };
}

/**
 * Group commit for income and expenses: requests for one lane (by wallet id) that arrive while its
 * previous batch runs go together through `recordMovementBatch`, one transaction per batch.
 */
export function createMovementBatcher(
  uow: UnitOfWork,
  options: { lanes?: number; sizeMax?: number } = {},
): MovementBatcher {
  const sizeMax = options.sizeMax ?? batchSizeMax;
  const lanes = Array.from({ length: options.lanes ?? batchLanesDefault }, () => ({
    queue: [] as Array<{
      item: BatchMovement;
      resolve: (o: BatchMovementOutcome) => void;
      reject: (e: unknown) => void;
    }>,
    running: false,
  }));
  const counts = { batches: 0, movements: 0 };
  async function drain(lane: (typeof lanes)[number]): Promise<void> {
    lane.running = true;
    while (lane.queue.length > 0) {
      const waiting = lane.queue.splice(0, sizeMax);
      counts.batches += 1;
      counts.movements += waiting.length;
      try {
        const items = waiting.map((w) => w.item);
        let outcomes: BatchMovementOutcome[] | undefined;
        for (let attempt = 1; outcomes === undefined; attempt += 1) {
          try {
            outcomes = await uow.transaction((stores) => recordMovementBatch(stores, items));
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
    lane.running = false;
  }
  return {
    stats: () => ({ ...counts }),
    submit(item) {
      const lane = lanes[laneOf(item.body.walletId, lanes.length)]!;
      if (lane.queue.length >= laneQueueMax)
        return Promise.reject(new UnavailableError('too many writes waiting; retry shortly'));
      return new Promise((resolve, reject) => {
        lane.queue.push({ item, resolve, reject });
        if (!lane.running) void drain(lane);
      });
    },
  };
}
