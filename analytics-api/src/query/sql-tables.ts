/**
 * The embedded twin of the documents and rollups: SQL tables (SQLite by default, MySQL works too)
 * holding the same data as MongoDB + the search index. `ensureAnalyticsTables` is idempotent.
 */
import type { Knex } from 'knex';

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
