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
  return joinCellKey(
    `${encodedUserId}|`,
    encodeKeyPart(grain),
    encodeKeyPart(period),
    encodeKeyPart(dimension),
    encodeKeyPart(key),
    `|${encodedCurrency}`,
  );
}

/**
 * A cell's key from its parts, each already encoded: `prefix` is the user's part and its `|`,
 * `suffix` the `|` and the currency's (as `TransactionCells` holds them). The one place the parts
 * are joined: `cellKeyOf`, `cellKeyAt` and the SQL store's batch deltas all make keys with it.
 */
export function joinCellKey(
  prefix: string,
  grain: string,
  encodedPeriod: string,
  dimension: string,
  encodedKey: string,
  suffix: string,
): string {
  return `${prefix}${grain}|${encodedPeriod}|${dimension}|${encodedKey}${suffix}`;
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

/**
 * Every cell one transaction contributes to, without an object or a key string a cell: they all
 * share the user, the currency and the amounts, and a cell's parts sit in `parts`, `cellStride`
 * strings a cell (`cellPart` names them). A cell's key is `prefix`, its encoded grain, period,
 * dimension and key joined by `|`, then `suffix` (what `cellKeyOf` gives); `contributionList` makes
 * the cells as `Contribution` objects for a store that wants them. Cells are unique.
 */
export interface TransactionCells {
  readonly userId: string;
  readonly currency: string;
  /** `encodeKeyPart(userId)` and `|`: the start of every cell key. */
  readonly prefix: string;
  /** `|` and `encodeKeyPart(currency)`: the end of every cell key. */
  readonly suffix: string;
  readonly amounts: RollupAmounts;
  readonly parts: readonly string[];
}

/** Where each part of a cell sits among its `cellStride` strings of `TransactionCells.parts`. */
export const cellPart = {
  grain: 0,
  period: 1,
  encodedPeriod: 2,
  dimension: 3,
  key: 4,
  encodedKey: 5,
  /** A budget cell's period end; '' for the other cells. */
  periodEnd: 6,
} as const;
export const cellStride = 7;

/** How many cells `cells` holds. */
export function cellCount(cells: TransactionCells): number {
  return cells.parts.length / cellStride;
}

/**
 * Appends a cell's parts. `encodedPeriod` and `encodedKey` are `encodeKeyPart` of `period` and
 * `key`, given by the caller that shares them among cells; a grain and a dimension are letters
 * only, their own encoding.
 */
function pushCell(
  parts: string[],
  grain: RollupGrain,
  period: string,
  encodedPeriod: string,
  dimension: Dimension,
  key: string,
  encodedKey: string,
  periodEnd = '',
): void {
  parts.push(grain, period, encodedPeriod, dimension, key, encodedKey, periodEnd);
}

/** Whether `items[index]` is the first of its value (the lists are a few items long). */
function firstOfValue(items: readonly string[], index: number): boolean {
  return items.indexOf(items[index]!) === index;
}

/**
 * Every cell a document contributes to, with its amounts. A reversed transaction contributes
 * nothing (its earlier contributions are replaced by zero). Each key part is encoded once per
 * document (a period once for its five dimensions, a category or tag once for its three grains).
 * A category or tag given twice, or a budget period given twice, is one cell.
 */
export function transactionCellsOf(doc: TransactionDocument): TransactionCells {
  const parts: string[] = [];
  const cells: TransactionCells = {
    userId: doc.userId,
    currency: doc.homeCurrency,
    prefix: `${encodeKeyPart(doc.userId)}|`,
    suffix: `|${encodeKeyPart(doc.homeCurrency)}`,
    amounts: amountsOf(doc),
    parts,
  };
  if (doc.status !== 'booked') return cells;
  const categories = doc.category.path;
  const encodedCategories = categories.map(encodeKeyPart);
  const tags = doc.tags;
  const encodedTags = tags.map(encodeKeyPart);
  const merchant = encodeKeyPart(doc.merchantKey);
  const wallet = encodeKeyPart(doc.walletId);
  for (let grainIndex = 0; grainIndex < 3; grainIndex += 1) {
    const grain = grainIndex === 0 ? 'day' : grainIndex === 1 ? 'week' : 'month';
    const period =
      grainIndex === 0 ? doc.localDate : grainIndex === 1 ? doc.localWeek : doc.localMonth;
    const encodedPeriod = encodeKeyPart(period);
    pushCell(parts, grain, period, encodedPeriod, 'total', 'all', 'all');
    // Every category on the path: a parent's cell sums its whole subtree.
    for (let i = 0; i < categories.length; i += 1)
      if (firstOfValue(categories, i))
        pushCell(
          parts,
          grain,
          period,
          encodedPeriod,
          'category',
          categories[i]!,
          encodedCategories[i]!,
        );
    pushCell(parts, grain, period, encodedPeriod, 'merchant', doc.merchantKey, merchant);
    pushCell(parts, grain, period, encodedPeriod, 'wallet', doc.walletId, wallet);
    for (let i = 0; i < tags.length; i += 1)
      if (firstOfValue(tags, i))
        pushCell(parts, grain, period, encodedPeriod, 'tag', tags[i]!, encodedTags[i]!);
  }
  const budgets = doc.budgets;
  for (let i = 0; i < budgets.length; i += 1) {
    const budget = budgets[i]!;
    if (budgets.findIndex((b) => b.budgetId === budget.budgetId && b.start === budget.start) === i)
      pushCell(
        parts,
        'budget',
        budget.start,
        encodeKeyPart(budget.start),
        'budget',
        budget.budgetId,
        encodeKeyPart(budget.budgetId),
        budget.end,
      );
  }
  return cells;
}

/** The key of the cell at `index` of `cells` (`cellKeyOf` of it). */
export function cellKeyAt(cells: TransactionCells, index: number): string {
  const at = index * cellStride;
  const parts = cells.parts;
  return joinCellKey(
    cells.prefix,
    parts[at + cellPart.grain]!,
    parts[at + cellPart.encodedPeriod]!,
    parts[at + cellPart.dimension]!,
    parts[at + cellPart.encodedKey]!,
    cells.suffix,
  );
}

/** The identity of the cell at `index` of `cells`, with its period end when it is a budget's. */
export function cellAt(cells: TransactionCells, index: number): CellId & { periodEnd?: string } {
  const at = index * cellStride;
  const parts = cells.parts;
  const cell: CellId & { periodEnd?: string } = {
    userId: cells.userId,
    grain: parts[at + cellPart.grain] as RollupGrain,
    period: parts[at + cellPart.period]!,
    dimension: parts[at + cellPart.dimension] as Dimension,
    key: parts[at + cellPart.key]!,
    currency: cells.currency,
  };
  const periodEnd = parts[at + cellPart.periodEnd]!;
  if (periodEnd !== '') cell.periodEnd = periodEnd;
  return cell;
}

/** The cells of `cells` as one `Contribution` each (they share one amounts object). */
export function contributionList(cells: TransactionCells): Contribution[] {
  const result: Contribution[] = [];
  for (let index = 0; index < cellCount(cells); index += 1)
    result.push({
      ...cellAt(cells, index),
      cellKey: cellKeyAt(cells, index),
      amounts: cells.amounts,
    });
  return result;
}

/** Every cell a document contributes to, as `Contribution` objects (see `transactionCellsOf`). */
export function contributionsOf(doc: TransactionDocument): Contribution[] {
  return contributionList(transactionCellsOf(doc));
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

/**
 * Adds `b` to `a` in place (`sign` -1 subtracts), field by field where `b` is not zero: no new
 * object, and a new bigint only for the fields that change (a transaction has two: its kind's sum
 * and the count). For sums a caller owns; `copyAmounts` makes one.
 */
export function addAmountsInto(a: RollupAmounts, b: RollupAmounts, sign: 1n | -1n): void {
  for (const field of amountFields) {
    const value = b[field];
    if (value !== 0n) a[field] = sign === 1n ? a[field] + value : a[field] - value;
  }
}

/** A copy of `a` (the same bigints), for `addAmountsInto`. */
export function copyAmounts(a: RollupAmounts): RollupAmounts {
  return {
    expense: a.expense,
    refund: a.refund,
    income: a.income,
    transferIn: a.transferIn,
    transferOut: a.transferOut,
    count: a.count,
  };
}

export function isZero(a: RollupAmounts): boolean {
  return amountFields.every((field) => a[field] === 0n);
}
