/**
 * Transaction payloads: the raw transaction (topic `transactions.raw`), the enriched one
 * (`transactions.enriched`) and a user's correction (`transactions.corrections`).
 *
 * Amounts are magnitudes (zero or more); the `kind` says whether money went in or out, so no consumer
 * has to guess what a negative number means. `signedAmount` gives the signed value when needed.
 */
import { z } from 'zod';
import {
  categoryDepthMax,
  categoryIdSchema,
  decimalStringSchema,
  idSchema,
  isoDateSchema,
  isoDateTimeSchema,
  labelLengthMax,
  metadataSchema,
  nonNegativeMoneySchema,
  roundingModeSchema,
  tagSchema,
  tagsPerTransactionMax,
  textLengthMax,
  timeZoneSchema,
} from './common.js';

/** What kind of movement a transaction is. */
export const transactionKinds = [
  'expense',
  'income',
  'transfer_in',
  'transfer_out',
  'refund',
  'fee',
  'interest',
  'withdrawal',
  'deposit',
  'adjustment_in',
  'adjustment_out',
] as const;
export type TransactionKind = (typeof transactionKinds)[number];
export const transactionKindSchema = z.enum(transactionKinds);

/** Whether each kind moves money into (`in`) or out of (`out`) the wallet. */
export const transactionKindDirection: Readonly<Record<TransactionKind, 'in' | 'out'>> =
  Object.freeze({
    expense: 'out',
    income: 'in',
    transfer_in: 'in',
    transfer_out: 'out',
    refund: 'in',
    fee: 'out',
    interest: 'in',
    withdrawal: 'out',
    deposit: 'in',
    adjustment_in: 'in',
    adjustment_out: 'out',
  });

/**
 * `booked`: the transaction counts. `reversed`: the bank or user reversed it; consumers treat it as if
 * it never counted (a later version of the same transaction id carries the reversal).
 */
export const transactionStatusSchema = z.enum(['booked', 'reversed']);
export type TransactionStatus = z.infer<typeof transactionStatusSchema>;

/** How the transaction entered the system. */
export const transactionChannelSchema = z.enum(['api', 'batch', 'file', 'wallet']);

/** The other side of a transfer. */
export const transferSchema = z.object({
  /** Shared by both legs of a transfer. */
  transferId: idSchema,
  /** True when both wallets belong to the same user: rollups leave these out of spend and income. */
  internal: z.boolean(),
  counterpartyWalletId: idSchema.optional(),
  counterpartyUserId: idSchema.optional(),
});

/** transactions.raw, type `transaction.raw`, version 1. */
export const rawTransactionV1Schema = z.object({
  /** Spendstream's id, stable for this (source, externalId): a re-ingest yields the same id. */
  transactionId: idSchema,
  /** Who pushed it: the machine client id (a bank or app) or `wallet-api`. */
  source: idSchema,
  /** The source's own id for it, unique within the source (dedup key with `source`). */
  externalId: z.string().min(1).max(labelLengthMax),
  userId: idSchema,
  walletId: idSchema,
  kind: transactionKindSchema,
  /** The magnitude, in the transaction's own currency; `kind` gives the direction. */
  amount: nonNegativeMoneySchema,
  /** When it happened (event time), with the offset the source gave. */
  occurredAt: isoDateTimeSchema,
  /** Merchant name as the source wrote it (`CARREFOUR 1234 PARIS`). */
  merchant: z.string().min(1).max(labelLengthMax).optional(),
  description: z.string().max(textLengthMax).optional(),
  /** A category the user or app chose; wins over rules. */
  category: categoryIdSchema.optional(),
  /** Merchant category code (ISO 18245), four digits. */
  mcc: z
    .string()
    .regex(/^[0-9]{4}$/)
    .optional(),
  /** The bank's own category label, used as a categorization hint. */
  bankCategory: z.string().min(1).max(labelLengthMax).optional(),
  tags: z.array(tagSchema).max(tagsPerTransactionMax).default([]),
  note: z.string().max(textLengthMax).optional(),
  metadata: metadataSchema.default({}),
  transfer: transferSchema.optional(),
  channel: transactionChannelSchema.optional(),
  /** Starts at 1; a correction from the source re-sends the transaction with a higher version. */
  version: z.int().min(1).max(1_000_000),
  status: transactionStatusSchema,
});
export type RawTransactionV1 = z.infer<typeof rawTransactionV1Schema>;

/** Who decided the category. */
export const categorySourceSchema = z.enum([
  'user',
  'correction',
  'rule',
  'merchant',
  'mcc',
  'bank',
  'default',
]);

/** A category and where it sits in the tree. */
export const categoryAssignmentSchema = z.object({
  /** The leaf category id, e.g. `groceries`. */
  id: categoryIdSchema,
  /** Display name at enrichment time. */
  name: z.string().min(1).max(labelLengthMax),
  /** Ids from the root to this category, inclusive: `['food', 'groceries']`. */
  path: z.array(categoryIdSchema).min(1).max(categoryDepthMax),
  source: categorySourceSchema,
  /** The rule that matched, when `source` is `rule`. */
  ruleId: idSchema.optional(),
});
export type CategoryAssignment = z.infer<typeof categoryAssignmentSchema>;

/** How the home-currency amount was computed; rate 1 and `identity` when no conversion was needed. */
export const conversionSchema = z.object({
  /** Units of home currency per one unit (major) of the transaction currency, exact decimal string. */
  rate: decimalStringSchema,
  /** The date the rate applies to (the transaction's local date unless no rate existed for it). */
  rateDate: isoDateSchema,
  rounding: roundingModeSchema,
  /** Where the rate came from (`ecb`, `fixed`, `identity`). */
  provider: z.string().min(1).max(labelLengthMax),
});
export type Conversion = z.infer<typeof conversionSchema>;

/** transactions.enriched, type `transaction.enriched`, version 1: the raw fields plus enrichment. */
export const enrichedTransactionV1Schema = rawTransactionV1Schema.extend({
  /** Cleaned merchant name (`Carrefour`), absent when there was no merchant. */
  merchantClean: z.string().min(1).max(labelLengthMax).optional(),
  /** A stable merchant key for grouping (`carrefour`). */
  merchantKey: z.string().min(1).max(labelLengthMax).optional(),
  category: categoryAssignmentSchema,
  /** The amount in the user's home currency (magnitude, like `amount`). */
  homeAmount: nonNegativeMoneySchema,
  conversion: conversionSchema,
  /** The user's time zone at enrichment time. */
  timeZone: timeZoneSchema,
  /** `occurredAt` as a calendar date in the user's time zone: the day window it belongs to. */
  localDate: isoDateSchema,
  /** ISO week of the local date, e.g. `2026-W48`. */
  localWeek: z.string().regex(/^[0-9]{4}-W[0-9]{2}$/),
  /** Month of the local date, e.g. `2026-11`. */
  localMonth: z.string().regex(/^[0-9]{4}-[0-9]{2}$/),
});
export type EnrichedTransactionV1 = z.infer<typeof enrichedTransactionV1Schema>;

/** transactions.corrections, type `transaction.recategorized`, version 1. */
export const transactionRecategorizedV1Schema = z.object({
  /** Stable id of this correction (the API request's id). */
  correctionId: idSchema,
  transactionId: idSchema,
  userId: idSchema,
  /** The category the user chose. */
  category: categoryIdSchema,
  /** The category it had before, as the user saw it. */
  previousCategory: categoryIdSchema.optional(),
  /** When true, also categorize this merchant's future transactions the same way. */
  applyToMerchant: z.boolean().default(false),
  /** The merchant key the rule applies to when `applyToMerchant` is true. */
  merchantKey: z.string().min(1).max(labelLengthMax).optional(),
  correctedAt: isoDateTimeSchema,
});
export type TransactionRecategorizedV1 = z.infer<typeof transactionRecategorizedV1Schema>;

/**
 * transactions.corrections, type `transaction.annotated`, version 1: the user set the tags and/or the
 * note of one transaction. Each field present replaces the stored value whole (`tags: []` clears the
 * tags, `note: null` clears the note); an absent field is left as it is.
 */
export const transactionAnnotatedV1Schema = z
  .object({
    /** Stable id of this correction (the API request's id). */
    correctionId: idSchema,
    transactionId: idSchema,
    userId: idSchema,
    tags: z.array(tagSchema).max(tagsPerTransactionMax).optional(),
    note: z.string().max(textLengthMax).nullable().optional(),
    annotatedAt: isoDateTimeSchema,
  })
  .refine((value) => value.tags !== undefined || value.note !== undefined, {
    message: 'tags or note (or both) must be given',
  });
export type TransactionAnnotatedV1 = z.infer<typeof transactionAnnotatedV1Schema>;

/** The amount with its sign: positive when money came in, negative when it went out. */
export function signedAmount(transaction: Pick<RawTransactionV1, 'kind' | 'amount'>): bigint {
  return transactionKindDirection[transaction.kind] === 'in'
    ? transaction.amount.amount
    : -transaction.amount.amount;
}
