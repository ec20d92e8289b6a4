/**
 * What one transaction document adds to the rollups. Rollups are sums over "cells"
 * (user x grain x period x dimension x key); a transaction contributes the same amounts to every
 * cell it falls in. Applying a new version of a transaction replaces its previous contribution to
 * each cell (see rollup-store.ts for how that stays exact without multi-document transactions).
 */
import type { TransactionKind } from '@spendstream/core/events/transactions';
import type { TransactionDocument } from '../documents/transaction-document.js';

/** The sums every rollup cell keeps, in the user's home currency (minor units). */
export interface RollupAmounts {
  /** Money spent: expense, fee, withdrawal, adjustment_out. */
  expense: bigint;
  /** Money given back by merchants: refund. Net spend is `expense - refund`. */
  refund: bigint;
  /** Money earned: income, interest, deposit, adjustment_in. */
  income: bigint;
  transferIn: bigint;
  transferOut: bigint;
  /** Booked transactions. */
  count: bigint;
}

export const amountFields = [
  'expense',
  'refund',
  'income',
  'transferIn',
  'transferOut',
  'count',
] as const;
export type AmountField = (typeof amountFields)[number];

export const zeroAmounts: Readonly<RollupAmounts> = Object.freeze({
  expense: 0n,
  refund: 0n,
  income: 0n,
  transferIn: 0n,
  transferOut: 0n,
  count: 0n,
});

/** Which sum a kind adds to. */
export const kindField: Readonly<Record<TransactionKind, Exclude<AmountField, 'count'>>> =
  Object.freeze({
    expense: 'expense',
    fee: 'expense',
    withdrawal: 'expense',
    adjustment_out: 'expense',
    refund: 'refund',
    income: 'income',
    interest: 'income',
    deposit: 'income',
    adjustment_in: 'income',
    transfer_in: 'transferIn',
    transfer_out: 'transferOut',
  });

export const dimensions = ['total', 'category', 'merchant', 'wallet', 'tag', 'budget'] as const;
export type Dimension = (typeof dimensions)[number];
export type RollupGrain = 'day' | 'week' | 'month' | 'budget';

/** Where a cell sits. `key` is `all` for the total, else the category id, merchant key, etc. */
export interface CellId {
  userId: string;
  grain: RollupGrain;
  /** `2026-11-25`, `2026-W48`, `2026-11`; for budgets the period's first local day. */
  period: string;
  dimension: Dimension;
  key: string;
  currency: string;
}

export interface Contribution extends CellId {
  /** The stable string id of the cell (MongoDB `_id`, SQL primary key). */
  cellKey: string;
  amounts: RollupAmounts;
  /** For budget cells: the exclusive end of the period (local date). */
  periodEnd?: string;
}

/** Characters `encodeURIComponent` leaves as they are: a part made only of them is its own encoding. */
const unreservedOnly = /^[A-Za-z0-9\-_.!~*'()]*$/;

/** `encodeURIComponent(part)`, without making a new string for the usual part that needs no escape. */
export function encodeKeyPart(part: string): string {
  return unreservedOnly.test(part) ? part : encodeURIComponent(part);
}

/** The stable id of a cell: its parts joined by `|`, each URI-encoded so no part can contain `|`. */
export function cellKeyOf(cell: CellId): string {
  return cellKeyOfParts(
    encodeKeyPart(cell.userId),
    cell.grain,
    cell.period,
    cell.dimension,
    cell.key,
    encodeKeyPart(cell.currency),
  );
}

/** `cellKeyOf` with the user id and currency already encoded (they are shared by many cells). */
export function cellKeyOfParts(
  encodedUserId: string,
  grain: RollupGrain,
  period: string,
  dimension: Dimension,
  key: string,
  encodedCurrency: string,
): string {
  return `${encodedUserId}|${encodeKeyPart(grain)}|${encodeKeyPart(period)}|${encodeKeyPart(dimension)}|${encodeKeyPart(key)}|${encodedCurrency}`;
}

function amountsOf(doc: TransactionDocument): RollupAmounts {
  const amounts = { ...zeroAmounts };
  amounts[kindField[doc.kind]] = doc.homeAmountMinor;
  amounts.count = 1n;
  return amounts;
}

/**
 * Every cell a document contributes to, each with its amounts. A reversed transaction contributes
 * nothing (its earlier contributions are replaced by zero). Cells are unique by `cellKey`.
 */
export function contributionsOf(doc: TransactionDocument): Contribution[] {
  if (doc.status !== 'booked') return [];
  const amounts = amountsOf(doc);
  const result = new Map<string, Contribution>();
  const user = encodeKeyPart(doc.userId);
  const currency = encodeKeyPart(doc.homeCurrency);
  const add = (
    grain: RollupGrain,
    period: string,
    dimension: Dimension,
    key: string,
    periodEnd?: string,
  ) => {
    const cellKey = cellKeyOfParts(user, grain, period, dimension, key, currency);
    const contribution: Contribution = {
      userId: doc.userId,
      grain,
      period,
      dimension,
      key,
      currency: doc.homeCurrency,
      cellKey,
      amounts,
    };
    if (periodEnd !== undefined) contribution.periodEnd = periodEnd;
    result.set(cellKey, contribution);
  };
  const periods: Array<[RollupGrain, string]> = [
    ['day', doc.localDate],
    ['week', doc.localWeek],
    ['month', doc.localMonth],
  ];
  for (const [grain, period] of periods) {
    add(grain, period, 'total', 'all');
    // Every category on the path: a parent's cell sums its whole subtree.
    for (const categoryId of doc.category.path) add(grain, period, 'category', categoryId);
    add(grain, period, 'merchant', doc.merchantKey);
    add(grain, period, 'wallet', doc.walletId);
    for (const tag of new Set(doc.tags)) add(grain, period, 'tag', tag);
  }
  for (const budget of doc.budgets)
    add('budget', budget.start, 'budget', budget.budgetId, budget.end);
  return [...result.values()];
}

/** Adds `b` to `a` field by field (`sign` -1 subtracts). */
export function addAmounts(a: RollupAmounts, b: RollupAmounts, sign: 1n | -1n = 1n): RollupAmounts {
  return {
    expense: a.expense + sign * b.expense,
    refund: a.refund + sign * b.refund,
    income: a.income + sign * b.income,
    transferIn: a.transferIn + sign * b.transferIn,
    transferOut: a.transferOut + sign * b.transferOut,
    count: a.count + sign * b.count,
  };
}

export function isZero(a: RollupAmounts): boolean {
  return amountFields.every((field) => a[field] === 0n);
}
