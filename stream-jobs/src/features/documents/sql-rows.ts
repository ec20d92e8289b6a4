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
 *
 * An upsert whose rows are mostly stored already (`updateFirst`: rollup cells) is on SQLite not
 * `INSERT ... ON CONFLICT DO UPDATE`: each row is first an `UPDATE` of the stored row by its key
 * (one prepared single-row statement that binds only the key and the columns it sets), and only
 * the rows that found none go into the multi-row INSERT. SQLite's upsert of a stored row tries the
 * insert, fails its unique check and then updates, binding and encoding every column; measured on
 * rollup cells (the cells of 200 transactions, about 3,000, in one transaction): all stored, the
 * update-first path took about half the CPU (17.5-18.9 against 33.6-35.2 ms); none stored, about a
 * quarter more (48.1-48.7 against 39.2-39.4 ms). Other upserts keep `ON CONFLICT DO UPDATE`. The
 * caller's write lock (`BEGIN IMMEDIATE`, core `sqlite-client.ts`) keeps another process from
 * inserting a key between the update and the insert. MySQL keeps `ON DUPLICATE KEY UPDATE`: one
 * round trip.
 */
import type { Knex } from 'knex';
import { sqlDialect } from '@spendstream/core/sql/create-sql';
import { runPrepared } from '@spendstream/core/sql/sqlite-client';

/** Rows per statement: 256 rows of the widest table (15 columns) bind 3,840 values (SQLite allows 32,766). */
export const rowsPerStatementMax = 256;

/**
 * How a conflicting row's column is set by an upsert: replaced by the new value or added to.
 * `updateFirst`: most rows are expected to be stored already (rollup cells); on SQLite each row is
 * then an `UPDATE` first (see the top of this file). Rows that are mostly new (search documents)
 * leave it off: for them the update-first path costs more (a failed update before each insert).
 */
export type OnConflict = {
  key: string;
  columns: Record<string, 'replace' | 'add'>;
  updateFirst?: boolean;
};

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
const statementTexts = new Map<string, string>();

type SqliteConnection = Parameters<typeof runPrepared>[0];

/** The better-sqlite3 connection a SQLite transaction holds; undefined on MySQL. */
async function sqliteConnectionOf(trx: Knex.Transaction): Promise<SqliteConnection | undefined> {
  if (sqlDialect(trx) !== 'sqlite') return undefined;
  // A knex transaction's client hands out the one connection the transaction holds.
  return (await (
    trx.client as { acquireConnection(): Promise<unknown> }
  ).acquireConnection()) as SqliteConnection;
}

/** `UPDATE` of one stored row by the conflict key, setting (or adding to) the conflict's columns. */
function updateText(table: string, conflict: OnConflict): string {
  const sets = Object.entries(conflict.columns).map(([column, how]) => {
    const c = quote(column);
    return how === 'add' ? `${c} = ${c} + ?` : `${c} = ?`;
  });
  return `UPDATE ${quote(table)} SET ${sets.join(', ')} WHERE ${quote(conflict.key)} = ?`;
}

/**
 * SQLite's upsert: each row updates its stored row, and the rows that found none are returned, in
 * order, to be inserted. A key met again after it missed is inserted first (with the misses before
 * it), so a repeated key adds up as the multi-row upsert would.
 */
async function updateStored(
  trx: Knex.Transaction,
  connection: SqliteConnection,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  conflict: OnConflict,
): Promise<(readonly unknown[])[]> {
  const sql = updateText(table, conflict);
  const setIndexes = Object.keys(conflict.columns).map((column) => columns.indexOf(column));
  const keyIndex = columns.indexOf(conflict.key);
  if (keyIndex < 0 || setIndexes.some((index) => index < 0))
    throw new TypeError(`the conflict columns of ${table} are not all among its columns`);
  let misses: (readonly unknown[])[] = [];
  let missedKeys = new Set<unknown>();
  const bindings: unknown[] = new Array<unknown>(setIndexes.length + 1);
  for (const row of rows) {
    const key = row[keyIndex];
    if (missedKeys.has(key)) {
      await insertStatements(trx, connection, table, columns, misses, '');
      misses = [];
      missedKeys = new Set();
    }
    for (let i = 0; i < setIndexes.length; i += 1) bindings[i] = row[setIndexes[i]!];
    bindings[setIndexes.length] = key;
    if (runPrepared(connection, sql, bindings) === 0) {
      misses.push(row);
      missedKeys.add(key);
    }
  }
  return misses;
}

/** The multi-row INSERT statements of `rows`, with `suffix` (a conflict clause or nothing). */
async function insertStatements(
  trx: Knex.Transaction,
  connection: SqliteConnection | undefined,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  suffix: string,
): Promise<void> {
  const head = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let offset = 0;
  for (const size of statementSizes(rows.length)) {
    const textKey = `${head}|${size}|${suffix}`;
    let sql = statementTexts.get(textKey);
    if (sql === undefined) {
      sql = `${head}${Array.from({ length: size }, () => tuple).join(', ')}${suffix}`;
      if (statementTexts.size >= statementTextsMax) statementTexts.clear();
      statementTexts.set(textKey, sql);
    }
    const bindings: unknown[] = [];
    for (let i = offset; i < offset + size; i += 1) {
      for (const value of rows[i]!) bindings.push(value);
    }
    if (connection) runPrepared(connection, sql, bindings);
    else await trx.raw(sql, bindings as Knex.RawBinding[]);
    offset += size;
  }
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
  const connection = await sqliteConnectionOf(trx);
  if (connection !== undefined && conflict?.updateFirst) {
    const fresh = await updateStored(trx, connection, table, columns, rows, conflict);
    await insertStatements(trx, connection, table, columns, fresh, '');
    return;
  }
  const suffix = conflict ? conflictClause(trx, conflict) : '';
  await insertStatements(trx, connection, table, columns, rows, suffix);
}
