/**
 * The background fold of confirmed tokens: on the SQL store a confirm only records its token
 * (`ingest_dedupe_confirmed`); this loop folds the claims of tokens older than `foldAgeMs` into
 * their rows and forgets the tokens, so the table stays about `foldAgeMs` of confirms long. Each
 * run also deletes the Idempotency-Key records past their keep time (`idempotencyKeepMs`), which
 * nothing else removes.
 */
import type { Logger } from '@spendstream/core/log';
import type { DedupeStore } from './dedupe-store.js';
import type { IdempotencyStore } from './idempotency-store.js';

/** How often the fold runs, in ms. */
export const confirmedFoldIntervalMs = 5_000;
/** How old a confirmed token must be before it is folded, in ms. */
export const confirmedFoldAgeMs = 60_000;
/**
 * Most tokens folded per statement pair (one batch). A token of a full batch cycle claimed about
 * 1,000 rows, so one fold statement rewrites up to ~10,000 rows (~0.1 s of MariaDB).
 */
export const confirmedFoldBatchTokens = 10;
/** Most batches per run: 100 x 10 tokens per 5 s = 200 tokens/s, 8x the ~25/s of full batch load. */
export const confirmedFoldBatchesPerRunMax = 100;

export interface ConfirmedFoldOptions {
  dedupe: DedupeStore;
  /** When given, each run also purges its expired records. */
  idempotency?: Pick<IdempotencyStore, 'purgeExpired'>;
  log: Logger;
  intervalMs?: number;
  ageMs?: number;
  batchTokens?: number;
  now?: () => number;
}

export interface ConfirmedFold {
  /** Fold once now and purge expired Idempotency-Keys (what each tick does); returns the tokens forgotten. */
  runOnce(): Promise<number>;
  /** No further runs; waits for one in progress. */
  stop(): Promise<void>;
}

export function startConfirmedFold(options: ConfirmedFoldOptions): ConfirmedFold {
  const intervalMs = options.intervalMs ?? confirmedFoldIntervalMs;
  const ageMs = options.ageMs ?? confirmedFoldAgeMs;
  const batchTokens = options.batchTokens ?? confirmedFoldBatchTokens;
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;
  let stopped = false;

  const foldAll = async (): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < confirmedFoldBatchesPerRunMax && !stopped; batch++) {
      const folded = await options.dedupe.foldConfirmed(now() - ageMs, batchTokens);
      total += folded;
      if (folded < batchTokens) break;
    }
    if (options.idempotency && !stopped) await options.idempotency.purgeExpired(now());
    return total;
  };
  const runOnce = (): Promise<number> => {
    running ??= foldAll().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((error: unknown) =>
      options.log.warn('dedupe: folding confirmed tokens failed', { err: error }),
    );
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
