/**
 * Group commit for money movements: writes submitted while a batch is in flight wait and go
 * together in the next one, one transaction with a savepoint each (see `UnitOfWork.batch`). This
 * turns one commit (one fsync, one lock hold to COMMIT) per movement into one per batch, which is
 * what limits a hot wallet and the embedded SQLite store.
 *
 * Writes are spread over lanes by a key (the wallet id), so one wallet's movements always queue in
 * one lane, in arrival order, and lanes never hold each other's wallet rows. No timer: a batch is
 * whatever arrived while the previous one ran, so a lone request is not delayed.
 */
import { UnavailableError } from '@spendstream/core/errors';
import type { Stores, UnitOfWork } from './stores.js';

/** Lanes (transactions in flight at once) and the most writes per batch. */
export const batchLanesDefault = 8;
export const batchSizeMax = 64;
/** Writes waiting per lane before new ones are refused with 503. */
export const laneQueueMax = 5_000;

interface Item {
  fn: (stores: Stores) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface WriteBatcher {
  submit<T>(laneKey: string, fn: (stores: Stores) => Promise<T>): Promise<T>;
}

function laneOf(key: string, lanes: number): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return (hash >>> 0) % lanes;
}

export function createWriteBatcher(
  uow: UnitOfWork,
  options: { lanes?: number } = {},
): WriteBatcher {
  const lanes = Array.from({ length: options.lanes ?? batchLanesDefault }, () => ({
    queue: [] as Item[],
    running: false,
  }));

  async function drain(lane: { queue: Item[]; running: boolean }): Promise<void> {
    lane.running = true;
    while (lane.queue.length > 0) {
      const items = lane.queue.splice(0, batchSizeMax);
      try {
        const results = await uow.batch(items.map((item) => item.fn));
        results.forEach((result, i) =>
          result.ok ? items[i]!.resolve(result.value) : items[i]!.reject(result.error),
        );
      } catch (error) {
        for (const item of items) item.reject(error);
      }
    }
    lane.running = false;
  }

  return {
    submit<T>(laneKey: string, fn: (stores: Stores) => Promise<T>): Promise<T> {
      const lane = lanes[laneOf(laneKey, lanes.length)]!;
      if (lane.queue.length >= laneQueueMax)
        return Promise.reject(new UnavailableError('too many writes waiting; retry shortly'));
      return new Promise<T>((resolve, reject) => {
        lane.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (!lane.running) void drain(lane);
      });
    },
  };
}
