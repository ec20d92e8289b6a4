/**
 * The SQL port's connection: knex on MySQL/MariaDB (mysql2) when DATABASE_URL is set, else on an
 * embedded SQLite file (better-sqlite3) under DATA_DIR. Same migrations, same queries; the few
 * dialect differences are behind `sqlDialect`.
 *
 * 64-bit integers: BIGINT columns read back as decimal strings on both dialects (mysql2
 * `supportBigNumbers` + `bigNumberStrings`; SQLite through `SpendstreamSqliteClient`), and bigint
 * values bind exactly on both. Convert with `BigInt(row.x)`; never `Number` for money.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { SpendstreamSqliteClient } from './sqlite-client.js';

export type { Knex };
/** A knex handle: the root connection or a transaction. Stores accept either. */
export type SqlExecutor = Knex | Knex.Transaction;
export type SqlDialect = 'mysql' | 'sqlite';

/** The embedded database's file name inside DATA_DIR. */
export const sqliteFileName = 'spendstream.sqlite';
/** How long SQLite waits for another process's write lock before SQLITE_BUSY. */
export const sqliteBusyTimeoutMs = 5_000;
/** Default largest MySQL connection pool per process. */
export const mysqlPoolSizeMaxDefault = 10;
/** How long a query waits for a free pooled connection before failing. */
export const acquireConnectionTimeoutMs = 10_000;

export interface SqlConfig {
  DATABASE_URL?: string | undefined;
  DATA_DIR?: string | undefined;
}

export interface SqlOptions {
  /** SQLite file, overriding DATA_DIR/spendstream.sqlite; `:memory:` for a throwaway database. */
  sqliteFilename?: string;
  /** Largest MySQL pool (SQLite always has one connection: it serializes writers anyway). */
  poolSizeMax?: number;
}

/** mysql2 connection options from a `mysql://user:pass@host:port/db?opt=value` URL. */
export function mysqlConnectionFromUrl(databaseUrl: string): Record<string, unknown> {
  const url = new URL(databaseUrl);
  const options: Record<string, unknown> = {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')),
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
  // Extra options in the query string (`?ssl={"rejectUnauthorized":true}`), as mysql2 reads them.
  for (const [key, value] of url.searchParams) {
    try {
      options[key] = JSON.parse(value) as unknown;
    } catch {
      options[key] = value;
    }
  }
  return {
    ...options,
    // The settings below are what keeps money and time exact; a URL cannot turn them off.
    supportBigNumbers: true,
    bigNumberStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4',
  };
}

/** Open the SQL database the config names. Call `destroy()` on it at shutdown. */
export function createSql(config: SqlConfig, options: SqlOptions = {}): Knex {
  if (config.DATABASE_URL) {
    return knexFactory({
      client: 'mysql2',
      connection: mysqlConnectionFromUrl(config.DATABASE_URL),
      pool: {
        min: 0,
        max: options.poolSizeMax ?? mysqlPoolSizeMaxDefault,
        afterCreate: (
          conn: { query(sql: string, cb: (error: Error | null) => void): void },
          done: (error: Error | null, conn: unknown) => void,
        ) => {
          // NOW() and friends in UTC, whatever the server's zone; strict mode so a too-long
          // string or an out-of-range number is an error, not a silent truncation.
          conn.query(
            "SET time_zone = '+00:00', sql_mode = CONCAT_WS(',', @@sql_mode, 'STRICT_TRANS_TABLES')",
            (error) => done(error, conn),
          );
        },
      },
      acquireConnectionTimeout: acquireConnectionTimeoutMs,
    });
  }
  const filename =
    options.sqliteFilename ?? join(resolve(config.DATA_DIR ?? '.data'), sqliteFileName);
  if (filename === ':memory:') return openSqlite(filename);
  const key = resolve(filename);
  const shared = sharedSqlite.get(key);
  if (shared) {
    shared.refs += 1;
    return shared.knex;
  }
  mkdirSync(resolve(filename, '..'), { recursive: true });
  const knex = openSqlite(key);
  const entry = { knex, refs: 1 };
  sharedSqlite.set(key, entry);
  const destroyPool = knex.destroy.bind(knex);
  // Each createSql caller calls destroy once; the connection closes with the last one.
  Object.defineProperty(knex, 'destroy', {
    configurable: true,
    value: async () => {
      entry.refs -= 1;
      if (entry.refs > 0) return;
      sharedSqlite.delete(key);
      await destroyPool();
    },
  });
  return knex;
}

/**
 * One knex handle per SQLite file per process. better-sqlite3 is synchronous: with two handles on
 * one file in one thread, the second writer's busy wait would block the event loop while the first
 * handle's transaction waits on that same loop to commit, so both stall for the busy timeout. When
 * several services share a process (the all-in-one entry) and each calls createSql, they all get
 * the same handle, which queues their transactions on its single connection instead.
 */
const sharedSqlite = new Map<string, { knex: Knex; refs: number }>();

function openSqlite(filename: string): Knex {
  return knexFactory({
    client: SpendstreamSqliteClient as unknown as typeof knexFactory.Client,
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (
        db: BetterSqlite3.Database,
        done: (error: Error | null, db: unknown) => void,
      ) => {
        try {
          // WAL: readers in other processes do not block the writer. synchronous FULL (set
          // explicitly, not left to the build's default) so a commit survives a power
          // cut, which "acknowledged means durable" needs.
          if (filename !== ':memory:') db.pragma('journal_mode = WAL');
          db.pragma('synchronous = FULL');
          db.pragma('foreign_keys = ON');
          db.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`);
          done(null, db);
        } catch (error) {
          done(error as Error, db);
        }
      },
    },
    acquireConnectionTimeout: acquireConnectionTimeoutMs,
  });
}

/** Which dialect a knex handle speaks, for the few queries that differ. */
export function sqlDialect(knex: SqlExecutor): SqlDialect {
  const dialect = (knex.client as { dialect?: string }).dialect;
  if (dialect === 'mysql' || dialect === 'mysql2') return 'mysql';
  if (dialect === 'sqlite3' || dialect === 'better-sqlite3') return 'sqlite';
  throw new Error(`unsupported SQL dialect ${String(dialect)}`);
}

/** A readiness check: the database answers a trivial query. */
export function sqlReadiness(knex: Knex): () => Promise<void> {
  return async () => {
    await knex.raw('select 1');
  };
}

/**
 * A 64-bit integer read from SQL as bigint: decimal strings and safe numbers are exact, anything
 * else (a number beyond 2^53 has already lost digits) is a bug and throws.
 */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`expected an exact integer from SQL, got ${typeof value} ${String(value)}`);
}

/**
 * A bigint as a knex value. Both drivers bind bigints exactly (unquoted), but knex's types list no
 * bigint among values, so `where('amount', int64(x))` says it once instead of a cast per call.
 */
export function int64(value: bigint): Knex.Value {
  return value as unknown as Knex.Value;
}
