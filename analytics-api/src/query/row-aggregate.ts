/**
 * Aggregation over bucket rows in memory: the yearly bucket documents of the MongoDB adapter
 * hold a user's year as rows, and this folds the rows of the years a query spans with the same
 * semantics as the SQL twin (filters, a top-level category including its subcategories, a
 * transaction counted once however many of the wanted tags it has, once per tag when grouped by tag).
 */
import type { AggregateQuery, AggregateRow, Flow, GroupDimension } from './analytics-store.js';

/**
 * One row of a bucket: the sums of a user's transactions sharing every field on one local date.
 * The projector keeps one row per transaction (`id`, at version `v`), so a new version replaces it.
 */
export interface BucketRow {
  /** The transaction this row is, when the row holds one transaction. */
  id?: string;
  /** The version of that transaction the row holds. */
  v?: number;
  localDate: string;
  walletId: string;
  flow: Flow;
  category: string;
  subcategory: string | null;
  merchant: string | null;
  /** Null in rows written before analytics kept merchant keys (`mongo-rollups.ts`). */
  merchantKey: string | null;
  currency: string;
  /** The (sorted, distinct) tag set of the transactions in this row. */
  tags: string[];
  homeMinor: bigint;
  originalMinor: bigint;
  count: number;
}

function keyValue(row: BucketRow, dimension: Exclude<GroupDimension, 'tag'>): string | null {
  switch (dimension) {
    case 'category':
      return row.category;
    case 'subcategory':
      return row.subcategory;
    case 'merchant':
      return row.merchant;
    case 'merchantKey':
      return row.merchantKey;
    case 'wallet':
      return row.walletId;
    case 'currency':
      return row.currency;
    case 'flow':
      return row.flow;
    case 'day':
      return row.localDate;
  }
}

/** Fold rows into aggregate rows for a query. */
export function aggregateRows(rows: Iterable<BucketRow>, query: AggregateQuery): AggregateRow[] {
  const flows = query.flows?.length ? new Set<string>(query.flows) : null;
  const wallets = query.walletIds?.length ? new Set(query.walletIds) : null;
  const categories = query.categories?.length ? new Set(query.categories) : null;
  const tags = query.tags?.length ? new Set(query.tags) : null;
  const merchantKeys = query.merchantKeys?.length ? new Set(query.merchantKeys) : null;
  const byTag = query.groupBy.includes('tag');
  const plain = query.groupBy.filter(
    (dimension): dimension is Exclude<GroupDimension, 'tag'> => dimension !== 'tag',
  );
  const groups = new Map<string, AggregateRow>();
  for (const row of rows) {
    if (row.localDate < query.from || row.localDate >= query.to) continue;
    if (flows && !flows.has(row.flow)) continue;
    if (wallets && !wallets.has(row.walletId)) continue;
    if (
      categories &&
      !categories.has(row.category) &&
      !(row.subcategory !== null && categories.has(row.subcategory))
    )
      continue;
    if (merchantKeys && (row.merchantKey === null || !merchantKeys.has(row.merchantKey))) continue;
    if (tags && !row.tags.some((tag) => tags.has(tag))) continue;
    const base: AggregateRow['key'] = {};
    for (const dimension of plain) base[dimension] = keyValue(row, dimension);
    const keys: AggregateRow['key'][] = byTag ? row.tags.map((tag) => ({ ...base, tag })) : [base];
    for (const key of keys) {
      const id = JSON.stringify(query.groupBy.map((dimension) => key[dimension] ?? null));
      const group = groups.get(id) ?? { key, homeMinor: 0n, originalMinor: 0n, count: 0 };
      group.homeMinor += row.homeMinor;
      group.originalMinor += row.originalMinor;
      group.count += row.count;
      groups.set(id, group);
    }
  }
  return [...groups.values()].filter((group) => group.count > 0);
}

/** Merge aggregate answers of the same query shape (one per scope) into one, summing equal keys. */
export function mergeAggregateRows(
  groupBy: readonly GroupDimension[],
  answers: readonly AggregateRow[][],
): AggregateRow[] {
  if (answers.length === 1) return answers[0]!;
  const groups = new Map<string, AggregateRow>();
  for (const rows of answers) {
    for (const row of rows) {
      const id = JSON.stringify(groupBy.map((dimension) => row.key[dimension] ?? null));
      const group = groups.get(id);
      if (group) {
        group.homeMinor += row.homeMinor;
        group.originalMinor += row.originalMinor;
        group.count += row.count;
      } else groups.set(id, { ...row });
    }
  }
  return [...groups.values()];
}
