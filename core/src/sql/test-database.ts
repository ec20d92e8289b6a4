/**
 * Fresh databases for tests: a new MariaDB/MySQL database with a unique name on the real server
 * (`npm run infra:up`), or a new SQLite file in a temporary folder. Each test gets its own, so ava
 * can run files in parallel.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { envFilePath, realServers, uniqueName } from '../testing/servers.js';
import { createSql, type SqlDialect } from './create-sql.js';

export interface TestDatabase {
  dialect: SqlDialect;
  knex: Knex;
  /** What `createSql` needs to open the same database again (another process, a restart). */
  config: { DATABASE_URL?: string; DATA_DIR?: string };
  /** Close the connection and drop the database (or delete the file). */
  destroy(): Promise<void>;
}

/**
 * The dialects to run SQL tests on: SQLite always, and MySQL once infra:up has run (it writes
 * .infra/env.json). With the file present, a MariaDB that is down fails the MySQL tests with
 * realServers()'s "run npm run infra:up" message rather than quietly dropping them. `npm test`
 * brings the servers up first, so the full suite always covers both.
 */
export function testDialects(): SqlDialect[] {
  return existsSync(envFilePath) ? ['sqlite', 'mysql'] : ['sqlite'];
}

/** A fresh, empty database of the given dialect. */
export async function createTestDatabase(dialect: SqlDialect = 'sqlite'): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'spendstream-sql-'));
    const knex = createSql({ DATA_DIR: dir });
    return {
      dialect,
      knex,
      config: { DATA_DIR: dir },
      async destroy() {
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const serverUrl = realServers(['DATABASE_URL']).DATABASE_URL;
  const name = uniqueName('test');
  const admin = createSql({ DATABASE_URL: serverUrl }, { poolSizeMax: 1 });
  await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [name]);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const knex = createSql({ DATABASE_URL: url.toString() });
  return {
    dialect,
    knex,
    config: { DATABASE_URL: url.toString() },
    async destroy() {
      await knex.destroy();
      await admin.raw('DROP DATABASE IF EXISTS ??', [name]);
      await admin.destroy();
    },
  };
}
