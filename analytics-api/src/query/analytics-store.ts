/**
 * The query port of analytics-api: two primitives every feature is built from, so that the
 * embedded SQL twin and MongoDB + OpenSearch/Elasticsearch answer through one contract suite.
 *
 * - `aggregate`: sums over the daily rollups (or, for tags, over the transaction documents),
 *   grouped by any of a few dimensions, for one user and a half-open range of local dates.
 * - `search`: filtered, sorted, cursor-paginated transaction documents with facet counts.
 *
 * The documents are analytics' projection of `transactions.enriched` (docs/analytics-api.md);
 * bulk loaders for tests and benchmarks live in `*-loader.ts`.
 */

import type { TransactionKind } from '@spendstream/core/events';

export type { TransactionKind };

/**
 * Which way a transaction moves the user's money, as analytics counts it: `spend` (money going out:
 * expense, fee, withdrawal, a transfer to someone else), `income` (money coming in, refunds
 * included), `neutral` (transfers between the user's own wallets, which are neither).
 */
export const flows = ['spend', 'income', 'neutral'] as const;
export type Flow = (typeof flows)[number];

/** A canonical, enriched transaction as analytics reads it. Amounts are positive magnitudes. */
export interface TransactionDoc {
  id: string;
  userId: string;
  walletId: string;
  kind: TransactionKind;
  flow: Flow;
  status: string;
  /** Event time, ISO 8601 in UTC. */
  occurredAt: string;
  /** The calendar date of `occurredAt` in the user's time zone. */
  localDate: string;
  timeZone: string;
  amountMinor: bigint;
  currency: string;
  homeAmountMinor: bigint;
  homeCurrency: string;
  /** The top-level category id (`food`). */
  category: string;
  /** The subcategory's leaf id (`groceries`, under `food`) when the transaction has one. */
  subcategory: string | null;
  /** The cleaned merchant name as users see it (`Countdown Ponsonby`). */
  merchant: string | null;
  /**
   * stream-jobs' stable key of the merchant (`countdown`, `raw:blue-bottle`): what budgets'
   * `scope.merchantKeys` and learned merchant corrections name. Null on a document projected
   * before analytics kept it (until a reprojection) and on an event without one.
   */
  merchantKey: string | null;
  description: string;
  note: string | null;
  tags: string[];
}

export const groupDimensions = [
  'category',
  'subcategory',
  'merchant',
  'merchantKey',
  'wallet',
  'currency',
  'flow',
  'day',
  'tag',
] as const;
export type GroupDimension = (typeof groupDimensions)[number];

export interface AggregateQuery {
  userId: string;
  /** First local date, inclusive. */
  from: string;
  /** Last local date, exclusive. */
  to: string;
  flows?: Flow[];
  walletIds?: string[];
  /** Top-level or subcategory ids; a top-level id includes its subcategories. */
  categories?: string[];
  /** A transaction matches when it carries any of these tags (read from the documents). */
  tags?: string[];
  /** Merchant keys (`TransactionDoc.merchantKey`); a document without a key matches none. */
  merchantKeys?: string[];
  /** A transaction counts once under each of its tags when `tag` is a dimension. */
  groupBy: GroupDimension[];
}

export interface AggregateRow {
  /** One entry per `groupBy` dimension; null where the document has no value (no merchant). */
  key: Partial<Record<GroupDimension, string | null>>;
  homeMinor: bigint;
  /** Sum in the original currency: meaningful only when `currency` is among the dimensions. */
  originalMinor: bigint;
  count: number;
}

export const searchSorts = ['date_desc', 'date_asc', 'amount_desc', 'amount_asc'] as const;
export type SearchSort = (typeof searchSorts)[number];

export const facetFields = [
  'category',
  'wallet',
  'tag',
  'currency',
  'status',
  'kind',
  'flow',
] as const;
export type FacetField = (typeof facetFields)[number];

/** The most buckets one facet returns. */
export const facetBucketsMax = 20;

/**
 * Another user's wallets a user may read (shared with them): that owner's transactions in these
 * wallets only.
 */
export interface SharedScope {
  /** The owner of the wallets, whose documents carry the transactions. */
  userId: string;
  walletIds: readonly string[];
}

export interface SearchQuery {
  userId: string;
  /** Also these owners' transactions in these wallets (wallets shared with the user). */
  shared?: readonly SharedScope[];
  /** Words that must all occur (as whole words, any case) in merchant, description or note. */
  text?: string;
  from?: string;
  to?: string;
  /** Home-currency amount bounds, inclusive. */
  minAmountMinor?: bigint;
  maxAmountMinor?: bigint;
  /** Top-level or subcategory ids; a top-level id includes its subcategories. */
  categories?: string[];
  walletIds?: string[];
  /** A document matches when it carries any of these tags. */
  tags?: string[];
  currencies?: string[];
  statuses?: string[];
  kinds?: TransactionKind[];
  flows?: Flow[];
  /** The merchant's display name, exactly. */
  merchant?: string;
  /** The merchant key, exactly. */
  merchantKey?: string;
  /** Only these transaction ids (used to read one document through the user filter). */
  ids?: string[];
  sort: SearchSort;
  limit: number;
  cursor?: SearchCursor;
  withFacets: boolean;
}

/** The position after the last item of a page: its sort value and id (the tie-breaker). */
export interface SearchCursor {
  value: string;
  id: string;
}

export interface FacetBucket {
  value: string;
  count: number;
}

export interface SearchPage {
  items: TransactionDoc[];
  next: SearchCursor | null;
  total: number;
  facets: Partial<Record<FacetField, FacetBucket[]>>;
}

/** The read port every analytics feature uses. */
export interface AnalyticsStore {
  aggregate(query: AggregateQuery): Promise<AggregateRow[]>;
  search(query: SearchQuery): Promise<SearchPage>;
  /** One document by id, only when it belongs to the user. */
  findTransaction(userId: string, id: string): Promise<TransactionDoc | null>;
  /** Readiness: a cheap round-trip to every backend. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Lowercased words of a text: the tokenization both backends agree on for full-text search. */
export function searchWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/** Sort key of a document for a given sort, as the cursor carries it. */
export function sortValueOf(doc: TransactionDoc, sort: SearchSort): string {
  return sort.startsWith('date') ? doc.occurredAt : doc.homeAmountMinor.toString();
}

/** Order facet buckets the way both backends must: count descending, then value ascending. */
export function compareBuckets(a: FacetBucket, b: FacetBucket): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}
