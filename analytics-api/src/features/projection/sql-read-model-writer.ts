/**
 * Applies documents to the embedded read model exactly once per version: a document replaces the
 * stored one only when its version is higher, and the daily rollups of every (user, local date) it
 * left or entered are recomputed from the documents, so duplicates, replays and out-of-order
 * versions leave the rollups equal to a recomputation (invariant 4).
 */
import type { Knex } from 'knex';
import { withTransaction } from '@spendstream/core/sql';
import { rollupsOf } from '../../query/rollups.js';
import { rollupRowOf, sqlTables, transactionRowOf } from '../../query/sql-tables.js';
import { createSqlAnalyticsStore } from '../../query/sql-store.js';
import type { VersionedDoc } from './enriched-to-doc.js';
import type { TransactionDoc } from '../../query/analytics-store.js';
import { addDays } from '../../domain/periods.js';

/** Documents read per page when a touched day's rollups are recomputed. */
export const dayDocumentsPageSize = 500;

export interface ReadModelWriter {
  /** Apply documents (any order, duplicates allowed); resolves with the ones newly stored. */
  apply(docs: VersionedDoc[]): Promise<TransactionDoc[]>;
}

/** Create the version column the writer relies on (a migration of analytics-api). */
export async function addDocumentVersionColumn(db: Knex): Promise<void> {
  await db.schema.alterTable(sqlTables.transactions, (table) => {
    table.bigInteger('version').notNullable().defaultTo(0);
  });
}

export function createSqlReadModelWriter(db: Knex): ReadModelWriter {
  return {
    async apply(docs) {
      return withTransaction(db, async (trx) => {
        const applied = new Map<string, TransactionDoc>();
        const dirty = new Map<string, { userId: string; localDate: string }>();
        for (const { doc, version } of docs) {
          const existing = (await trx(sqlTables.transactions)
            .select('version', 'user_id', 'local_date')
            .where({ id: doc.id })
            .first()) as
            { version: number | bigint; user_id: string; local_date: string } | undefined;
          if (existing && Number(existing.version) >= version) continue;
          if (existing)
            dirty.set(`${existing.user_id}|${existing.local_date}`, {
              userId: existing.user_id,
              localDate: existing.local_date,
            });
          dirty.set(`${doc.userId}|${doc.localDate}`, {
            userId: doc.userId,
            localDate: doc.localDate,
          });
          const row = { ...transactionRowOf(doc), version };
          applied.set(doc.id, doc);
          if (existing) await trx(sqlTables.transactions).where({ id: doc.id }).update(row);
          else await trx(sqlTables.transactions).insert(row);
          await trx(sqlTables.transactionTags).where({ transaction_id: doc.id }).delete();
          if (doc.tags.length > 0) {
            await trx(sqlTables.transactionTags).insert(
              doc.tags.map((tag) => ({ transaction_id: doc.id, user_id: doc.userId, tag })),
            );
          }
        }
        // Recompute the touched days from the documents: exact whatever arrived in what order.
        const store = createSqlAnalyticsStore(trx as unknown as Knex);
        for (const { userId, localDate } of dirty.values()) {
          await trx(sqlTables.rollupsDaily)
            .where({ user_id: userId, local_date: localDate })
            .delete();
          const dayDocs = [];
          for (let cursor: { value: string; id: string } | undefined, more = true; more;) {
            const page = await store.search({
              userId,
              from: localDate,
              to: addDays(localDate, 1),
              sort: 'date_asc',
              limit: dayDocumentsPageSize,
              cursor,
              withFacets: false,
            });
            dayDocs.push(...page.items);
            more = page.next !== null;
            cursor = page.next ?? undefined;
          }
          const rows = rollupsOf(dayDocs).map(rollupRowOf);
          if (rows.length > 0) await trx(sqlTables.rollupsDaily).insert(rows);
        }
        return [...applied.values()];
      });
    },
  };
}
