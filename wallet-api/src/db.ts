/**
 * The SQL seam of wallet-api: the knex handle type and the value conversions that keep 64-bit
 * integers exact on both drivers (the shared ones come from `@spendstream/core/sql`).
 */
import type { Knex } from 'knex';
import { invariant } from '@spendstream/core/errors';

/** A knex handle: the root connection or a transaction. Stores accept either. */
export type Db = Knex | Knex.Transaction;

export { toBigInt, isUniqueViolation } from '@spendstream/core/sql';

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

/** knex's typings omit bigint bindings, which both drivers bind exactly (mysql2 as a numeric literal). */
export function bindings(
  ...values: Array<string | number | bigint | null>
): readonly Knex.RawBinding[] {
  return values as unknown as readonly Knex.RawBinding[];
}
