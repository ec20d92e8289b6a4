/**
 * The lease port: a named lease held by one owner until it expires, renewed by its holder, taken
 * by anyone once expired. Used so that one outbox relay runs per database.
 */
export interface LeaseStore {
  /**
   * Take or renew `name` for `owner` until `now + ttlMs`: true when `owner` holds it afterwards
   * (it was free, expired at `now`, or already `owner`'s), false when another owner holds it.
   */
  acquire(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Give the lease up if `owner` holds it, so another instance takes over at once. */
  release(name: string, owner: string): Promise<void>;
  /** The current holder and expiry, if any row exists. */
  get(name: string): Promise<{ owner: string; expiresAt: number } | undefined>;
}
