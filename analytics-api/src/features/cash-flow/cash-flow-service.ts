/**
 * Cash flow for a period: income against spend, the net, transfers between the user's own
 * wallets apart, the daily average spend so far and the projected spend at the end of the period.
 */
import type { AnalyticsStore } from '../../query/analytics-store.js';
import { divideRoundHalfUp, percentOf } from '../../domain/amounts.js';
import { daysBetween, addDays, type DateRange } from '../../domain/periods.js';

export interface CashFlowInput {
  userId: string;
  range: DateRange;
  /** The user's local date today: what "so far" means. */
  today: string;
  walletIds?: string[];
}

export interface SpendPace {
  daysTotal: number;
  /** Days of the period up to and including today (0 before it starts, all after it ends). */
  daysElapsed: number;
  dailyAverageMinor: bigint;
  projectedMinor: bigint;
}

export interface CashFlow {
  from: string;
  to: string;
  incomeMinor: bigint;
  spendMinor: bigint;
  netMinor: bigint;
  /** Moved between the user's own wallets: neither income nor spend. */
  internalTransfersMinor: bigint;
  /** Net as a percentage of income; null without income. */
  savingsRatePercent: number | null;
  pace: SpendPace;
}

/** Days elapsed, daily average and straight-line projection of an amount spent so far. */
export function spendPace(range: DateRange, today: string, spentMinor: bigint): SpendPace {
  const daysTotal = daysBetween(range.from, range.to);
  const elapsedEnd =
    today < range.from ? range.from : today >= range.to ? range.to : addDays(today, 1);
  const daysElapsed = daysBetween(range.from, elapsedEnd);
  if (daysElapsed === 0)
    return { daysTotal, daysElapsed, dailyAverageMinor: 0n, projectedMinor: spentMinor };
  return {
    daysTotal,
    daysElapsed,
    dailyAverageMinor: divideRoundHalfUp(spentMinor, BigInt(daysElapsed)),
    projectedMinor: divideRoundHalfUp(spentMinor * BigInt(daysTotal), BigInt(daysElapsed)),
  };
}

/** Compute the cash flow of a period. */
export async function getCashFlow(store: AnalyticsStore, input: CashFlowInput): Promise<CashFlow> {
  const rows = await store.aggregate({
    userId: input.userId,
    from: input.range.from,
    to: input.range.to,
    walletIds: input.walletIds,
    groupBy: ['flow'],
  });
  const sumOf = (flow: string): bigint =>
    rows.filter((row) => row.key.flow === flow).reduce((sum, row) => sum + row.homeMinor, 0n);
  const incomeMinor = sumOf('income');
  const spendMinor = sumOf('spend');
  const netMinor = incomeMinor - spendMinor;
  return {
    from: input.range.from,
    to: input.range.to,
    incomeMinor,
    spendMinor,
    netMinor,
    internalTransfersMinor: sumOf('neutral'),
    savingsRatePercent: percentOf(netMinor, incomeMinor),
    pace: spendPace(input.range, input.today, spendMinor),
  };
}
