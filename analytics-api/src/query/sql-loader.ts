/**
 * Load transaction documents and their daily rollups into the embedded SQL tables: the stand-in
 * for stream-jobs' embedded writer in tests and benchmarks. Not used by the running service.
 */
import type { Knex } from 'knex';
import type { TransactionDoc } from './analytics-store.js';
import { rollupsOf, searchTextOf } from './rollups.js';
import { sqlTables } from './sql-tables.js';

/** Rows per INSERT statement: well under SQLite's bound-variable limit at 19 columns a row. */
export const sqlInsertRowsMax = 500;

/** Insert the documents, their tags and their rollups (into empty tables for these users). */
export async function loadSqlDocuments(db: Knex, docs: TransactionDoc[]): Promise<void> {
  const transactionRows = docs.map((doc) => ({
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
    description: doc.description,
    note: doc.note,
    tags: JSON.stringify(doc.tags),
    search_text: searchTextOf(doc),
  }));
  const tagRows = docs.flatMap((doc) =>
    [...new Set(doc.tags)].map((tag) => ({ transaction_id: doc.id, user_id: doc.userId, tag })),
  );
  const rollupRows = rollupsOf(docs).map((rollup) => ({
    rollup_key: rollup.rollupKey,
    user_id: rollup.userId,
    local_date: rollup.localDate,
    wallet_id: rollup.walletId,
    kind: rollup.kind,
    flow: rollup.flow,
    category: rollup.category,
    subcategory: rollup.subcategory,
    merchant: rollup.merchant,
    currency: rollup.currency,
    home_currency: rollup.homeCurrency,
    home_minor: rollup.homeMinor,
    original_minor: rollup.originalMinor,
    count: rollup.count,
  }));
  await db.transaction(async (trx) => {
    await trx.batchInsert(sqlTables.transactions, transactionRows, sqlInsertRowsMax);
    await trx.batchInsert(sqlTables.transactionTags, tagRows, sqlInsertRowsMax);
    await trx.batchInsert(sqlTables.rollupsDaily, rollupRows, sqlInsertRowsMax);
  });
}
