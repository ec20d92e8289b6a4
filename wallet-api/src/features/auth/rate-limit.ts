/**
 * A fixed-window counter per key (an account, an address), in memory: enough to stop password
 * guessing against one process. Several wallet-api instances each keep their own counts, so the
 * effective limit grows with the instance count; the bound per instance still holds.
 */
import { RateLimitedError } from '@spendstream/core/errors';

/** Most keys tracked at once; the oldest windows go first when full. */
export const rateLimitKeysMax = 100_000;

export interface RateLimiter {
  /** Throw RateLimitedError (429 with Retry-After) when `key` used up its window. */
  check(key: string, now?: number): void;
  /** Count one event against `key`. */
  hit(key: string, now?: number): void;
  reset(key: string): void;
}

export function createRateLimiter(options: {
  limit: number;
  windowMs: number;
  what: string;
}): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string, now: number) => {
    const w = windows.get(key);
    if (!w || now - w.start >= options.windowMs) return undefined;
    return w;
  };
  return {
    check(key, now = Date.now()) {
      const w = current(key, now);
      if (w && w.count >= options.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((w.start + options.windowMs - now) / 1000));
        throw new RateLimitedError(
          `too many ${options.what}; try again in ${retryAfterSeconds} s`,
          retryAfterSeconds,
        );
      }
    },
    hit(key, now = Date.now()) {
      const w = current(key, now);
      if (w) {
        w.count += 1;
        return;
      }
      windows.delete(key);
      if (windows.size >= rateLimitKeysMax) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      windows.set(key, { start: now, count: 1 });
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
