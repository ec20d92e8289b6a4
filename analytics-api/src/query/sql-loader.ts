/**
 * Load transaction documents and their daily rollups into the embedded SQL tables: the stand-in
 * for stream-jobs' embedded writer in tests and benchmarks. Not used by the running service.
 */
import type { Knex } from 'knex';
import type { TransactionDoc } from './analytics-store.js';
import { rollupsOf } from './rollups.js';
import { rollupRowOf, sqlTables, transactionRowOf } from './sql-tables.js';

/** Rows per INSERT statement: well under SQLite's bound-variable limit at 20 columns a row. */
export const sqlInsertRowsMax = 500;

/** Insert the documents, their tags and their rollups (into empty tables for these users). */
export async function loadSqlDocuments(db: Knex, docs: TransactionDoc[]): Promise<void> {
  const transactionRows = docs.map(transactionRowOf);
  const tagRows = docs.flatMap((doc) =>
    [...new Set(doc.tags)].map((tag) => ({ transaction_id: doc.id, user_id: doc.userId, tag })),
  );
  const rollupRows = rollupsOf(docs).map(rollupRowOf);
  await db.transaction(async (trx) => {
    await trx.batchInsert(sqlTables.transactions, transactionRows, sqlInsertRowsMax);
    await trx.batchInsert(sqlTables.transactionTags, tagRows, sqlInsertRowsMax);
    await trx.batchInsert(sqlTables.rollupsDaily, rollupRows, sqlInsertRowsMax);
  });
}
