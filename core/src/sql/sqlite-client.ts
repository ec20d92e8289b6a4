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
 * - Prepared statements are kept per connection (the last `preparedStatementsMax` SQL texts), so a
 *   statement run again is not prepared again (preparing was 8% of the stream jobs' CPU profile).
 *   Any schema statement (CREATE, DROP, ALTER) empties the connection's cache.
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

/** Prepared statements kept per connection, most recently used last. */
export const preparedStatementsMax = 256;

interface Prepared {
  statement: BetterSqlite3.Statement;
  /** For readers: the columns declared BIGINT. */
  bigintColumns: Set<string>;
}

const schemaStatement = /^\s*(create|drop|alter)\b/i;
const preparedByConnection = new WeakMap<BetterSqlite3.Database, Map<string, Prepared>>();

/** The connection's prepared statement for `sql`, prepared on first use. */
function preparedStatement(connection: BetterSqlite3.Database, sql: string): Prepared {
  let cache = preparedByConnection.get(connection);
  if (cache === undefined) {
    cache = new Map();
    preparedByConnection.set(connection, cache);
  }
  const known = cache.get(sql);
  if (known !== undefined) {
    cache.delete(sql);
    cache.set(sql, known);
    return known;
  }
  const statement = connection.prepare(sql);
  const prepared: Prepared = { statement, bigintColumns: new Set() };
  if (statement.reader) {
    statement.safeIntegers(true);
    for (const c of statement.columns())
      if (c.type !== null && bigintDeclaredType.test(c.type)) prepared.bigintColumns.add(c.name);
  }
  if (schemaStatement.test(sql)) {
    cache.clear();
    return prepared;
  }
  cache.set(sql, prepared);
  if (cache.size > preparedStatementsMax) cache.delete(cache.keys().next().value!);
  return prepared;
}

/**
 * Runs a writing statement straight on `connection` (a transaction's own connection), through the
 * same per-connection cache of prepared statements as every query: for hot multi-row writes whose
 * bindings are already plain SQLite values (no knex binding formatting).
 */
export function runPrepared(
  connection: BetterSqlite3.Database,
  sql: string,
  bindings: readonly unknown[],
): void {
  preparedStatement(connection, sql).statement.run(bindings);
}

/**
 * Runs a reading statement straight on `connection` through the same cache of prepared statements:
 * for hot reads by key. The rows are as better-sqlite3 gives them with `safeIntegers`: every
 * integer a bigint (no BIGINT-to-string round trip, no knex binding formatting).
 */
export function allPrepared(
  connection: BetterSqlite3.Database,
  sql: string,
  bindings: readonly unknown[],
): Record<string, unknown>[] {
  return preparedStatement(connection, sql).statement.all(bindings) as Record<string, unknown>[];
}

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
    const { statement, bigintColumns } = preparedStatement(connection, obj.sql);
    const bindings = this._formatBindings(obj.bindings);
    if (!statement.reader) {
      const result = statement.run(bindings);
      obj.response = result;
      obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
      return obj;
    }
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
