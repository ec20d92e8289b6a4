/**
 * Spend or income for a period broken down by category (with subcategories), merchant, wallet or
 * tag, in home currency and optionally per original currency. Top merchants is the merchant
 * breakdown with a limit.
 */
import type {
  AggregateRow,
  AnalyticsStore,
  Flow,
  GroupDimension,
} from '../../query/analytics-store.js';
import { percentOf } from '../../domain/amounts.js';
import type { DateRange } from '../../domain/periods.js';

export const breakdownDimensions = ['category', 'merchant', 'wallet', 'tag'] as const;
export type BreakdownDimension = (typeof breakdownDimensions)[number];

/** The most items one breakdown returns (the rest are summed into `otherMinor`). */
export const breakdownItemsMax = 100;

export interface BreakdownInput {
  userId: string;
  range: DateRange;
  by: BreakdownDimension;
  flow: Exclude<Flow, 'neutral'>;
  byCurrency: boolean;
  walletIds?: string[];
  categories?: string[];
  limit: number;
}

export interface CurrencyAmount {
  currency: string;
  amountMinor: bigint;
  homeAmountMinor: bigint;
  count: number;
}

export interface BreakdownItem {
  key: string | null;
  amountMinor: bigint;
  count: number;
  sharePercent: number | null;
  /**
   * By merchant: the merchant keys of the transactions under this name (sorted; what a budget's
   * `scope.merchantKeys` names); `[]` when they were all projected before analytics kept keys.
   */
  merchantKeys?: string[];
  subcategories?: BreakdownItem[];
  currencies?: CurrencyAmount[];
}

export interface Breakdown {
  from: string;
  to: string;
  totalMinor: bigint;
  count: number;
  /** Items beyond `limit`, summed. */
  otherMinor: bigint;
  items: BreakdownItem[];
}

interface Accumulator {
  key: string | null;
  amountMinor: bigint;
  count: number;
  children: Map<string | null, Accumulator>;
  currencies: Map<string, CurrencyAmount>;
  merchantKeys: Set<string>;
}

function accumulator(key: string | null): Accumulator {
  return {
    key,
    amountMinor: 0n,
    count: 0,
    children: new Map(),
    currencies: new Map(),
    merchantKeys: new Set(),
  };
}

function add(target: Accumulator, row: AggregateRow, byCurrency: boolean): void {
  target.amountMinor += row.homeMinor;
  target.count += row.count;
  if (!byCurrency) return;
  const currency = row.key.currency ?? '';
  const entry = target.currencies.get(currency) ?? {
    currency,
    amountMinor: 0n,
    homeAmountMinor: 0n,
    count: 0,
  };
  entry.amountMinor += row.originalMinor;
  entry.homeAmountMinor += row.homeMinor;
  entry.count += row.count;
  target.currencies.set(currency, entry);
}

/** Largest amount first; ties by key so both backends order identically. */
function byAmountThenKey(a: { amountMinor: bigint; key: string | null }, b: typeof a): number {
  if (a.amountMinor !== b.amountMinor) return a.amountMinor > b.amountMinor ? -1 : 1;
  const left = a.key ?? '';
  const right = b.key ?? '';
  return left < right ? -1 : left > right ? 1 : 0;
}

function present(
  entry: Accumulator,
  total: bigint,
  input: Pick<BreakdownInput, 'by' | 'byCurrency'>,
  nested: boolean,
): BreakdownItem {
  const byCurrency = input.byCurrency;
  const item: BreakdownItem = {
    key: entry.key,
    amountMinor: entry.amountMinor,
    count: entry.count,
    sharePercent: percentOf(entry.amountMinor, total),
  };
  if (input.by === 'merchant') item.merchantKeys = [...entry.merchantKeys].sort();
  if (nested) {
    item.subcategories = [...entry.children.values()]
      .sort(byAmountThenKey)
      .map((child) => present(child, total, input, false));
  }
  if (byCurrency) {
    item.currencies = [...entry.currencies.values()].sort((a, b) =>
      a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0,
    );
  }
  return item;
}

/** Compute one breakdown. */
export async function getBreakdown(
  store: AnalyticsStore,
  input: BreakdownInput,
): Promise<Breakdown> {
  const nested = input.by === 'category';
  // Merchants are named by their display name and list their keys.
  const groupBy: GroupDimension[] = nested
    ? ['category', 'subcategory']
    : input.by === 'merchant'
      ? ['merchant', 'merchantKey']
      : [input.by];
  if (input.byCurrency) groupBy.push('currency');
  const rows = await store.aggregate({
    userId: input.userId,
    from: input.range.from,
    to: input.range.to,
    flows: [input.flow],
    walletIds: input.walletIds,
    categories: input.categories,
    groupBy,
  });
  const top = new Map<string | null, Accumulator>();
  for (const row of rows) {
    const key = row.key[input.by] ?? null;
    const entry = top.get(key) ?? accumulator(key);
    top.set(key, entry);
    add(entry, row, input.byCurrency);
    const merchantKey = row.key.merchantKey;
    if (merchantKey) entry.merchantKeys.add(merchantKey);
    if (nested) {
      const childKey = row.key.subcategory ?? null;
      const child = entry.children.get(childKey) ?? accumulator(childKey);
      entry.children.set(childKey, child);
      add(child, row, input.byCurrency);
    }
  }
  // Tag breakdowns count a transaction under each tag (and not at all without one), so their
  // total is asked apart; for the other dimensions every transaction is in exactly one row.
  const totals =
    input.by === 'tag'
      ? await store.aggregate({
          userId: input.userId,
          from: input.range.from,
          to: input.range.to,
          flows: [input.flow],
          walletIds: input.walletIds,
          categories: input.categories,
          groupBy: [],
        })
      : rows;
  const totalMinor = totals.reduce((sum, row) => sum + row.homeMinor, 0n);
  const count = totals.reduce((sum, row) => sum + row.count, 0);
  const sorted = [...top.values()].sort(byAmountThenKey);
  const kept = sorted.slice(0, input.limit);
  const otherMinor = sorted.slice(input.limit).reduce((sum, entry) => sum + entry.amountMinor, 0n);
  return {
    from: input.range.from,
    to: input.range.to,
    totalMinor,
    count,
    otherMinor,
    items: kept.map((entry) => present(entry, totalMinor, input, nested)),
  };
}
