/**
 * This period against the previous one and the same period last year, in total and per category.
 */
import type { AnalyticsStore, Flow } from '../../query/analytics-store.js';
import { percentOf } from '../../domain/amounts.js';
import {
  previousPeriod,
  resolvePeriod,
  samePeriodLastYear,
  type DateRange,
  type PeriodSpec,
} from '../../domain/periods.js';

export interface ComparisonInput {
  userId: string;
  period: PeriodSpec;
  flow: Exclude<Flow, 'neutral'>;
  walletIds?: string[];
}

export interface PeriodTotal {
  from: string;
  to: string;
  totalMinor: bigint;
  count: number;
}

export interface ComparedPeriod extends PeriodTotal {
  /** Current minus this period. */
  changeMinor: bigint;
  /** Change as a percentage of this period; null when this period is zero. */
  changePercent: number | null;
}

export interface CategoryComparison {
  category: string;
  currentMinor: bigint;
  previousMinor: bigint;
  lastYearMinor: bigint;
}

export interface Comparison {
  current: PeriodTotal;
  previous: ComparedPeriod;
  lastYear: ComparedPeriod;
  categories: CategoryComparison[];
}

/** Compare the period with the one before and the same one a year earlier. */
export async function comparePeriods(
  store: AnalyticsStore,
  input: ComparisonInput,
): Promise<Comparison> {
  const current = resolvePeriod(input.period);
  const ranges: Record<'current' | 'previous' | 'lastYear', DateRange> = {
    current,
    previous: previousPeriod(input.period, current),
    lastYear: samePeriodLastYear(current),
  };
  const results = await Promise.all(
    (['current', 'previous', 'lastYear'] as const).map(async (name) => {
      const range = ranges[name];
      const rows = await store.aggregate({
        userId: input.userId,
        from: range.from,
        to: range.to,
        flows: [input.flow],
        walletIds: input.walletIds,
        groupBy: ['category'],
      });
      return { name, range, rows };
    }),
  );
  const categories = new Map<string, CategoryComparison>();
  const totals = {} as Record<'current' | 'previous' | 'lastYear', PeriodTotal>;
  for (const { name, range, rows } of results) {
    let totalMinor = 0n;
    let count = 0;
    for (const row of rows) {
      totalMinor += row.homeMinor;
      count += row.count;
      const category = row.key.category ?? '';
      const entry = categories.get(category) ?? {
        category,
        currentMinor: 0n,
        previousMinor: 0n,
        lastYearMinor: 0n,
      };
      if (name === 'current') entry.currentMinor += row.homeMinor;
      else if (name === 'previous') entry.previousMinor += row.homeMinor;
      else entry.lastYearMinor += row.homeMinor;
      categories.set(category, entry);
    }
    totals[name] = { from: range.from, to: range.to, totalMinor, count };
  }
  const compared = (other: PeriodTotal): ComparedPeriod => ({
    ...other,
    changeMinor: totals.current.totalMinor - other.totalMinor,
    changePercent: percentOf(totals.current.totalMinor - other.totalMinor, other.totalMinor),
  });
  return {
    current: totals.current,
    previous: compared(totals.previous),
    lastYear: compared(totals.lastYear),
    categories: [...categories.values()].sort((a, b) =>
      a.currentMinor !== b.currentMinor
        ? a.currentMinor > b.currentMinor
          ? -1
          : 1
        : a.category < b.category
          ? -1
          : 1,
    ),
  };
}
