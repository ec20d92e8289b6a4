/**
 * The embedded twin of the documents and rollups: SQL tables (SQLite by default, MySQL works too)
 * holding the same data as MongoDB + the search index. `ensureAnalyticsTables` is idempotent.
 */
import type { Knex } from 'knex';
import type { TransactionDoc } from './analytics-store.js';
import { searchTextOf, type DailyRollup } from './rollups.js';

export const sqlTables = {
  transactions: 'analytics_transactions',
  transactionTags: 'analytics_transaction_tags',
  rollupsDaily: 'analytics_rollups_daily',
} as const;

/** Create the tables and indexes when they are missing. */
export async function ensureAnalyticsTables(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable(sqlTables.transactions))) {
    await db.schema.createTable(sqlTables.transactions, (table) => {
      table.string('id', 64).primary();
      table.string('user_id', 64).notNullable();
      table.string('wallet_id', 64).notNullable();
      table.string('kind', 16).notNullable();
      table.string('flow', 8).notNullable();
      table.string('status', 16).notNullable();
      table.string('occurred_at', 32).notNullable();
      table.string('local_date', 10).notNullable();
      table.string('time_zone', 64).notNullable();
      table.bigInteger('amount_minor').notNullable();
      table.string('currency', 3).notNullable();
      table.bigInteger('home_amount_minor').notNullable();
      table.string('home_currency', 3).notNullable();
      table.string('category', 64).notNullable();
      table.string('subcategory', 64).nullable();
      table.string('merchant', 200).nullable();
      table.string('description', 500).notNullable();
      table.string('note', 1000).nullable();
      table.text('tags').notNullable();
      // ' word word ... ': whole-word matching with LIKE '% word %', the same tokens the search
      // index analyzes.
      table.text('search_text').notNullable();
      table.index(['user_id', 'local_date']);
      table.index(['user_id', 'occurred_at', 'id']);
      table.index(['user_id', 'home_amount_minor', 'id']);
    });
  }
  if (!(await db.schema.hasTable(sqlTables.transactionTags))) {
    await db.schema.createTable(sqlTables.transactionTags, (table) => {
      table.string('transaction_id', 64).notNullable();
      table.string('user_id', 64).notNullable();
      table.string('tag', 64).notNullable();
      table.primary(['transaction_id', 'tag']);
      table.index(['user_id', 'tag']);
    });
  }
  if (!(await db.schema.hasTable(sqlTables.rollupsDaily))) {
    await db.schema.createTable(sqlTables.rollupsDaily, (table) => {
      table.string('rollup_key', 400).primary();
      table.string('user_id', 64).notNullable();
      table.string('local_date', 10).notNullable();
      table.string('wallet_id', 64).notNullable();
      table.string('kind', 16).notNullable();
      table.string('flow', 8).notNullable();
      table.string('category', 64).notNullable();
      table.string('subcategory', 64).nullable();
      table.string('merchant', 200).nullable();
      table.string('currency', 3).notNullable();
      table.string('home_currency', 3).notNullable();
      table.bigInteger('home_minor').notNullable();
      table.bigInteger('original_minor').notNullable();
      table.integer('count').notNullable();
      table.index(['user_id', 'local_date']);
    });
  }
}

/** The longest merchant key kept (core's `labelLengthMax`, the event's bound). */
export const merchantKeyLengthMax = 200;

/**
 * Add the merchant key to documents and rollups (a migration of analytics-api). Rows projected
 * before it have none (NULL) until a reprojection; the old rollup keys are replaced as each
 * day is recomputed.
 */
export async function addMerchantKeyColumns(db: Knex): Promise<void> {
  for (const table of [sqlTables.transactions, sqlTables.rollupsDaily]) {
    await db.schema.alterTable(table, (builder) => {
      builder.string('merchant_key', merchantKeyLengthMax).nullable();
    });
  }
}

/** A document's row in `analytics_transactions` (without the projector's `version`). */
export function transactionRowOf(doc: TransactionDoc) {
  return {
    id: doc.id,
    user_id: doc.userId,
    wallet_id: doc.walletId,
    kind: doc.kind,
    flow: doc.flow,
    status: doc.status,
    occurred_at: doc.occurredAt,
    local_date: doc.localDate,
    time_zone: doc.timeZone,
    amount_minor: doc.amountMinor,
    currency: doc.currency,
    home_amount_minor: doc.homeAmountMinor,
    home_currency: doc.homeCurrency,
    category: doc.category,
    subcategory: doc.subcategory,
    merchant: doc.merchant,
    merchant_key: doc.merchantKey,
    description: doc.description,
    note: doc.note,
    tags: JSON.stringify(doc.tags),
    search_text: searchTextOf(doc),
  };
}

/** A daily rollup's row in `analytics_rollups_daily`. */
export function rollupRowOf(rollup: DailyRollup) {
  return {
    rollup_key: rollup.rollupKey,
    user_id: rollup.userId,
    local_date: rollup.localDate,
    wallet_id: rollup.walletId,
    kind: rollup.kind,
    flow: rollup.flow,
    category: rollup.category,
    subcategory: rollup.subcategory,
    merchant: rollup.merchant,
    merchant_key: rollup.merchantKey,
    currency: rollup.currency,
    home_currency: rollup.homeCurrency,
    home_minor: rollup.homeMinor,
    original_minor: rollup.originalMinor,
    count: rollup.count,
  };
}
