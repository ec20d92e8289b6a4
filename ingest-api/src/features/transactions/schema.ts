/**
 * The HTTP body of one transaction, as banks and apps send it (POST /v1/transactions and each item of
 * POST /v1/transactions:batch). Field limits match the `transactions.raw` schema so anything accepted
 * here can be published.
 */
import { z } from 'zod';
import {
  categoryIdSchema,
  idSchema,
  labelLengthMax,
  metadataEntriesMax,
  metadataKeyLengthMax,
  metadataValueLengthMax,
  tagSchema,
  tagsPerTransactionMax,
  textLengthMax,
  transactionKindSchema,
} from '@spendstream/core/events';

/** Largest serialized metadata object, in bytes: bank fields are kept, but bounded. */
export const metadataBytesMax = 4_096;
/** How far in the future `occurredAt` may be, in ms (clock skew and pre-authorisations). */
export const occurredAtFutureMaxMs = 2 * 24 * 3600 * 1000;
/** How far in the past `occurredAt` may be, in ms (ten years: older is a bug, not a transaction). */
export const occurredAtPastMaxMs = 10 * 366 * 24 * 3600 * 1000;

const metadataSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(metadataKeyLengthMax)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, 'metadata keys are letters, digits, _ and -'),
    z.union([z.string().max(metadataValueLengthMax), z.number(), z.boolean(), z.null()]),
  )
  .refine(
    (map) => Object.keys(map).length <= metadataEntriesMax,
    `at most ${metadataEntriesMax} metadata entries`,
  )
  .refine(
    (map) => Buffer.byteLength(JSON.stringify(map)) <= metadataBytesMax,
    `metadata must serialize to at most ${metadataBytesMax} bytes`,
  );

export const transactionInputSchema = z
  .strictObject({
    /** The source's own id for the transaction: the dedupe key with the caller's source. */
    externalId: z.string().min(1).max(labelLengthMax),
    walletId: idSchema,
    /** Needed when a machine client acts for several users; defaults to the only one, or the token's user. */
    userId: idSchema.optional(),
    /** Absent: derived from the sign of `amount` (negative: expense, positive: income). */
    kind: transactionKindSchema.optional(),
    /** Major units as a decimal string (`"12.34"`), checked against the currency's exponent... */
    amount: z.string().min(1).max(40).optional(),
    /** ...or minor units as an integer (`1234`) or integer string (`"1234"`). Exactly one of the two. */
    amountMinor: z.union([z.int(), z.string().min(1).max(40)]).optional(),
    currency: z.string().length(3),
    /** When it happened: ISO 8601 with an offset or Z. */
    occurredAt: z.string().max(64),
    merchant: z.string().trim().min(1).max(labelLengthMax).optional(),
    description: z.string().max(textLengthMax).optional(),
    /** A category the app already chose (the user's choice); wins over rules downstream. */
    category: categoryIdSchema.optional(),
    mcc: z
      .string()
      .regex(/^[0-9]{4}$/, 'must be a four-digit merchant category code')
      .optional(),
    bankCategory: z.string().trim().min(1).max(labelLengthMax).optional(),
    tags: z.array(tagSchema).max(tagsPerTransactionMax).optional(),
    note: z.string().max(textLengthMax).optional(),
    metadata: metadataSchema.optional(),
    /** `reversed` reverses a transaction sent before (same externalId). */
    status: z.enum(['booked', 'reversed']).optional(),
  })
  .refine((value) => (value.amount === undefined) !== (value.amountMinor === undefined), {
    message: 'give exactly one of amount (decimal string) or amountMinor (integer minor units)',
    path: ['amount'],
  });
export type TransactionInput = z.infer<typeof transactionInputSchema>;
