/**
 * Every store of wallet-api bundled per transaction, and the one transaction scope that hands them
 * down: services receive `Stores` and never open a transaction of their own.
 */
import type { Knex } from 'knex';
import { sqlDialect, withTransaction } from '@spendstream/core/sql';
import type { Db } from './db.js';
import {
  createSqlClientStore,
  createSqlRefreshTokenStore,
  createSqlSigningKeyStore,
} from './features/auth/sql-store.js';
import type { ClientStore, RefreshTokenStore, SigningKeyStore } from './features/auth/store.js';
import { createSqlIdempotencyStore } from './features/idempotency/sql-store.js';
import type { IdempotencyStore } from './features/idempotency/store.js';
import { createSqlLedgerStore } from './features/ledger/sql-store.js';
import type { LedgerStore } from './features/ledger/store.js';
import { createSqlOutboxStore } from './features/outbox/sql-store.js';
import type { OutboxStore } from './features/outbox/store.js';
import { createSqlUserStore } from './features/users/sql-store.js';
import type { UserStore } from './features/users/store.js';
import { createSqlWalletStore } from './features/wallets/sql-store.js';
import type { WalletStore } from './features/wallets/store.js';

export interface Stores {
  users: UserStore;
  wallets: WalletStore;
  ledger: LedgerStore;
  outbox: OutboxStore;
  idempotency: IdempotencyStore;
  refreshTokens: RefreshTokenStore;
  signingKeys: SigningKeyStore;
  clients: ClientStore;
}

/** Runs `fn` in one transaction with every store bound to it; commits when `fn` resolves. */
export interface UnitOfWork {
  transaction<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /** Stores outside any transaction, for single reads. */
  readonly read: Stores;
}

export function createSqlStores(db: Db): Stores {
  return {
    users: createSqlUserStore(db),
    wallets: createSqlWalletStore(db),
    ledger: createSqlLedgerStore(db),
    outbox: createSqlOutboxStore(db),
    idempotency: createSqlIdempotencyStore(db),
    refreshTokens: createSqlRefreshTokenStore(db),
    signingKeys: createSqlSigningKeyStore(db),
    clients: createSqlClientStore(db),
  };
}

/** The unit of work on a knex connection (MySQL/MariaDB or SQLite). */
/** Deadlock retries: transfers lock two rows, so a few aborted attempts are normal under load. */
export const deadlockRetriesMax = 5;

/**
 * The unit of work on a knex connection (MySQL/MariaDB or SQLite). READ COMMITTED on MySQL: the
 * ledger relies on row locks and conditional updates, not on snapshots, and it spares inserts into
 * unique indexes (idempotency keys, outbox) the gap locks that cause deadlocks under REPEATABLE READ.
 */
export function createSqlUnitOfWork(knex: Knex): UnitOfWork {
  const isMysql = sqlDialect(knex) === 'mysql';
  const options = {
    retriesMax: deadlockRetriesMax,
    ...(isMysql ? { isolationLevel: 'read committed' as const } : {}),
  };
  return {
    transaction: (fn) => withTransaction(knex, (trx) => fn(createSqlStores(trx)), options),
    read: createSqlStores(knex),
  };
}
