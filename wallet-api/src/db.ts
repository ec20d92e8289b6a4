/**
 * The SQL seam of wallet-api: the knex handle type, value conversions that keep 64-bit integers
 * exact on both drivers, and recognisers for the driver errors the services react to.
 */
import type { Knex } from 'knex';
import { invariant } from '@spendstream/core/errors';

/** A knex handle: the root connection or a transaction. Stores accept either. */
export type Db = Knex | Knex.Transaction;

/**
 * A BIGINT read back from either driver as bigint. mysql2 returns strings (bigNumberStrings) or
 * numbers, better-sqlite3 numbers or bigints (safeIntegers); a number outside the safe range has
 * already lost digits, so that is a crash, not a rounding.
 */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  invariant(
    typeof value === 'number' && Number.isSafeInteger(value),
    `expected an exact integer from SQL, got ${String(value)}`,
  );
  return BigInt(value);
}

/** A small integer column (timestamps in ms, counters) read back as a number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') {
    const n = Number(value);
    invariant(Number.isSafeInteger(n), `expected a safe integer from SQL, got ${String(value)}`);
    return n;
  }
  throw new Error(`expected an integer from SQL, got ${String(value)}`);
}

export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** A unique or primary key violation on MySQL/MariaDB or SQLite. */
export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** A transaction the server chose to abort so another could proceed: safe to run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
}

/** How often a transaction aborted by a deadlock is run again before the error reaches the caller. */
export const deadlockRetriesMax = 5;

/**
 * Run `fn` in one SQL transaction (READ COMMITTED on MySQL, so inserts into unique indexes take no
 * gap locks) and run it again when the server aborted it for a deadlock. `fn` must be free of
 * side effects outside the transaction, which is what makes the retry safe.
 */
export async function withTransaction<T>(
  db: Knex,
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const isMysql = db.client.config.client === 'mysql2' || db.client.config.client === 'mysql';
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await db.transaction(fn, isMysql ? { isolationLevel: 'read committed' } : undefined);
    } catch (error) {
      if (attempt >= deadlockRetriesMax || !isRetryableConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt + Math.random() * 5));
    }
  }
}
