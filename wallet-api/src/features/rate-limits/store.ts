/**
 * The rate-limit port: fixed-window counters in the shared database, so every instance of
 * wallet-api counts against the same limit.
 */
export interface RateWindow {
  hits: number;
  /** When the window ends, ms since the epoch. */
  windowEndsAt: number;
}

export interface RateLimitStore {
  /**
   * Count one hit on `bucket` atomically and return the window after it: a new window of
   * `windowMs` with one hit when there was none or the last one ended.
   */
  hit(bucket: string, now: number, windowMs: number): Promise<RateWindow>;
  /** The bucket's live window, if any (an ended one reads as none). */
  get(bucket: string, now: number): Promise<RateWindow | undefined>;
  /** Take back one hit of the live window (an attempt that turned out not to count). */
  unhit(bucket: string, now: number): Promise<void>;
  remove(bucket: string): Promise<void>;
  /** Delete windows that ended before `now`, at most `limit`; returns how many went. */
  purgeEnded(now: number, limit: number): Promise<number>;
}
