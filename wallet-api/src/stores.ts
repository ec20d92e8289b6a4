/**
 * Every store of wallet-api bundled per transaction, and the one transaction scope that hands them
 * down: services receive `Stores` and never open a transaction of their own.
 */
import type { Knex } from 'knex';
import { isRetryableTransactionError, sqlDialect, withTransaction } from '@spendstream/core/sql';
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
import { createSqlLeaseStore } from './features/leases/sql-store.js';
import type { LeaseStore } from './features/leases/store.js';
import { createSqlRateLimitStore } from './features/rate-limits/sql-store.js';
import type { RateLimitStore } from './features/rate-limits/store.js';
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
  rateLimits: RateLimitStore;
  leases: LeaseStore;
}

/** One write's result inside a batch: its value, or the error that rolled back its savepoint. */
export type BatchResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` in one transaction with every store bound to it; commits when `fn` resolves. */
export interface UnitOfWork {
  transaction<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  /**
   * Run several independent writes in one transaction, each in its own savepoint: a write that
   * throws is rolled back alone, the others commit together (one commit, one fsync). A deadlock
   * aborts and retries the whole batch.
   */
  batch<T>(fns: Array<(stores: Stores) => Promise<T>>): Promise<Array<BatchResult<T>>>;
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
    rateLimits: createSqlRateLimitStore(db),
    leases: createSqlLeaseStore(db),
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
    batch: async <T>(
      fns: Array<(stores: Stores) => Promise<T>>,
    ): Promise<Array<BatchResult<T>>> => {
      // A batch of one needs no savepoint: its failure rolls back its own transaction.
      if (fns.length === 1) {
        try {
          return [
            {
              ok: true,
              value: await withTransaction(knex, (trx) => fns[0]!(createSqlStores(trx)), options),
            },
          ];
        } catch (error) {
          return [{ ok: false, error }];
        }
      }
      return withTransaction(
        knex,
        async (trx) => {
          const results: Array<BatchResult<T>> = [];
          for (const fn of fns) {
            try {
              results.push({
                ok: true,
                value: await trx.transaction((savepoint) => fn(createSqlStores(savepoint))),
              });
            } catch (error) {
              // A deadlock rolled back the whole transaction, not just the savepoint: retry it all.
              if (isRetryableTransactionError(error)) throw error;
              results.push({ ok: false, error });
            }
          }
          return results;
        },
        options,
      );
    },
    read: createSqlStores(knex),
  };
}
