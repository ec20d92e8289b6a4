/**
 * Aggregates over MongoDB from yearly bucket documents: one document per user and local calendar
 * year, `_id` = `<userId>|<YYYY>`, in a collection chosen by the user id, holding that year's rows
 * (one per transaction, see `BucketRow`; the projector keeps them). A query
 * reads the years it spans by `_id` (one or two for a month or a 12-month series, at most three for
 * the longest range) and folds them in memory (`aggregateRows`).
 *
 * Why buckets: measured on FerretDB 1.24 (SQLite backend), every filter is a collection scan
 * (`explain` shows `SCAN`, `filterPushdown: false`), which costs seconds on a few thousand
 * documents; an `_id` equality read stops at the first match, so it is cheap in a small
 * collection: the buckets are spread over `bucketCollections` collections by user. Its aggregation also
 * returned 0 for every `$sum` after the first in a `$group` and dropped every field but the
 * unwound one in `$unwind`. Point reads by `_id` are what it does well, and genuine MongoDB
 * serves them just as well. Years rather than months: each read costs FerretDB about as much as the
 * next whatever its size (measured ~100 ms under load), so fewer, larger documents win.
 */
import type { Db } from 'mongodb';
import { UnavailableError } from '@spendstream/core/errors';
import type { AggregateQuery, AggregateRow, Flow } from './analytics-store.js';
import { aggregateRows, type BucketRow } from './row-aggregate.js';

export const mongoCollections = {
  transactions: 'transactions',
  /** Prefix of the bucket collections: `analytics_yearly_<0..bucketCollections-1>`. */
  yearlyBuckets: 'analytics_yearly',
} as const;

/**
 * How many collections the buckets are spread over, by a hash of the user id. FerretDB v1 (SQLite)
 * answers even an `_id` equality by scanning the collection until it finds the document (measured:
 * 2 ms for the first of 2,000 documents, 140 ms for the last), so smaller collections are what make
 * a read cheap; genuine MongoDB does not care. At 10,000 users (20,000 yearly buckets) 4,096 leaves
 * ~5 buckets per collection: a one-month breakdown at 5M transactions went from p50 352 ms (256
 * collections) to 130 ms, the cost of the bare `_id` read itself (docs/benchmarks.md).
 */
export const bucketCollections = 4096;

/** FNV-1a of the user id: a stable spread over the bucket collections. */
export function bucketCollectionOf(userId: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < userId.length; index += 1) {
    hash ^= userId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${mongoCollections.yearlyBuckets}_${hash % bucketCollections}`;
}

/** The `_id` of a user's bucket for a year (`YYYY`). */
export function bucketId(userId: string, year: string): string {
  return `${userId}|${year}`;
}

/** The years (`YYYY`) a half-open range of local dates touches. */
export function yearsOf(from: string, to: string): string[] {
  const years: string[] = [];
  for (let year = Number(from.slice(0, 4)); `${year}-01-01` < to; year += 1)
    years.push(String(year));
  return years;
}

/** A bucket row as stored (the driver may hand back 64-bit integers as numbers). */
export interface StoredRow {
  id?: string;
  v?: number;
  localDate: string;
  walletId: string;
  flow: string;
  category: string;
  subcategory: string | null;
  merchant: string | null;
  currency: string;
  tags: string[];
  homeMinor: bigint | number;
  originalMinor: bigint | number;
  count: bigint | number;
}

/** A bucket document: a user's local year, `rev` raised by every write (compare-and-set). */
export interface BucketDocument {
  _id: string;
  userId: string;
  year: string;
  rev: number;
  rows: StoredRow[];
  gone: Array<{ id: string; v: number }>;
}

function toRow(stored: StoredRow): BucketRow {
  return {
    ...stored,
    flow: stored.flow as Flow,
    homeMinor: BigInt(stored.homeMinor),
    originalMinor: BigInt(stored.originalMinor),
    count: Number(stored.count),
  };
}

/** Run one aggregate query against the yearly buckets. */
export async function aggregateMongo(db: Db, query: AggregateQuery): Promise<AggregateRow[]> {
  const collection = db.collection<BucketDocument>(bucketCollectionOf(query.userId));
  let buckets;
  try {
    // One equality read per year: FerretDB answers `_id` equality from its key, not `$in`.
    buckets = await Promise.all(
      yearsOf(query.from, query.to).map((year) =>
        collection.findOne({ _id: bucketId(query.userId, year) }),
      ),
    );
  } catch (error) {
    throw new UnavailableError('the rollup store did not answer', 1, { cause: error });
  }
  const rows = buckets.flatMap((bucket) => (bucket ? bucket.rows.map(toRow) : []));
  return aggregateRows(rows, query);
}
