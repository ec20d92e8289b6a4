/**
 * Test databases for wallet-api: core's fresh SQLite file or fresh MariaDB database (unique name on
 * the server `npm run infra:up` started), migrated to the wallet-api schema.
 */
import type { Knex } from 'knex';
import { createTestDatabase } from '@spendstream/core/sql/test-database';
import { migrateWalletDb } from '../src/migrations/index.js';

export type TestDbKind = 'sqlite' | 'mariadb';

export interface TestDb {
  kind: TestDbKind;
  knex: Knex;
  /** DATABASE_URL or DATA_DIR to open the same database again (the HTTP app, a restart). */
  config: { DATABASE_URL?: string; DATA_DIR?: string };
  close(): Promise<void>;
}

export async function openTestDb(kind: TestDbKind): Promise<TestDb> {
  const db = await createTestDatabase(kind === 'mariadb' ? 'mysql' : 'sqlite');
  await migrateWalletDb(db.knex);
  return { kind, knex: db.knex, config: db.config, close: () => db.destroy() };
}
