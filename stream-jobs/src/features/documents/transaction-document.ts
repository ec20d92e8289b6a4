/**
 * The canonical transaction document: one per transaction id, the latest version wins. The same
 * shape is stored in MongoDB (`transactions` collection, `_id` = `id`), in the search index and in
 * the embedded tables; docs/stream-jobs.md is its public description for analytics-api.
 */
import type { CurrencyCode } from '@spendstream/core/money';
import type {
  CategoryAssignment,
  TransactionKind,
  TransactionStatus,
} from '@spendstream/core/events/transactions';
import type { CategoryReason } from '../categorize/categorize.js';

/**
 * How many category revisions fit in one raw version: `version = rawVersion * categoryRevisionSlots +
 * categoryRevision + annotationRevision`, so a source correction (higher raw version) always beats a recategorization of
 * the previous version, and a recategorization beats the document it changes.
 */
export const categoryRevisionSlots = 1_048_576;

/** Which budget period a transaction counted toward. */
export interface BudgetPeriodRef {
  budgetId: string;
  /** First local day of the period (`YYYY-MM-DD`). */
  start: string;
  /** Day after the last local day of the period. */
  end: string;
  kind: 'day' | 'week' | 'month' | 'every_n_days';
}

export interface TransactionDocument {
  id: string;
  userId: string;
  walletId: string;
  source: string;
  externalId: string;
  /** Monotone per id: `rawVersion * categoryRevisionSlots + categoryRevision + annotationRevision`. */
  version: number;
  rawVersion: number;
  categoryRevision: number;
  /** Accepted user annotations (tags, note) of this transaction; absent on documents older than them. */
  annotationRevision?: number | undefined;
  status: TransactionStatus;
  kind: TransactionKind;
  direction: 'in' | 'out';
  /** Magnitude in the transaction's own currency, minor units. */
  amountMinor: bigint;
  currency: CurrencyCode;
  /** Magnitude in the user's home currency, minor units. */
  homeAmountMinor: bigint;
  homeCurrency: CurrencyCode;
  conversion: { rate: string; rateDate: string; rounding: 'half-even'; provider: string };
  /** As the source sent it, with its offset. */
  occurredAt: string;
  /** The same instant in UTC, `...Z`, for range queries and sorting. */
  occurredAtUtc: string;
  timeZone: string;
  localDate: string;
  localWeek: string;
  localMonth: string;
  /** The merchant text as the source wrote it. */
  merchantRaw?: string | undefined;
  merchantKey: string;
  merchantName: string;
  description?: string | undefined;
  /** The note in effect: the user's when they set one (`transaction.annotated`), else the source's. */
  note?: string | undefined;
  /** The note as the source sent it. */
  sourceNote?: string | undefined;
  mcc?: string | undefined;
  bankCategory?: string | undefined;
  category: CategoryAssignment;
  categoryReason: CategoryReason;
  /** The category the source sent, if any (kept so a recategorization can re-run categorization). */
  sourceCategory?: string | undefined;
  /** Tags as the source sent them. */
  sourceTags?: string[] | undefined;
  /** The user's tags when they set them (`transaction.annotated`), else the source's plus the ones rules add. */
  tags: string[];
  transferId?: string | undefined;
  transferInternal?: boolean | undefined;
  channel?: string | undefined;
  budgets: BudgetPeriodRef[];
  /** When the stream job wrote this version. */
  processedAt: string;
  /** The raw event's id, to trace a document back to what was ingested. */
  sourceEventId: string;
}
