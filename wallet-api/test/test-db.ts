/**
 * Test databases for wallet-api: a fresh SQLite file, or a fresh MariaDB database with a unique name
 * on the server `npm run infra:up` started. Each call migrates its own database, so test files run
 * in parallel without sharing rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { migrateWalletDb } from '../src/migrations/index.js';

export type TestDbKind = 'sqlite' | 'mariadb';

export interface TestDb {
  kind: TestDbKind;
  knex: Knex;
  close(): Promise<void>;
}

/** Connections per MariaDB test pool: enough for real contention, well under max_connections. */
export const testPoolSizeMax = 20;

export async function openTestDb(kind: TestDbKind): Promise<TestDb> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wallet-api-'));
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'wallet.db') },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate: (
          conn: { pragma(s: string): unknown },
          done: (err: Error | null, conn: unknown) => void,
        ) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    });
    await migrateWalletDb(knex);
    return {
      kind,
      knex,
      async close() {
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = new URL(realServers(['DATABASE_URL']).DATABASE_URL);
  const database = uniqueName('wallet_test');
  const connection = {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
  const admin = knexFactory({ client: 'mysql2', connection, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE \`${database}\``);
  const knex = knexFactory({
    client: 'mysql2',
    connection: { ...connection, database },
    pool: { min: 0, max: testPoolSizeMax },
  });
  await migrateWalletDb(knex);
  return {
    kind,
    knex,
    async close() {
      await knex.destroy();
      await admin.raw(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.destroy();
    },
  };
}
