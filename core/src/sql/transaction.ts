/**
 * One transaction scope: `withTransaction` opens it at the top of a use case and hands the knex
 * transaction down to the stores; a call made with a transaction already open joins it, so a
 * store never opens one of its own.
 */
import type { Knex } from 'knex';
import type { SqlExecutor } from './create-sql.js';

/** How often a transaction the server aborted (deadlock, lock wait) is run again. */
export const transactionRetriesMax = 3;

/** Driver errors after which running the whole transaction again is safe and may succeed. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ER_LOCK_DEADLOCK' ||
    code === 'ER_LOCK_WAIT_TIMEOUT' ||
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_BUSY_SNAPSHOT'
  );
}

/** A unique or primary key violation on either dialect (the usual idempotency signal). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

export interface TransactionOptions {
  /** MySQL isolation level; SQLite is always serializable. */
  isolationLevel?: Knex.IsolationLevels;
  /** Runs again after a deadlock; 0 to surface the first one. */
  retriesMax?: number;
}

/**
 * Run `fn` in a transaction: committed when it resolves, rolled back when it throws. Given a
 * transaction, `fn` runs inside it. On a deadlock the whole of `fn` runs again (so it must have no
 * effect outside the transaction), up to `retriesMax` times.
 */
export async function withTransaction<T>(
  db: SqlExecutor,
  fn: (trx: Knex.Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (db.isTransaction) return fn(db as Knex.Transaction);
  const retriesMax = options.retriesMax ?? transactionRetriesMax;
  const config = options.isolationLevel ? { isolationLevel: options.isolationLevel } : undefined;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await db.transaction(fn, config);
    } catch (error) {
      if (attempt >= retriesMax || !isRetryableTransactionError(error)) throw error;
      // A short, jittered pause so the two sides of a deadlock do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 5 + Math.random() * 10));
    }
  }
}
