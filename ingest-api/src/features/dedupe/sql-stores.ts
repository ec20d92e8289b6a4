/**
 * The SQL dedupe and idempotency stores (MySQL/MariaDB or SQLite through knex, same queries), and
 * their migrations under the `ingest-api` scope. Claims use insert-or-ignore and compare-and-set
 * updates, so racing requests on different processes resolve in the database, not in memory.
 */
import type { Knex } from 'knex';
import type { MigrationSet } from '@spendstream/core/sql';
import {
  isRetryableTransactionError,
  isUniqueViolation,
  sqlDialect,
  transactionRetriesMax,
  withTransaction,
} from '@spendstream/core/sql';
import {
  versionHistoryMax,
  type Claim,
  type DedupeRecord,
  type DedupeStatus,
  type DedupeStore,
} from './dedupe-store.js';
import { quotedWellFormed } from '../transactions/json-text.js';
import { idempotencyKeepMs, type IdempotencyStore } from './idempotency-store.js';

const dedupeTable = 'ingest_dedupe';
/** Tokens whose claims the log acknowledged (see "Confirm by token" below). */
const confirmedTable = 'ingest_dedupe_confirmed';
const idempotencyTable = 'ingest_idempotency';
/** Longest stored version history, in characters (hashes are 32 characters plus a comma). */
const historyCharsMax = versionHistoryMax * 33;
/** Most keys per lookup statement: well below the bound-parameter limits of SQLite and MySQL. */
const keysPerStatementMax = 1_000;
/** Most rows per insert statement on SQLite: 8 bound values a row stays below its limit. */
const rowsPerInsertMax = 1_000;
/**
 * Most rows per claim statement on MySQL, where the rows travel as one JSON text (one bound
 * value): a claim-and-publish cycle's whole claim (ingest-service's combinedItemsMax) in one
 * statement, about 0.5 MB, far below MariaDB's and MySQL's default max_allowed_packet (16 and
 * 64 MiB).
 */
const jsonClaimRowsMax = 5_000;
/**
 * How long a confirm on MySQL waits for others to share its statement, in ms. Claim-and-publish cycles of
 * single requests end every few ms, each with one token to confirm; one statement for the tokens
 * of all cycles ended within this window instead of one statement each (its round trip, pool
 * acquire and mysql2 command cost the server 40-57 us a single request at ~18 requests a cycle,
 * measured by leaving the confirm out; docs/benchmarks.md, ingest-api session 16). The confirm runs
 * after the answer, so what waits is only a later request for the same key (it sees the claim
 * pending and looks again after claimPollMs) and `settled()` at close.
 */
export const confirmGatherMs = 20;
/** Most tokens one confirm statement inserts on MySQL (2 bound values each). */
export const confirmTokensPerStatementMax = 400;
/** A claim token that may be written into a statement as it is (no quote, backslash or `?`). */
const plainToken = /^[A-Za-z0-9_-]{1,64}$/;

export const ingestMigrations: MigrationSet = {
  scope: 'ingest-api',
  migrations: [
    {
      name: '0001-dedupe-and-idempotency',
      async up(knex) {
        await knex.schema.createTable(dedupeTable, (t) => {
          t.string('source', 128).notNullable();
          t.string('external_id', 200).notNullable();
          t.string('transaction_id', 64).notNullable();
          t.integer('version').notNullable().defaultTo(0);
          t.string('content_hash', 64).nullable();
          t.string('status', 16).nullable();
          t.integer('pending_version').nullable();
          t.string('pending_hash', 64).nullable();
          t.string('pending_status', 16).nullable();
          t.string('pending_token', 64).nullable();
          t.bigInteger('pending_since').nullable();
          t.primary(['source', 'external_id']);
          t.index(['pending_token'], 'ingest_dedupe_pending_token');
        });
        await knex.schema.createTable(idempotencyTable, (t) => {
          t.string('caller', 160).notNullable();
          t.string('idem_key', 200).notNullable();
          t.string('request_hash', 64).notNullable();
          t.integer('status_code').nullable();
          t.text('response', 'mediumtext').nullable();
          t.bigInteger('expires_at').notNullable();
          t.primary(['caller', 'idem_key']);
          t.index(['expires_at'], 'ingest_idempotency_expires_at');
        });
      },
      async down(knex) {
        await knex.schema.dropTable(idempotencyTable);
        await knex.schema.dropTable(dedupeTable);
      },
    },
    {
      name: '0002-version-history',
      async up(knex) {
        await knex.schema.alterTable(dedupeTable, (t) => {
          // Comma-terminated content hashes of the durable versions, oldest first.
          t.text('content_history').nullable();
        });
      },
      async down(knex) {
        await knex.schema.alterTable(dedupeTable, (t) => t.dropColumn('content_history'));
      },
    },
    {
      name: '0003-confirmed-tokens',
      async up(knex) {
        await knex.schema.createTable(confirmedTable, (t) => {
          t.string('token', 64).notNullable().primary();
          t.bigInteger('confirmed_at').notNullable();
        });
      },
      async down(knex) {
        await knex.schema.dropTable(confirmedTable);
      },
    },
  ],
};

interface DedupeRow {
  source: string;
  external_id: string;
  transaction_id: string;
  version: number | string;
  content_hash: string | null;
  status: string | null;
  pending_version: number | string | null;
  pending_hash: string | null;
  pending_status: string | null;
  pending_token: string | null;
  pending_since: number | string | null;
  content_history: string | null;
  /** The pending token when it is in the confirmed table (the claim is durable, not yet folded). */
  confirmed_token: string | null;
}

/** A history with one more durable hash, as the fold statement appends it (bounded). */
function appendHistory(history: string | null, hash: string | null): string {
  const current = history ?? '';
  return current.length < historyCharsMax ? `${current}${hash ?? ''},` : current;
}

function toRecord(row: DedupeRow): DedupeRecord {
  // Confirmed but not folded: the pending claim is the durable version, and nothing is pending.
  const folded = row.confirmed_token !== null && row.pending_version !== null;
  const version = folded ? row.pending_version : row.version;
  const contentHash = folded ? row.pending_hash : row.content_hash;
  const status = folded ? row.pending_status : row.status;
  const history = folded
    ? appendHistory(row.content_history, row.pending_hash)
    : row.content_history;
  return {
    source: row.source,
    externalId: row.external_id,
    transactionId: row.transaction_id,
    version: Number(version),
    contentHash: contentHash ?? undefined,
    status: (status as DedupeStatus | null) ?? undefined,
    history: (history ?? '').split(',').filter((h) => h !== ''),
    pending:
      !folded && row.pending_token !== null && row.pending_version !== null
        ? {
            version: Number(row.pending_version),
            contentHash: row.pending_hash ?? '',
            status: (row.pending_status as DedupeStatus | null) ?? 'booked',
            token: row.pending_token,
            sinceMs: Number(row.pending_since ?? 0),
          }
        : undefined,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Run one statement again after a deadlock or lock timeout, as `withTransaction` does. */
async function retryingDeadlocks<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= transactionRetriesMax || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 5 + Math.random() * 10));
    }
  }
}

/** What `onConnection` needs of a knex pool's MySQL connection (mysql2's callback API). */
interface MysqlConnection {
  execute(
    sql: string,
    values: unknown[],
    callback: (error: unknown, result: unknown) => void,
  ): void;
  query(sql: string, values: unknown[], callback: (error: unknown, result: unknown) => void): void;
}

/**
 * Runs one MySQL statement on a connection of `db`'s pool (or the transaction's own when `db` is a
 * knex transaction: its client hands out that one connection) through mysql2 directly, without
 * knex's query runner. For a hot statement whose text this file writes out anyway, the runner's
 * work (its raw-binding scan and formatting, query objects, events, error wrapping) cost about as
 * much CPU as mysql2 itself: a cycle of single requests' claim (16 rows) and confirm went from 611
 * to 492 us of client CPU (see docs/benchmarks.md, session 12).
 *
 * `prepared`: as a prepared statement (mysql2 prepares a text once per connection and keeps it,
 * so MariaDB parses it once, and the values travel in the binary protocol: neither side writes,
 * escapes or scans thousands of values). Otherwise mysql2 writes the values into the text.
 */
async function onConnection(
  db: Knex,
  sql: string,
  values: unknown[],
  prepared: boolean,
): Promise<unknown> {
  const client = db.client as {
    acquireConnection(): Promise<MysqlConnection>;
    releaseConnection(connection: MysqlConnection): Promise<unknown>;
  };
  const connection = await client.acquireConnection();
  try {
    return await new Promise((resolve, reject) => {
      const callback = (error: unknown, result: unknown) =>
        error ? reject(error) : resolve(result);
      if (prepared) connection.execute(sql, values, callback);
      else connection.query(sql, values, callback);
    });
  } finally {
    await client.releaseConnection(connection);
  }
}

/** The rows of a raw SELECT on either dialect (mysql2 answers `[rows, fields]`). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

/** Rows a raw INSERT or UPDATE changed, on either dialect. */
function changesOf(result: unknown): number {
  const head = (Array.isArray(result) ? result[0] : result) as {
    affectedRows?: number;
    changes?: number;
  };
  return Number(head.affectedRows ?? head.changes ?? 0);
}

/**
 * Claims as the JSON rows of a MySQL claim statement: [externalId, transactionId, version,
 * contentHash, status], or without version and status when `each` is false (bound once).
 */
function claimsJson(claims: readonly Claim[], each: boolean): string {
  let json = '';
  for (const c of claims) {
    const row = each
      ? `[${quotedWellFormed(c.externalId)},${quotedWellFormed(c.transactionId)},${c.version},${quotedWellFormed(c.contentHash)},${quotedWellFormed(c.status)}]`
      : `[${quotedWellFormed(c.externalId)},${quotedWellFormed(c.transactionId)},${quotedWellFormed(c.contentHash)}]`;
    json = json === '' ? row : `${json},${row}`;
  }
  return `[${json}]`;
}

const dedupeColumns =
  'd.source, d.external_id, d.transaction_id, d.version, d.content_hash, d.status, d.pending_version, d.pending_hash, d.pending_status, d.pending_token, d.pending_since, d.content_history, c.token AS confirmed_token';

/**
 * The dedupe store on SQL. The hot statements are written out (one multi-row insert-or-ignore, one
 * `IN` lookup, one insert per confirm) rather than built by knex's query builder, which cost more
 * CPU than the database did for a claim of a thousand rows.
 *
 * Confirm by token: `confirm(token)` inserts the token into `ingest_dedupe_confirmed` (one row)
 * instead of updating every claimed row (on MariaDB that update cost more database CPU per
 * transaction than the claim's insert). A row whose pending token is confirmed is read as durable
 * at its pending version (`toRecord`), and is folded (the pending claim moved into the durable
 * columns, as the update did) only when a later claim of that key needs the row: a correction or
 * reversal (`claimExisting`). A token that is never confirmed (the publish failed, the process
 * died) stays what it was: a pending claim that is released or goes stale.
 */
export function createSqlDedupeStore(knex: Knex): DedupeStore {
  const dialect = sqlDialect(knex);
  const insertOrIgnore = dialect === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
  // MySQL assigns left to right, SQLite from the old row: both copy pending_* before clearing it.
  const appended =
    dialect === 'mysql'
      ? "CONCAT(COALESCE(content_history, ''), pending_hash, ',')"
      : "COALESCE(content_history, '') || pending_hash || ','";
  /** Moves a confirmed claim into the durable columns (the state a per-row confirm produced). */
  const foldUpdate = `UPDATE ${dedupeTable} SET
      content_history = CASE WHEN LENGTH(COALESCE(content_history, '')) < ${historyCharsMax} THEN ${appended} ELSE content_history END,
      version = pending_version, content_hash = pending_hash, status = pending_status,
      pending_version = NULL, pending_hash = NULL, pending_status = NULL, pending_token = NULL, pending_since = NULL`;
  const foldSql = `${foldUpdate}
    WHERE source = ? AND external_id = ? AND pending_version IS NOT NULL
      AND pending_token IN (SELECT token FROM ${confirmedTable})`;
  /** A hot statement written out here: on MySQL straight through mysql2, on SQLite through knex. */
  const hot = (db: Knex, text: string, values: Knex.Value[]): Promise<unknown> =>
    dialect === 'mysql' ? onConnection(db, text, values, false) : db.raw(text, values);
  const confirmSql = (tokens: number) =>
    `${insertOrIgnore} INTO ${confirmedTable} (token, confirmed_at) VALUES ${new Array<string>(tokens).fill('(?, ?)').join(', ')}`;
  /** Tokens waiting for the next confirm statement, with their callers' promises. */
  let confirmQueue: { token: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let confirmTimer: NodeJS.Timeout | undefined;
  /** One statement for the queued tokens (up to confirmTokensPerStatementMax; the rest wait on). */
  const flushConfirms = () => {
    const taken = confirmQueue.slice(0, confirmTokensPerStatementMax);
    confirmQueue = confirmQueue.slice(taken.length);
    confirmTimer = confirmQueue.length > 0 ? setTimeout(flushConfirms, 0) : undefined;
    const nowMs = Date.now();
    const values: Knex.Value[] = [];
    for (const c of taken) values.push(c.token, nowMs);
    hot(knex, confirmSql(taken.length), values).then(
      () => {
        for (const c of taken) c.resolve();
      },
      (error: unknown) => {
        for (const c of taken) c.reject(error);
      },
    );
  };
  const placeholders = (n: number) => new Array<string>(n).fill('?').join(', ');
  const claimInsert = `${insertOrIgnore} INTO ${dedupeTable} (source, external_id, transaction_id, version, pending_version, pending_hash, pending_status, pending_token, pending_since) VALUES `;
  const boundRow = '(?, ?, ?, 0, ?, ?, ?, ?, ?)';
  /**
   * The VALUES rows of a claim. The token and the time are the same on every row: when they are
   * plain (a UUID-like token, an integer) they are written into the statement once instead of
   * being bound and escaped a thousand times; anything else is bound like the other values.
   */
  const claimRows = (n: number, token: string, nowMs: number) => {
    const inline = plainToken.test(token) && Number.isSafeInteger(nowMs);
    const row = inline ? `(?, ?, ?, 0, ?, ?, ?, '${token}', ${nowMs})` : boundRow;
    return { sql: new Array<string>(n).fill(row).join(', '), inline };
  };
  /**
   * The claim on MySQL: the rows as one JSON text, expanded by JSON_TABLE (MariaDB 10.6, MySQL
   * 8.0.4 and later), the source, token and time bound once. A few values a row written into a
   * JSON text cost Node far less than 8 bound values a row (mysql2 types, measures and writes each
   * bound value: 5.98 -> 3.27 us of Node CPU a key; docs/benchmarks.md, ingest-api session 13),
   * and the texts never change, so each pooled connection prepares each once. The columns have
   * the table's types: a value too long is cut as the table's own column would cut it.
   */
  const jsonClaimHead = `${insertOrIgnore} INTO ${dedupeTable} (source, external_id, transaction_id, version, pending_version, pending_hash, pending_status, pending_token, pending_since)`;
  /** Rows of [externalId, transactionId, version, contentHash, status]. */
  const jsonClaimSql = `${jsonClaimHead}
    SELECT ?, j.external_id, j.transaction_id, 0, j.version, j.content_hash, j.status, ?, ?
    FROM JSON_TABLE(?, '$[*]' COLUMNS (
      external_id VARCHAR(200) PATH '$[0]', transaction_id VARCHAR(64) PATH '$[1]',
      version INT PATH '$[2]', content_hash VARCHAR(64) PATH '$[3]', status VARCHAR(16) PATH '$[4]')) AS j`;
  /**
   * Rows of [externalId, transactionId, contentHash], the version and status bound once: the
   * usual claim, where every key is claimed at version 1 as booked. Two values fewer a row for
   * MariaDB to parse: 19.0 -> 14.8 us of mariadbd CPU a key, Node 3.85 -> 3.21 (session 13).
   */
  const uniformJsonClaimSql = `${jsonClaimHead}
    SELECT ?, j.external_id, j.transaction_id, 0, ?, j.content_hash, ?, ?, ?
    FROM JSON_TABLE(?, '$[*]' COLUMNS (
      external_id VARCHAR(200) PATH '$[0]', transaction_id VARCHAR(64) PATH '$[1]',
      content_hash VARCHAR(64) PATH '$[2]')) AS j`;
  /** The MySQL claim statement and its values for `claims` (at least one). */
  const jsonClaim = (source: string, claims: readonly Claim[], token: string, nowMs: number) => {
    const { version, status } = claims[0]!;
    if (claims.every((c) => c.version === version && c.status === status)) {
      return {
        sql: uniformJsonClaimSql,
        values: [source, version, status, token, nowMs, claimsJson(claims, false)],
      };
    }
    return { sql: jsonClaimSql, values: [source, token, nowMs, claimsJson(claims, true)] };
  };
  return {
    async read(source, externalIds) {
      const out = new Map<string, DedupeRecord>();
      for (const part of chunks(externalIds, keysPerStatementMax)) {
        const rows = rowsOf<DedupeRow>(
          await knex.raw(
            `SELECT ${dedupeColumns} FROM ${dedupeTable} d LEFT JOIN ${confirmedTable} c ON c.token = d.pending_token
             WHERE d.source = ? AND d.external_id IN (${placeholders(part.length)})`,
            [source, ...part],
          ),
        );
        for (const row of rows) out.set(row.external_id, toRecord(row));
      }
      return out;
    },
    async claimNew(source, claims: readonly Claim[], token, nowMs) {
      if (claims.length === 0) return new Set();
      const insert = async (db: Knex, part: readonly Claim[]): Promise<number> => {
        if (dialect === 'mysql') {
          const { sql, values } = jsonClaim(source, part, token, nowMs);
          return changesOf(await onConnection(db, sql, values, true));
        }
        const rows = claimRows(part.length, token, nowMs);
        const values: Knex.Value[] = [];
        for (const c of part) {
          values.push(source, c.externalId, c.transactionId, c.version, c.contentHash, c.status);
          if (!rows.inline) values.push(token, nowMs);
        }
        return changesOf(await hot(db, `${claimInsert}${rows.sql}`, values));
      };
      // One statement is atomic on its own: no BEGIN and COMMIT round trips. Several share one
      // transaction: one commit (one fsync on SQLite) per claim, not per statement.
      const perStatement = dialect === 'mysql' ? jsonClaimRowsMax : rowsPerInsertMax;
      const inserted =
        claims.length <= perStatement
          ? await retryingDeadlocks(() => insert(knex, claims))
          : await withTransaction(knex, async (trx) => {
              let count = 0;
              for (const part of chunks(claims, perStatement)) count += await insert(trx, part);
              return count;
            });
      // The usual case, every key new: the insert's row count says so, no second look needed.
      if (inserted === claims.length) return new Set(claims.map((c) => c.externalId));
      const won = new Set<string>();
      if (inserted === 0) return won;
      const rows = rowsOf<{ external_id: string }>(
        await knex.raw(`SELECT external_id FROM ${dedupeTable} WHERE pending_token = ?`, [token]),
      );
      const asked = new Set(claims.map((c) => c.externalId));
      for (const row of rows) if (asked.has(row.external_id)) won.add(row.external_id);
      return won;
    },
    async claimExisting(source, c, expectedVersion, token, nowMs, staleBeforeMs) {
      // A confirmed claim still pending on the row becomes its durable version first. The update
      // below never takes over a confirmed claim, however old (one confirmed after the fold).
      await retryingDeadlocks(() => knex.raw(foldSql, [source, c.externalId]));
      const result: unknown = await knex.raw(
        `UPDATE ${dedupeTable} SET pending_version = ?, pending_hash = ?, pending_status = ?, pending_token = ?, pending_since = ?
         WHERE source = ? AND external_id = ? AND version = ?
           AND (pending_token IS NULL OR (pending_since < ? AND pending_token NOT IN (SELECT token FROM ${confirmedTable})))`,
        [
          c.version,
          c.contentHash,
          c.status,
          token,
          nowMs,
          source,
          c.externalId,
          expectedVersion,
          staleBeforeMs,
        ],
      );
      return changesOf(result) === 1;
    },
    confirm(token) {
      // SQLite (embedded, one process): one statement at once, as each costs little there and a
      // loop of SQLite statements (all microtasks) would hold off the gathering timer.
      if (dialect !== 'mysql') return hot(knex, confirmSql(1), [token, Date.now()]).then(() => {});
      // MySQL: gathered with the confirms of the next confirmGatherMs into one statement.
      return new Promise<void>((resolve, reject) => {
        confirmQueue.push({ token, resolve, reject });
        confirmTimer ??= setTimeout(flushConfirms, confirmGatherMs);
      });
    },
    async release(token) {
      await knex(dedupeTable).where({ pending_token: token, version: 0 }).delete();
      await knex(dedupeTable).where('pending_token', token).update({
        pending_version: null,
        pending_hash: null,
        pending_status: null,
        pending_token: null,
        pending_since: null,
      });
    },
    async foldConfirmed(confirmedBeforeMs, tokensMax) {
      const limit = Math.max(1, Math.floor(tokensMax));
      const tokens = rowsOf<{ token: string }>(
        await knex.raw(
          `SELECT token FROM ${confirmedTable} WHERE confirmed_at < ? LIMIT ${limit}`,
          [confirmedBeforeMs],
        ),
      ).map((row) => row.token);
      if (tokens.length === 0) return 0;
      const list = placeholders(tokens.length);
      // Two statements, each atomic on its own, no transaction around them (its locks on thousands
      // of rows would be held across both): the update folds the rows still pending on these
      // tokens (a release or takeover already moved others; a concurrent correction's fold leaves
      // nothing to do), then the delete forgets a token only when no row is still pending on it,
      // so a confirmed claim never reads as unconfirmed and stale-takeable. A crash in between
      // leaves folded rows and their tokens, which the next run deletes.
      await retryingDeadlocks(() =>
        knex.raw(
          `${foldUpdate} WHERE pending_token IN (${list}) AND pending_version IS NOT NULL`,
          tokens,
        ),
      );
      const result: unknown = await retryingDeadlocks(() =>
        knex.raw(
          `DELETE FROM ${confirmedTable} WHERE token IN (${list})
             AND NOT EXISTS (SELECT 1 FROM ${dedupeTable} d WHERE d.pending_token = ${confirmedTable}.token)`,
          tokens,
        ),
      );
      return changesOf(result);
    },
  };
}

export function createSqlIdempotencyStore(knex: Knex): IdempotencyStore {
  const store: IdempotencyStore = {
    async begin(caller, key, requestHash, nowMs) {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await knex(idempotencyTable).insert({
            caller,
            idem_key: key,
            request_hash: requestHash,
            status_code: null,
            response: null,
            expires_at: nowMs + idempotencyKeepMs,
          });
          return { state: 'new' };
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        const row = (await knex(idempotencyTable).where({ caller, idem_key: key }).first()) as
          | {
              request_hash: string;
              status_code: number | null;
              response: string | null;
              expires_at: number | string;
            }
          | undefined;
        if (!row) continue; // abandoned between our insert and read: try again
        if (Number(row.expires_at) <= nowMs) {
          await knex(idempotencyTable)
            .where({ caller, idem_key: key, expires_at: row.expires_at })
            .delete();
          continue;
        }
        if (row.status_code === null || row.response === null)
          return { state: 'pending', requestHash: row.request_hash };
        return {
          state: 'done',
          requestHash: row.request_hash,
          statusCode: Number(row.status_code),
          response: row.response,
        };
      }
      return { state: 'pending', requestHash: '' };
    },
    async complete(caller, key, statusCode, response) {
      await knex(idempotencyTable)
        .where({ caller, idem_key: key })
        .update({ status_code: statusCode, response });
    },
    async abandon(caller, key) {
      await knex(idempotencyTable).where({ caller, idem_key: key }).delete();
    },
    async purgeExpired(nowMs) {
      return knex(idempotencyTable).where('expires_at', '<=', nowMs).delete();
    },
  };
  return store;
}
