/**
 * Multi-row INSERTs (and upserts) for the embedded SQL adapters, written as SQL text of a few fixed
 * shapes instead of through knex's query builder: knex compiles a multi-row SQLite insert as
 * `SELECT ? AS a, ... UNION ALL SELECT ...`, sorting the columns of every row, and that compiling
 * was about a quarter of `apply` in the embedded bench's profile. Here the rows are flat arrays in
 * column order, cut into statements of `rowsPerStatementMax` rows and the rest into powers of two,
 * so each table has at most nine statement texts and the connection's prepared-statement cache
 * (core `sqlite-client.ts`) keeps every one of them prepared. Backtick-quoted identifiers and
 * `VALUES (...), (...)` are read the same by SQLite and MySQL/MariaDB.
 *
 * On SQLite the statements run on the transaction's better-sqlite3 connection directly, through
 * core's cache of prepared statements (`runPrepared`): through `trx.raw` knex scanned the whole
 * text for its `?` placeholders and built it again on every call (3,840 of them in a statement of
 * 256 rollup rows; about 3% of the embedded bench's CPU). On MySQL they go through `trx.raw`.
 */
import type { Knex } from 'knex';
import { sqlDialect } from '@spendstream/core/sql/create-sql';
import { allPrepared, runPrepared } from '@spendstream/core/sql/sqlite-client';
import { BoundedMap } from '@spendstream/core/bounded-map';

/** Rows per statement: 256 rows of the widest table (15 columns) bind 3,840 values (SQLite allows 32,766). */
export const rowsPerStatementMax = 256;

/** How a conflicting row's column is set by an upsert: replaced by the new value or added to. */
export type OnConflict = { key: string; columns: Record<string, 'replace' | 'add'> };

const quote = (name: string) => `\`${name}\``;

/** `ON CONFLICT ... DO UPDATE` (SQLite) or `ON DUPLICATE KEY UPDATE` (MySQL) for `conflict`. */
function conflictClause(db: Knex | Knex.Transaction, conflict: OnConflict): string {
  const mysql = sqlDialect(db) === 'mysql';
  const sets = Object.entries(conflict.columns).map(([column, how]) => {
    const c = quote(column);
    const incoming = mysql ? `VALUES(${c})` : `excluded.${c}`;
    // In SQLite's DO UPDATE and MySQL's ON DUPLICATE KEY UPDATE a bare column is the stored value.
    return `${c} = ${how === 'add' ? `${c} + ${incoming}` : incoming}`;
  });
  return mysql
    ? ` ON DUPLICATE KEY UPDATE ${sets.join(', ')}`
    : ` ON CONFLICT (${quote(conflict.key)}) DO UPDATE SET ${sets.join(', ')}`;
}

/** Statement sizes for `count` rows: full statements, then the rest as descending powers of two. */
export function statementSizes(count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  while (left >= rowsPerStatementMax) {
    sizes.push(rowsPerStatementMax);
    left -= rowsPerStatementMax;
  }
  for (let size = rowsPerStatementMax / 2; size >= 1; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** Statement texts kept (tables x dialects x nine sizes; test prefixes make more). */
const statementTextsMax = 1_000;
const statementTexts = new BoundedMap<string, string>(statementTextsMax);

/** The one SQLite connection a knex transaction holds (its client hands out no other). */
async function transactionConnection(
  trx: Knex.Transaction,
): Promise<Parameters<typeof runPrepared>[0]> {
  return (await (
    trx.client as { acquireConnection(): Promise<unknown> }
  ).acquireConnection()) as Parameters<typeof runPrepared>[0];
}

/** Runs one statement in `trx`: straight on the SQLite connection, or through knex on MySQL. */
async function statementRunner(
  trx: Knex.Transaction,
): Promise<(sql: string, bindings: unknown[]) => Promise<void>> {
  if (sqlDialect(trx) !== 'sqlite')
    return async (sql, bindings) => {
      await trx.raw(sql, bindings as Knex.RawBinding[]);
    };
  const connection = await transactionConnection(trx);
  return (sql, bindings) => {
    runPrepared(connection, sql, bindings);
    return Promise.resolve();
  };
}

/**
 * Every row of `table` whose `keyColumn` is one of `keys` (each key once). In a SQLite transaction
 * the statements are texts of the fixed sizes of `statementSizes`, run prepared on its connection,
 * and integers come back as bigints; elsewhere through knex (`whereIn`, integers as knex gives
 * them: BIGINT columns as decimal strings), in parts of `rowsPerStatementMax` keys.
 */
export async function selectByKeys(
  db: Knex | Knex.Transaction,
  table: string,
  keyColumn: string,
  keys: readonly string[],
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  if (keys.length === 0) return rows;
  if (!db.isTransaction || sqlDialect(db) !== 'sqlite') {
    for (let i = 0; i < keys.length; i += rowsPerStatementMax)
      rows.push(
        ...((await db(table).whereIn(keyColumn, keys.slice(i, i + rowsPerStatementMax))) as Record<
          string,
          unknown
        >[]),
      );
    return rows;
  }
  const connection = await transactionConnection(db as Knex.Transaction);
  const head = `SELECT * FROM ${quote(table)} WHERE ${quote(keyColumn)} IN (`;
  let offset = 0;
  for (const size of statementSizes(keys.length)) {
    const textKey = `${head}|${size}`;
    let sql = statementTexts.get(textKey);
    if (sql === undefined) {
      sql = `${head}${Array.from({ length: size }, () => '?').join(', ')})`;
      statementTexts.set(textKey, sql);
    }
    for (const row of allPrepared(connection, sql, keys.slice(offset, offset + size)))
      rows.push(row);
    offset += size;
  }
  return rows;
}

/**
 * Inserts `rows` (each an array of values in `columns` order) into `table` with multi-row
 * statements in the transaction `trx`; with `conflict`, a row whose key is already stored updates
 * it instead.
 */
export async function insertRows(
  trx: Knex.Transaction,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  conflict?: OnConflict,
): Promise<void> {
  if (rows.length === 0) return;
  for (const row of rows)
    if (row.length !== columns.length)
      throw new TypeError(`a row of ${table} has ${row.length} values for ${columns.length}`);
  const suffix = conflict ? conflictClause(trx, conflict) : '';
  const run = await statementRunner(trx);
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let offset = 0;
  for (const size of statementSizes(rows.length)) {
    const textKey = `${head}|${size}|${suffix}`;
    let sql = statementTexts.get(textKey);
    if (sql === undefined) {
      sql = `${head}${Array.from({ length: size }, () => tuple).join(', ')}${suffix}`;
      statementTexts.set(textKey, sql);
    }
    const bindings: unknown[] = [];
    for (let i = offset; i < offset + size; i += 1) {
      for (const value of rows[i]!) bindings.push(value);
    }
    await run(sql, bindings);
    offset += size;
  }
}
