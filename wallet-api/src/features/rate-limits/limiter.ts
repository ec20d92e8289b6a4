/**
 * Fixed-window rate limits kept in the database (`rate_limits`), so every wallet-api instance on
 * one database counts against the same limit. Subjects (an email, an address) are stored as a
 * sha256 under the limiter's scope, never in clear.
 */
import { createHash } from 'node:crypto';
import { RateLimitedError } from '@spendstream/core/errors';
import type { UnitOfWork } from '../../stores.js';

/** Ended windows deleted per purge call (the relay's idle loop runs it). */
export const rateLimitPurgeBatchMax = 1000;

export interface RateLimiter {
  /**
   * Count one attempt for `subject` and throw RateLimitedError (429 with Retry-After) when it goes
   * beyond the limit. Atomic across instances: of N concurrent attempts at most `limit` pass.
   */
  consume(subject: string, now?: number): Promise<void>;
  /**
   * Take back the attempt `consume` counted, for limits on failures only: consume before the check
   * (so at most `limit` concurrent attempts are checked at all), release when it succeeded.
   */
  release(subject: string, now?: number): Promise<void>;
  /** Forget `subject`'s window (after a successful login). */
  reset(subject: string): Promise<void>;
}

export function createRateLimiter(options: {
  uow: UnitOfWork;
  /** Names the counter in the table (`login-account`), so two limiters never share a bucket. */
  scope: string;
  limit: number;
  windowMs: number;
  /** What is counted, for the message: `failed logins for this account`. */
  what: string;
}): RateLimiter {
  const { uow } = options;
  const bucket = (subject: string) =>
    `${options.scope}:${createHash('sha256').update(subject).digest('hex')}`;
  const refuse = (windowEndsAt: number, now: number): never => {
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEndsAt - now) / 1000));
    throw new RateLimitedError(
      `too many ${options.what}; try again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  };
  return {
    async consume(subject, now = Date.now()) {
      const window = await uow.transaction((s) =>
        s.rateLimits.hit(bucket(subject), now, options.windowMs),
      );
      if (window.hits > options.limit) refuse(window.windowEndsAt, now);
    },
    async release(subject, now = Date.now()) {
      await uow.transaction((s) => s.rateLimits.unhit(bucket(subject), now));
    },
    async reset(subject) {
      await uow.transaction((s) => s.rateLimits.remove(bucket(subject)));
    },
  };
}

/** Delete ended windows in bounded batches; returns how many went. */
export function purgeEndedRateLimits(uow: UnitOfWork, now = Date.now()): Promise<number> {
  return uow.transaction((s) => s.rateLimits.purgeEnded(now, rateLimitPurgeBatchMax));
}
