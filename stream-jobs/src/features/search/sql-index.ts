/**
 * The embedded adapter of the search-index port: one SQL table with the filter columns and the
 * document as JSON; text search is a case-insensitive match of every word against a folded text
 * column. Good for one user's history on a laptop, which is what the embedded default is for.
 */
import type { Knex } from 'knex';
import { ValidationError } from '@spendstream/core/errors';
import { insertRows, type OnConflict } from '../documents/sql-rows.js';
import { documentFromJson, documentJsonText } from '../documents/store.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import { indexBatchSizeMax, searchPageSizeMax, type SearchIndex } from './search-index.js';

const searchColumns = [
  'id',
  'version',
  'user_id',
  'occurred_at_utc',
  'status',
  'merchant_key',
  'wallet_id',
  'category_path',
  'home_amount',
  'search_text',
  'doc',
] as const;
/** A stored id is replaced by the newer version, every column. */
const searchConflict: OnConflict = {
  key: 'id',
  columns: Object.fromEntries(searchColumns.slice(1).map((column) => [column, 'replace'])),
};
/** Most words of a text query. */
export const queryWordsMax = 10;

function fold(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
}

function searchTextOf(doc: TransactionDocument): string {
  return fold(
    [doc.merchantName, doc.merchantRaw, doc.description, doc.note].filter(Boolean).join(' '),
  );
}

export function createSqlSearchIndex(options: {
  knex: Knex;
  tablePrefix?: string;
  closeKnex?: boolean;
  /**
   * The SQL documents store's table of documents (`sqlDocumentsTable`) when the store writes it in
   * this same database and transaction (the embedded default): the index then keeps no copy of
   * each document (its `doc` is written empty) and a search reads the documents from that table.
   */
  documentsTable?: string;
}): SearchIndex {
  const { knex, documentsTable } = options;
  const table = `${options.tablePrefix ?? 'sj_'}search`;
  const s = (column: string) => `${table}.${column}`;
  return {
    kind: 'embedded',
    sql: {
      knex,
      within: (trx) => createSqlSearchIndex({ ...options, knex: trx, closeKnex: false }),
    },
    async init() {
      if (await knex.schema.hasTable(table)) return;
      await knex.schema.createTable(table, (t) => {
        t.string('id', 128).primary();
        t.bigInteger('version').notNullable();
        t.string('user_id', 128).notNullable();
        t.string('occurred_at_utc', 32).notNullable();
        t.string('status', 16).notNullable();
        t.string('merchant_key', 200).notNullable();
        t.string('wallet_id', 128).notNullable();
        t.string('category_path', 400).notNullable();
        t.bigInteger('home_amount').notNullable();
        t.text('search_text').notNullable();
        t.text('doc', 'mediumtext').notNullable();
        t.index(['user_id', 'occurred_at_utc'], `${table}_user_time`);
      });
    },
    async index(docs) {
      if (docs.length > indexBatchSizeMax) {
        throw new ValidationError(`index takes at most ${indexBatchSizeMax} documents`, {
          field: 'docs',
        });
      }
      if (docs.length === 0) return;
      await knex.transaction(async (trx) => {
        const existing = new Map<string, number>();
        const rows = (await trx(table)
          .whereIn(
            'id',
            docs.map((d) => d.id),
          )
          .select('id', 'version')) as { id: string; version: unknown }[];
        for (const row of rows) existing.set(row.id, Number(row.version));
        // The newest version of each id that is newer than the stored one, then multi-row upserts
        // (the versions were read in this same transaction).
        const newest = new Map<string, TransactionDocument>();
        for (const doc of docs) {
          const current = existing.get(doc.id);
          if (current !== undefined && current >= doc.version) continue;
          if ((newest.get(doc.id)?.version ?? -1) < doc.version) newest.set(doc.id, doc);
        }
        const upserts = [...newest.values()].map((doc) => [
          doc.id,
          doc.version,
          doc.userId,
          doc.occurredAtUtc,
          doc.status,
          doc.merchantKey,
          doc.walletId,
          `|${doc.category.path.join('|')}|`,
          doc.homeAmountMinor,
          searchTextOf(doc),
          documentsTable === undefined ? documentJsonText(doc) : '',
        ]);
        await insertRows(trx, table, searchColumns, upserts, searchConflict);
      });
    },
    async search(query) {
      let q = knex(table).where(s('user_id'), query.userId);
      if (query.categoryId) q = q.where(s('category_path'), 'like', `%|${query.categoryId}|%`);
      if (query.merchantKey) q = q.where(s('merchant_key'), query.merchantKey);
      if (query.walletId) q = q.where(s('wallet_id'), query.walletId);
      if (query.status) q = q.where(s('status'), query.status);
      if (query.from) q = q.where(s('occurred_at_utc'), '>=', query.from);
      if (query.to) q = q.where(s('occurred_at_utc'), '<', query.to);
      if (query.minHomeAmount !== undefined)
        q = q.where(s('home_amount'), '>=', query.minHomeAmount.toString());
      if (query.maxHomeAmount !== undefined)
        q = q.where(s('home_amount'), '<=', query.maxHomeAmount.toString());
      if (query.text) {
        for (const word of fold(query.text).split(/\s+/).filter(Boolean).slice(0, queryWordsMax)) {
          q = q.where(s('search_text'), 'like', `%${word.replace(/[%_\\]/g, '')}%`);
        }
      }
      q = q
        .orderBy([
          { column: s('occurred_at_utc'), order: 'desc' },
          { column: s('id'), order: 'asc' },
        ])
        .limit(Math.min(query.limit ?? 50, searchPageSizeMax));
      // A row indexed beside the documents table holds no copy (an empty `doc`); one indexed before
      // (or apart) holds its own, which is read as before.
      const rows = (await (documentsTable === undefined
        ? q.select(s('id'), s('doc'))
        : q
            .leftJoin(documentsTable, `${documentsTable}.id`, s('id'))
            .select(
              s('id'),
              knex.raw(`coalesce(nullif(??, ''), ??) as ??`, [
                s('doc'),
                `${documentsTable}.doc`,
                'doc',
              ]),
            ))) as { id: string; doc: string | null }[];
      return rows.map((row) => {
        if (!row.doc)
          throw new Error(
            `search: ${table} holds no copy of document ${row.id} (indexed beside the documents table${documentsTable === undefined ? ', which this index is not given' : `, which has no row for it`}): rebuild the index (drop ${table}, replay the topics)`,
          );
        return documentFromJson(JSON.parse(row.doc) as Record<string, unknown>);
      });
    },
    async versions(ids) {
      const result = new Map<string, number>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = (await knex(table)
          .whereIn('id', ids.slice(i, i + 500))
          .select('id', 'version')) as { id: string; version: unknown }[];
        for (const row of rows) result.set(row.id, Number(row.version));
      }
      return result;
    },
    async refresh() {},
    async ping() {
      await knex.raw('select 1');
    },
    async close() {
      if (options.closeKnex !== false) await knex.destroy();
    },
  };
}
