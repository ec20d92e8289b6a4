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
  const field = kindField[doc.kind];
  const amount = doc.homeAmountMinor;
  return {
    expense: field === 'expense' ? amount : 0n,
    refund: field === 'refund' ? amount : 0n,
    income: field === 'income' ? amount : 0n,
    transferIn: field === 'transferIn' ? amount : 0n,
    transferOut: field === 'transferOut' ? amount : 0n,
    count: 1n,
  };
}

/** What every cell of one document shares, for `addCell`. */
interface DocumentCells {
  doc: TransactionDocument;
  amounts: RollupAmounts;
  /** The user id and home currency, encoded once for all the cells. */
  user: string;
  currency: string;
  result: Map<string, Contribution>;
}

/**
 * Adds the cell (`grain`, `period`, `dimension`, `key`) to `cells.result`. `encodedPeriod` and
 * `encodedKey` are `encodeKeyPart` of `period` and `key`, given by the caller that shares them
 * among cells; a grain and a dimension are letters only, their own encoding.
 */
function addCell(
  cells: DocumentCells,
  grain: RollupGrain,
  period: string,
  encodedPeriod: string,
  dimension: Dimension,
  key: string,
  encodedKey: string,
  periodEnd?: string,
): void {
  const cellKey = `${cells.user}|${grain}|${encodedPeriod}|${dimension}|${encodedKey}|${cells.currency}`;
  const contribution: Contribution = {
    userId: cells.doc.userId,
    grain,
    period,
    dimension,
    key,
    currency: cells.doc.homeCurrency,
    cellKey,
    amounts: cells.amounts,
  };
  if (periodEnd !== undefined) contribution.periodEnd = periodEnd;
  cells.result.set(cellKey, contribution);
}

/**
 * Every cell a document contributes to, each with its amounts. A reversed transaction contributes
 * nothing (its earlier contributions are replaced by zero). Cells are unique by `cellKey`. Each
 * key part is encoded once per document (a period once for its five dimensions, a category or
 * tag once for its three grains), not once per cell.
 */
export function contributionsOf(doc: TransactionDocument): Contribution[] {
  if (doc.status !== 'booked') return [];
  const cells: DocumentCells = {
    doc,
    amounts: amountsOf(doc),
    user: encodeKeyPart(doc.userId),
    currency: encodeKeyPart(doc.homeCurrency),
    result: new Map(),
  };
  const categories = doc.category.path;
  const encodedCategories = categories.map(encodeKeyPart);
  const tags = [...new Set(doc.tags)];
  const encodedTags = tags.map(encodeKeyPart);
  const merchant = encodeKeyPart(doc.merchantKey);
  const wallet = encodeKeyPart(doc.walletId);
  for (const [grain, period] of [
    ['day', doc.localDate],
    ['week', doc.localWeek],
    ['month', doc.localMonth],
  ] as const) {
    const encodedPeriod = encodeKeyPart(period);
    addCell(cells, grain, period, encodedPeriod, 'total', 'all', 'all');
    // Every category on the path: a parent's cell sums its whole subtree.
    for (let i = 0; i < categories.length; i += 1)
      addCell(
        cells,
        grain,
        period,
        encodedPeriod,
        'category',
        categories[i]!,
        encodedCategories[i]!,
      );
    addCell(cells, grain, period, encodedPeriod, 'merchant', doc.merchantKey, merchant);
    addCell(cells, grain, period, encodedPeriod, 'wallet', doc.walletId, wallet);
    for (let i = 0; i < tags.length; i += 1)
      addCell(cells, grain, period, encodedPeriod, 'tag', tags[i]!, encodedTags[i]!);
  }
  for (const budget of doc.budgets)
    addCell(
      cells,
      'budget',
      budget.start,
      encodeKeyPart(budget.start),
      'budget',
      budget.budgetId,
      encodeKeyPart(budget.budgetId),
      budget.end,
    );
  return [...cells.result.values()];
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
