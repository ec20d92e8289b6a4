/**
 * The idempotency port: one row per (principal, Idempotency-Key), claimed in the same transaction
 * as the write it guards and completed with the response before that transaction commits.
 */
export interface IdempotencyRecord {
  principal: string;
  key: string;
  /** sha256 of method, path and canonical body: a reused key with another request is a 409. */
  requestHash: string;
  responseStatus: number | null;
  responseBody: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface IdempotencyStore {
  /** Insert the claim; false when the (principal, key) row already exists. */
  claim(record: IdempotencyRecord): Promise<boolean>;
  find(principal: string, key: string): Promise<IdempotencyRecord | undefined>;
  complete(principal: string, key: string, status: number, body: string): Promise<void>;
  remove(principal: string, key: string): Promise<void>;
  findMany(keys: Array<{ principal: string; key: string }>): Promise<IdempotencyRecord[]>;
  /**
   * Insert complete records (with their responses) in one statement; false when one of the keys
   * exists already, in which case nothing was inserted (the statement is undone as a whole).
   */
  insertMany(records: IdempotencyRecord[]): Promise<boolean>;
  removeMany(keys: Array<{ principal: string; key: string }>): Promise<void>;
  /** Delete records that expired before `now`, at most `limit`. */
  purgeExpired(now: number, limit: number): Promise<number>;
}
