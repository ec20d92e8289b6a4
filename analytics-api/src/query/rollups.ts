/**
 * Rollups computed from transaction documents: the embedded daily rollups and the MongoDB yearly
 * bucket rows, used by the projector's writers and by the bulk loaders of tests and benchmarks.
 */
import { createHash } from 'node:crypto';
import {
  searchWords,
  type Flow,
  type TransactionDoc,
  type TransactionKind,
} from './analytics-store.js';
import type { BucketRow } from './row-aggregate.js';

/** One daily rollup: the sums of one user's transactions sharing every key field on one date. */
export interface DailyRollup {
  rollupKey: string;
  userId: string;
  localDate: string;
  walletId: string;
  kind: TransactionKind;
  flow: Flow;
  category: string;
  subcategory: string | null;
  merchant: string | null;
  merchantKey: string | null;
  currency: string;
  homeCurrency: string;
  homeMinor: bigint;
  originalMinor: bigint;
  count: number;
}

/** Every rollup field joined with a separator no field may contain (a null and '' differ). */
function rollupFieldsOf(doc: TransactionDoc): string {
  return [
    doc.userId,
    doc.localDate,
    doc.walletId,
    doc.kind,
    doc.flow,
    doc.category,
    doc.subcategory ?? '\u0000',
    doc.merchant ?? '\u0000',
    doc.merchantKey ?? '\u0000',
    doc.currency,
  ].join('\u001f');
}

/**
 * The key of a rollup: a digest of its fields, so it fits its column (43 characters) however long
 * the merchant name and key are.
 */
function rollupKeyOfFields(fields: string): string {
  return createHash('sha256').update(fields).digest('base64url');
}

/** A reversed transaction counts as if it never happened: in no rollup, no aggregate. */
export const reversedStatus = 'reversed';

/** Fold documents into daily rollups (documents are assumed unique by id). */
export function rollupsOf(docs: Iterable<TransactionDoc>): DailyRollup[] {
  const byKey = new Map<string, DailyRollup>();
  for (const doc of docs) {
    if (doc.status === reversedStatus) continue;
    const fields = rollupFieldsOf(doc);
    const existing = byKey.get(fields);
    if (existing) {
      existing.homeMinor += doc.homeAmountMinor;
      existing.originalMinor += doc.amountMinor;
      existing.count += 1;
    } else {
      byKey.set(fields, {
        rollupKey: rollupKeyOfFields(fields),
        userId: doc.userId,
        localDate: doc.localDate,
        walletId: doc.walletId,
        kind: doc.kind,
        flow: doc.flow,
        category: doc.category,
        subcategory: doc.subcategory,
        merchant: doc.merchant,
        merchantKey: doc.merchantKey,
        currency: doc.currency,
        homeCurrency: doc.homeCurrency,
        homeMinor: doc.homeAmountMinor,
        originalMinor: doc.amountMinor,
        count: 1,
      });
    }
  }
  return [...byKey.values()];
}

/** The ' word word ' form of the searchable text, for whole-word LIKE matching in SQL. */
export function searchTextOf(doc: TransactionDoc): string {
  const words = searchWords([doc.merchant ?? '', doc.description, doc.note ?? ''].join(' '));
  return ` ${words.join(' ')} `;
}

/** A user's year of rows: the MongoDB read model (`mongo-rollups.ts`). */
export interface YearlyBucket {
  userId: string;
  year: string;
  rows: BucketRow[];
  /** Transactions this bucket counts nowhere: reversed, or moved to another year (id, version). */
  gone: Array<{ id: string; v: number }>;
}

/** The bucket row of one transaction version: its sums, keyed by every dimension and its tags. */
export function bucketRowOf(doc: TransactionDoc, version: number): BucketRow {
  return {
    id: doc.id,
    v: version,
    localDate: doc.localDate,
    walletId: doc.walletId,
    flow: doc.flow,
    category: doc.category,
    subcategory: doc.subcategory,
    merchant: doc.merchant,
    merchantKey: doc.merchantKey,
    currency: doc.currency,
    tags: [...new Set(doc.tags)].sort(),
    homeMinor: doc.homeAmountMinor,
    originalMinor: doc.amountMinor,
    count: 1,
  };
}

/**
 * Fold documents into yearly buckets, one row per transaction (the shape the projector keeps, so a
 * later version can replace a row exactly); `version` is the version every row is recorded at.
 */
export function yearlyBucketsOf(docs: Iterable<TransactionDoc>, version = 0): YearlyBucket[] {
  const buckets = new Map<string, YearlyBucket>();
  for (const doc of docs) {
    const year = doc.localDate.slice(0, 4);
    const bucketKey = `${doc.userId}|${year}`;
    let bucket = buckets.get(bucketKey);
    if (!bucket) {
      bucket = { userId: doc.userId, year, rows: [], gone: [] };
      buckets.set(bucketKey, bucket);
    }
    if (doc.status === reversedStatus) bucket.gone.push({ id: doc.id, v: version });
    else bucket.rows.push(bucketRowOf(doc, version));
  }
  return [...buckets.values()];
}
