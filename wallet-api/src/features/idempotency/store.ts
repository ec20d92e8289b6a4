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
  /** Claim many keys in one statement; keys already present are left as they are. */
  claimMany(records: IdempotencyRecord[]): Promise<void>;
  findMany(keys: Array<{ principal: string; key: string }>): Promise<IdempotencyRecord[]>;
  /** Store the responses of claimed keys (whole records, upserted in one statement). */
  completeMany(records: IdempotencyRecord[]): Promise<void>;
  removeMany(keys: Array<{ principal: string; key: string }>): Promise<void>;
  /** Delete records that expired before `now`, at most `limit`. */
  purgeExpired(now: number, limit: number): Promise<number>;
}
