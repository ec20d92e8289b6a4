/**
 * wallet-api migrations, listed in code and applied through `@spendstream/core/sql` with their own
 * history table (`wallet_api_migrations`), the same on MySQL/MariaDB and SQLite.
 */
import type { Knex } from 'knex';
import { migrateToLatest } from '@spendstream/core/sql';
import type { MigrationSet } from '@spendstream/core/sql';
import * as initial from './0001-initial.js';
import * as rateLimits from './0002-rate-limits.js';
import * as userSettings from './0003-user-settings.js';
import * as leases from './0004-leases.js';
import * as walletsRevision from './0005-wallets-revision.js';

export const walletMigrations: MigrationSet = {
  scope: 'wallet-api',
  migrations: [
    { name: '0001-initial', up: initial.up, down: initial.down },
    { name: '0002-rate-limits', up: rateLimits.up, down: rateLimits.down },
    { name: '0003-user-settings', up: userSettings.up, down: userSettings.down },
    { name: '0004-leases', up: leases.up, down: leases.down },
    { name: '0005-wallets-revision', up: walletsRevision.up, down: walletsRevision.down },
  ],
};

/** Bring the schema to the newest version; returns the migrations applied. */
export function migrateWalletDb(knex: Knex): Promise<string[]> {
  return migrateToLatest(knex, walletMigrations);
}
