/**
 * Spend and income over time, bucketed by local day, ISO week or month (or a month starting on
 * payday), every bucket present even when empty.
 */
import type { AnalyticsStore } from '../../query/analytics-store.js';
import {
  bucketStart,
  bucketStarts,
  type BucketSize,
  type DateRange,
} from '../../domain/periods.js';

export interface TimeSeriesInput {
  userId: string;
  range: DateRange;
  bucket: BucketSize;
  monthStartDay: number;
  walletIds?: string[];
  categories?: string[];
}

export interface TimeSeriesPoint {
  /** First local date of the bucket (it may start before `range.from`: the bucket is clipped). */
  start: string;
  spendMinor: bigint;
  incomeMinor: bigint;
  netMinor: bigint;
  count: number;
}

export interface TimeSeries {
  from: string;
  to: string;
  bucket: BucketSize;
  points: TimeSeriesPoint[];
}

/** Compute a time series over the range. */
export async function getTimeSeries(
  store: AnalyticsStore,
  input: TimeSeriesInput,
): Promise<TimeSeries> {
  const rows = await store.aggregate({
    userId: input.userId,
    from: input.range.from,
    to: input.range.to,
    flows: ['spend', 'income'],
    walletIds: input.walletIds,
    categories: input.categories,
    groupBy: ['day', 'flow'],
  });
  const points = new Map<string, TimeSeriesPoint>();
  for (const start of bucketStarts(input.range, input.bucket, input.monthStartDay)) {
    points.set(start, { start, spendMinor: 0n, incomeMinor: 0n, netMinor: 0n, count: 0 });
  }
  for (const row of rows) {
    const day = row.key.day;
    if (!day) continue;
    const point = points.get(bucketStart(day, input.bucket, input.monthStartDay));
    if (!point) continue;
    if (row.key.flow === 'spend') point.spendMinor += row.homeMinor;
    else point.incomeMinor += row.homeMinor;
    point.netMinor = point.incomeMinor - point.spendMinor;
    point.count += row.count;
  }
  return {
    from: input.range.from,
    to: input.range.to,
    bucket: input.bucket,
    points: [...points.values()],
  };
}
