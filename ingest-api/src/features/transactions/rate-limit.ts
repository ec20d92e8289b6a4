/**
 * Per-client rate limit: a token bucket per caller, counted in transactions (a batch of 1,000 costs
 * 1,000), so one bank cannot starve the others. Over the limit: 429 with Retry-After. In memory, per
 * process: the limit is per instance, which is what protects that instance.
 */
import { RateLimitedError } from '@spendstream/core/errors';

/** Most callers tracked at once; the least recently seen are forgotten beyond it. */
export const rateLimitCallersMax = 10_000;

export interface RateLimiter {
  /** Take `cost` tokens for `caller` or throw RateLimitedError saying when to retry. */
  take(caller: string, cost: number): void;
}

export function createRateLimiter(options: {
  itemsPerSecond: number;
  burstItems: number;
  now?: () => number;
}): RateLimiter {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(caller, cost) {
      const t = now();
      let bucket = buckets.get(caller);
      if (!bucket) {
        if (buckets.size >= rateLimitCallersMax) {
          const oldest = buckets.keys().next().value;
          if (oldest !== undefined) buckets.delete(oldest);
        }
        bucket = { tokens: options.burstItems, at: t };
      } else {
        buckets.delete(caller); // re-insert below: Map order is our LRU order
        bucket.tokens = Math.min(
          options.burstItems,
          bucket.tokens + ((t - bucket.at) / 1000) * options.itemsPerSecond,
        );
        bucket.at = t;
      }
      buckets.set(caller, bucket);
      if (bucket.tokens < cost) {
        const waitSeconds = Math.max(1, Math.ceil((cost - bucket.tokens) / options.itemsPerSecond));
        throw new RateLimitedError(
          `rate limit of ${options.itemsPerSecond} transactions per second exceeded; retry in ${waitSeconds} s`,
          waitSeconds,
        );
      }
      bucket.tokens -= cost;
    },
  };
}
