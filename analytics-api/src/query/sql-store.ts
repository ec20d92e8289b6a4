/**
 * The embedded twin of the query port: aggregates and searches over the SQL tables of
 * `sql-tables.ts` with knex. Sums come back as text and become bigint, so no amount ever passes
 * through a float.
 */
import type { Knex } from 'knex';
import {
  compareBuckets,
  facetBucketsMax,
  facetFields,
  searchWords,
  sortValueOf,
  type AggregateQuery,
  type AggregateRow,
  type AnalyticsStore,
  type FacetBucket,
  type FacetField,
  type GroupDimension,
  type SearchPage,
  type SearchQuery,
  type TransactionDoc,
  type TransactionKind,
  type Flow,
} from './analytics-store.js';
import { reversedStatus } from './rollups.js';
import { sqlTables } from './sql-tables.js';

const rollupColumns: Record<Exclude<GroupDimension, 'tag'>, string> = {
  category: 'category',
  subcategory: 'subcategory',
  merchant: 'merchant',
  merchantKey: 'merchant_key',
  wallet: 'wallet_id',
  currency: 'currency',
  flow: 'flow',
  day: 'local_date',
};

const facetColumns: Record<Exclude<FacetField, 'tag'>, string> = {
  category: 'category',
  wallet: 'wallet_id',
  currency: 'currency',
  status: 'status',
  kind: 'kind',
  flow: 'flow',
};

interface TransactionRow {
  id: string;
  user_id: string;
  wallet_id: string;
  kind: string;
  flow: string;
  status: string;
  occurred_at: string;
  local_date: string;
  time_zone: string;
  amount_minor: string;
  currency: string;
  home_amount_minor: string;
  home_currency: string;
  category: string;
  subcategory: string | null;
  merchant: string | null;
  merchant_key: string | null;
  description: string;
  note: string | null;
  tags: string;
}

function textType(db: Knex): string {
  const client = String(db.client.config.client);
  return client.includes('mysql') ? 'CHAR' : 'TEXT';
}

function rowToDoc(row: TransactionRow): TransactionDoc {
  return {
    id: row.id,
    userId: row.user_id,
    walletId: row.wallet_id,
    kind: row.kind as TransactionKind,
    flow: row.flow as Flow,
    status: row.status,
    occurredAt: row.occurred_at,
    localDate: row.local_date,
    timeZone: row.time_zone,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    homeAmountMinor: BigInt(row.home_amount_minor),
    homeCurrency: row.home_currency,
    category: row.category,
    subcategory: row.subcategory,
    merchant: row.merchant,
    merchantKey: row.merchant_key,
    description: row.description,
    note: row.note,
    tags: JSON.parse(row.tags) as string[],
  };
}

/** Build the SQL twin of the query port on a knex connection whose tables exist. */
export function createSqlAnalyticsStore(db: Knex): AnalyticsStore {
  const text = textType(db);
  const transactionColumns = [
    't.id',
    't.user_id',
    't.wallet_id',
    't.kind',
    't.flow',
    't.status',
    't.occurred_at',
    't.local_date',
    't.time_zone',
    db.raw(`CAST(t.amount_minor AS ${text}) AS amount_minor`),
    't.currency',
    db.raw(`CAST(t.home_amount_minor AS ${text}) AS home_amount_minor`),
    't.home_currency',
    't.category',
    't.subcategory',
    't.merchant',
    't.merchant_key',
    't.description',
    't.note',
    't.tags',
  ];

  function whereCategoryIn(builder: Knex.QueryBuilder, alias: string, ids: string[]): void {
    builder.where(function inCategory() {
      this.whereIn(`${alias}.category`, ids).orWhereIn(`${alias}.subcategory`, ids);
    });
  }

  function whereTagIn(builder: Knex.QueryBuilder, alias: string, tags: string[]): void {
    builder.whereExists(function tagged() {
      this.select(db.raw('1'))
        .from(`${sqlTables.transactionTags} as tg`)
        .whereRaw(`tg.transaction_id = ${alias}.id`)
        .whereIn('tg.tag', tags);
    });
  }

  function applySearchFilters(builder: Knex.QueryBuilder, query: SearchQuery): void {
    const shared = query.shared?.filter((scope) => scope.walletIds.length > 0) ?? [];
    if (shared.length === 0) builder.where('t.user_id', query.userId);
    else {
      builder.where((scopes) => {
        scopes.where('t.user_id', query.userId);
        for (const scope of shared) {
          scopes.orWhere((owner) =>
            owner.where('t.user_id', scope.userId).whereIn('t.wallet_id', [...scope.walletIds]),
          );
        }
      });
    }
    if (query.from !== undefined) builder.where('t.local_date', '>=', query.from);
    if (query.to !== undefined) builder.where('t.local_date', '<', query.to);
    if (query.minAmountMinor !== undefined) {
      builder.where('t.home_amount_minor', '>=', query.minAmountMinor.toString());
    }
    if (query.maxAmountMinor !== undefined) {
      builder.where('t.home_amount_minor', '<=', query.maxAmountMinor.toString());
    }
    if (query.categories?.length) whereCategoryIn(builder, 't', query.categories);
    if (query.walletIds?.length) builder.whereIn('t.wallet_id', query.walletIds);
    if (query.currencies?.length) builder.whereIn('t.currency', query.currencies);
    if (query.statuses?.length) builder.whereIn('t.status', query.statuses);
    if (query.kinds?.length) builder.whereIn('t.kind', query.kinds);
    if (query.flows?.length) builder.whereIn('t.flow', query.flows);
    if (query.merchant !== undefined) builder.where('t.merchant', query.merchant);
    if (query.merchantKey !== undefined) builder.where('t.merchant_key', query.merchantKey);
    if (query.ids?.length) builder.whereIn('t.id', query.ids);
    if (query.tags?.length) whereTagIn(builder, 't', query.tags);
    for (const word of searchWords(query.text ?? '')) {
      builder.where('t.search_text', 'like', `% ${word} %`);
    }
  }

  async function facetsFor(
    query: SearchQuery,
  ): Promise<Partial<Record<FacetField, FacetBucket[]>>> {
    // One statement for every single-valued facet (fewer round trips through knex), one for tags.
    const parts = facetFields
      .filter((field): field is Exclude<FacetField, 'tag'> => field !== 'tag')
      .map((field) => {
        const column = `t.${facetColumns[field]}`;
        const part = db(`${sqlTables.transactions} as t`)
          .select(db.raw('? as facet', [field]), { value: column })
          .count({ count: '*' });
        applySearchFilters(part, query);
        return part.groupBy(column);
      });
    // knex's unionAll misplaces GROUP BY, so the statement is joined from each part's SQL.
    const compiled = parts.map((part) => part.toSQL());
    const raw = (await db.raw(
      compiled.map((part) => part.sql).join(' UNION ALL '),
      compiled.flatMap((part) => [...part.bindings]),
    )) as unknown[];
    // better-sqlite3 answers the rows; mysql2 answers [rows, fields].
    const single = (Array.isArray(raw[0]) ? raw[0] : raw) as Array<{
      facet: string;
      value: string;
      count: number | string;
    }>;
    const tagBuilder = db(`${sqlTables.transactions} as t`);
    applySearchFilters(tagBuilder, query);
    const tagRows = (await tagBuilder
      .join(`${sqlTables.transactionTags} as f`, 'f.transaction_id', 't.id')
      .select({ value: 'f.tag' })
      .count({ count: '*' })
      .groupBy('f.tag')) as Array<{ value: string; count: number | string }>;
    const facets: Partial<Record<FacetField, FacetBucket[]>> = {};
    for (const field of facetFields) {
      const rows = field === 'tag' ? tagRows : single.filter((row) => row.facet === field);
      facets[field] = rows
        .map((row) => ({ value: row.value, count: Number(row.count) }))
        .sort(compareBuckets)
        .slice(0, facetBucketsMax);
    }
    return facets;
  }

  return {
    async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
      const byTag = query.groupBy.includes('tag');
      // Tags live on the documents, not in the rollups.
      const fromDocuments = byTag || (query.tags?.length ?? 0) > 0;
      const builder = db(
        fromDocuments ? `${sqlTables.transactions} as r` : `${sqlTables.rollupsDaily} as r`,
      );
      if (byTag) builder.join(`${sqlTables.transactionTags} as g`, 'g.transaction_id', 'r.id');
      const homeColumn = fromDocuments ? 'r.home_amount_minor' : 'r.home_minor';
      const originalColumn = fromDocuments ? 'r.amount_minor' : 'r.original_minor';
      const countExpression = fromDocuments ? 'COUNT(*)' : 'SUM(r.count)';
      builder
        .where('r.user_id', query.userId)
        .where('r.local_date', '>=', query.from)
        .where('r.local_date', '<', query.to);
      if (fromDocuments) builder.whereNot('r.status', reversedStatus);
      if (query.flows?.length) builder.whereIn('r.flow', query.flows);
      if (query.walletIds?.length) builder.whereIn('r.wallet_id', query.walletIds);
      if (query.categories?.length) whereCategoryIn(builder, 'r', query.categories);
      if (query.merchantKeys?.length) builder.whereIn('r.merchant_key', query.merchantKeys);
      if (query.tags?.length) whereTagIn(builder, 'r', query.tags);
      const selected: Record<string, string> = {};
      const groupColumns: string[] = [];
      for (const dimension of query.groupBy) {
        const column = dimension === 'tag' ? 'g.tag' : `r.${rollupColumns[dimension]}`;
        selected[`k_${dimension}`] = column;
        groupColumns.push(column);
      }
      if (groupColumns.length > 0) builder.select(selected);
      builder.select(
        db.raw(`CAST(SUM(${homeColumn}) AS ${text}) AS home_minor`),
        db.raw(`CAST(SUM(${originalColumn}) AS ${text}) AS original_minor`),
        db.raw(`CAST(${countExpression} AS ${text}) AS row_count`),
      );
      if (groupColumns.length > 0) builder.groupBy(groupColumns);
      const rows = (await builder) as Array<Record<string, string | null>>;
      return rows
        .filter((row) => row.row_count !== null && row.row_count !== '0')
        .map((row) => {
          const key: AggregateRow['key'] = {};
          for (const dimension of query.groupBy) key[dimension] = row[`k_${dimension}`] ?? null;
          return {
            key,
            homeMinor: BigInt(row.home_minor ?? '0'),
            originalMinor: BigInt(row.original_minor ?? '0'),
            count: Number(row.row_count),
          };
        });
    },

    async search(query: SearchQuery): Promise<SearchPage> {
      const byDate = query.sort.startsWith('date');
      const descending = query.sort.endsWith('desc');
      const sortColumn = byDate ? 't.occurred_at' : 't.home_amount_minor';
      const direction = descending ? 'desc' : 'asc';
      const page = db(`${sqlTables.transactions} as t`).select(transactionColumns);
      applySearchFilters(page, query);
      const cursor = query.cursor;
      if (cursor) {
        const operator = descending ? '<' : '>';
        const value = cursor.value;
        page.where(function afterCursor() {
          this.where(sortColumn, operator, value).orWhere(function tie() {
            this.where(sortColumn, value).where('t.id', operator, cursor.id);
          });
        });
      }
      page
        .orderBy(sortColumn, direction)
        .orderBy('t.id', direction)
        .limit(query.limit + 1);
      const rows = (await page) as TransactionRow[];
      const items = rows.slice(0, query.limit).map(rowToDoc);
      const last = items.at(-1);
      const next =
        rows.length > query.limit && last
          ? { value: sortValueOf(last, query.sort), id: last.id }
          : null;
      const totalBuilder = db(`${sqlTables.transactions} as t`);
      applySearchFilters(totalBuilder, query);
      const totalRow = (await totalBuilder.count({ count: '*' }).first()) as {
        count: number | string;
      };
      const facets = query.withFacets ? await facetsFor(query) : {};
      return { items, next, total: Number(totalRow.count), facets };
    },

    async findTransaction(userId: string, id: string): Promise<TransactionDoc | null> {
      const row = (await db(`${sqlTables.transactions} as t`)
        .select(transactionColumns)
        .where({ 't.id': id, 't.user_id': userId })
        .first()) as TransactionRow | undefined;
      return row ? rowToDoc(row) : null;
    },

    async ping(): Promise<void> {
      await db.raw('select 1');
    },

    async close(): Promise<void> {
      // The knex connection belongs to whoever opened it.
    },
  };
}
