/**
 * knex's better-sqlite3 client with two changes that keep SQLite in step with MySQL:
 *
 * - 64-bit integers stay exact. Every read runs with better-sqlite3's `safeIntegers`, then a value
 *   from a column declared BIGINT becomes a decimal string (what mysql2 gives with
 *   `bigNumberStrings`), and any other integer a number when it is safe, else a decimal string.
 *   So `BigInt(row.amount)` is exact on both dialects.
 * - Errors keep their codes when a query has bigint bindings (see `_escapeBinding`).
 * - Transactions start with `BEGIN IMMEDIATE`: the write lock is taken up front, so two processes
 *   sharing the file queue on `busy_timeout` instead of failing mid-transaction when a reader tries
 *   to become a writer.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

interface KnexQueryObject {
  sql?: string;
  bindings?: unknown[];
  response?: unknown;
  context?: { lastID: unknown; changes: number };
}

type ClientConstructor = new (config: unknown) => {
  _formatBindings(bindings: unknown[] | undefined): unknown[];
  _escapeBinding(value: unknown, context?: unknown): string;
};

const BaseClient = require('knex/lib/dialects/better-sqlite3/index.js') as ClientConstructor;
const BaseTransaction =
  require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as new (
    ...args: unknown[]
  ) => { query(conn: unknown, sql: string): Promise<unknown> };

/** Declared column types whose values are read back as decimal strings. */
const bigintDeclaredType = /^(UNSIGNED\s+)?BIG\s*INT|^BIGINT/i;

function exactInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

class ImmediateTransaction extends BaseTransaction {
  begin(conn: unknown) {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

export class SpendstreamSqliteClient extends BaseClient {
  /**
   * knex renders bindings into SQL text for error messages and `toString()`; its SQLite escaper
   * calls `.replace` on strings and crashes on a bigint, which would replace a constraint error
   * (and its code) with a TypeError.
   */
  override _escapeBinding(value: unknown, context?: unknown): string {
    return typeof value === 'bigint' ? value.toString() : super._escapeBinding(value, context);
  }

  transaction(...args: unknown[]) {
    return new ImmediateTransaction(this, ...args);
  }

  async _query(connection: BetterSqlite3.Database, obj: KnexQueryObject): Promise<KnexQueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    const statement = connection.prepare(obj.sql);
    const bindings = this._formatBindings(obj.bindings);
    if (!statement.reader) {
      const result = statement.run(bindings);
      obj.response = result;
      obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
      return obj;
    }
    statement.safeIntegers(true);
    const bigintColumns = new Set(
      statement
        .columns()
        .filter((c) => c.type !== null && bigintDeclaredType.test(c.type))
        .map((c) => c.name),
    );
    const rows = statement.all(bindings) as Record<string, unknown>[];
    for (const row of rows) {
      for (const key in row) {
        const value = row[key];
        if (typeof value === 'bigint') {
          row[key] = bigintColumns.has(key) ? value.toString() : exactInteger(value);
        }
      }
    }
    obj.response = rows;
    return obj;
  }
}
