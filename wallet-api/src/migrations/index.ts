/**
 * wallet-api migrations as a knex migration source: a list in code, so the same migrations run
 * under tsx, from tests and from a bundled build, on MySQL/MariaDB and SQLite alike.
 */
import type { Knex } from 'knex';
import * as initial from './0001-initial.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: ReadonlyArray<readonly [string, Migration]> = [['0001-initial', initial]];

/** The knex MigrationSource for wallet-api; pass as `migrationSource` with its own table name. */
export const walletMigrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(migrations.map(([name]) => name)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const found = migrations.find(([n]) => n === name);
    if (!found) throw new Error(`unknown wallet-api migration ${name}`);
    return Promise.resolve(found[1]);
  },
};

/** The migrations table of wallet-api, apart from the other services sharing a database. */
export const walletMigrationsTable = 'wallet_api_migrations';

/** Bring the schema to the newest version. */
export async function migrateWalletDb(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    migrationSource: walletMigrationSource,
    tableName: walletMigrationsTable,
  });
}
