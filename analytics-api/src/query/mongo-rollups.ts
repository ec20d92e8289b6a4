/**
 * Aggregates over MongoDB from monthly bucket documents: one document per user and local month,
 * `_id` = `<userId>|<YYYY-MM>`, holding that month's pre-summed rows (see `BucketRow`). A query
 * reads the months it spans by `_id` and folds them in memory (`aggregateRows`).
 *
 * Why buckets: measured on FerretDB 1.24 (SQLite backend), every filter except an `_id` equality is
 * a full collection scan (`explain` shows `SCAN`, `filterPushdown: false`), which costs seconds on a
 * few thousand documents; an `_id` lookup is answered from the primary key. Its aggregation also
 * returned 0 for every `$sum` after the first in a `$group` and dropped every field but the
 * unwound one in `$unwind`. Point reads by `_id` are what it does well, and genuine MongoDB
 * serves them just as well.
 */
import type { Db } from 'mongodb';
import { UnavailableError } from '@spendstream/core/errors';
import type { AggregateQuery, AggregateRow, Flow } from './analytics-store.js';
import { aggregateRows, type BucketRow } from './row-aggregate.js';

export const mongoCollections = {
  transactions: 'transactions',
  monthlyBuckets: 'analytics_monthly',
} as const;

/** The `_id` of a user's bucket for a month (`YYYY-MM`). */
export function bucketId(userId: string, month: string): string {
  return `${userId}|${month}`;
}

/** The months (`YYYY-MM`) a half-open range of local dates touches. */
export function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  const lastDay = to; // exclusive
  for (;;) {
    const label = `${year}-${String(month).padStart(2, '0')}`;
    if (`${label}-01` >= lastDay) break;
    months.push(label);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return months;
}

interface StoredRow {
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

function toRow(stored: StoredRow): BucketRow {
  return {
    ...stored,
    flow: stored.flow as Flow,
    homeMinor: BigInt(stored.homeMinor),
    originalMinor: BigInt(stored.originalMinor),
    count: Number(stored.count),
  };
}

/** Run one aggregate query against the monthly buckets. */
export async function aggregateMongo(db: Db, query: AggregateQuery): Promise<AggregateRow[]> {
  const collection = db.collection<{ _id: string; rows: StoredRow[] }>(
    mongoCollections.monthlyBuckets,
  );
  let buckets;
  try {
    // One equality read per month: FerretDB answers `_id` equality from its key, not `$in`.
    buckets = await Promise.all(
      monthsOf(query.from, query.to).map((month) =>
        collection.findOne({ _id: bucketId(query.userId, month) }),
      ),
    );
  } catch (error) {
    throw new UnavailableError('the rollup store did not answer', 1, { cause: error });
  }
  const rows = buckets.flatMap((bucket) => (bucket ? bucket.rows.map(toRow) : []));
  return aggregateRows(rows, query);
}
