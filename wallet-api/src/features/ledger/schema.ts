/**
 * HTTP schemas of the ledger: movements, transfers, reversals. Amounts are positive integer minor
 * units written as strings ("1234" is 12.34 EUR): a JSON number could not carry 64 bits exactly,
 * and a fraction of a minor unit does not exist.
 */
import { z } from 'zod';
import { amountMinorMax } from '@spendstream/core/money';
import {
  categoryIdSchema,
  currencyCodeSchema,
  decimalStringSchema,
  isoDateTimeSchema,
  labelLengthMax,
  tagSchema,
  tagsPerTransactionMax,
  textLengthMax,
} from '@spendstream/core/events';
import { idPattern } from '../../ids.js';

/** A positive amount of minor units, as a decimal string, at most amountMinorMax. */
export const positiveMinorUnitsSchema = z
  .string()
  .max(amountMinorMax.toString().length)
  .regex(
    /^[1-9][0-9]*$/,
    'must be a positive whole number of minor units written as a string, e.g. "1234"',
  )
  .transform((text) => BigInt(text))
  .refine((value) => value <= amountMinorMax, `must be at most ${amountMinorMax} minor units`);

export const entityIdSchema = z.string().regex(idPattern, 'must be an id');

const movementDetails = {
  category: categoryIdSchema.optional(),
  merchant: z.string().min(1).max(labelLengthMax).optional(),
  note: z.string().max(textLengthMax).optional(),
  tags: z.array(tagSchema).max(tagsPerTransactionMax).default([]),
  /** When it happened (event time) with its offset; defaults to the time it was recorded. */
  occurredAt: isoDateTimeSchema.optional(),
};

/** POST /v1/movements: income into or expense out of one wallet. */
export const movementBodySchema = z.strictObject({
  kind: z.enum(['income', 'expense']),
  walletId: entityIdSchema,
  amount: positiveMinorUnitsSchema,
  /** Optional check: when given it must be the wallet's currency. */
  currency: currencyCodeSchema.optional(),
  ...movementDetails,
});
export type MovementBody = z.infer<typeof movementBodySchema>;

const transferTargetSchema = z.union([
  z.strictObject({ walletId: entityIdSchema }),
  z.strictObject({ userId: entityIdSchema }),
  z.strictObject({ email: z.email().max(254) }),
]);

/** POST /v1/transfers: from a wallet the caller may spend from, to any wallet, own or another user's. */
export const transferBodySchema = z.strictObject({
  fromWalletId: entityIdSchema,
  to: transferTargetSchema,
  amount: positiveMinorUnitsSchema,
  currency: currencyCodeSchema.optional(),
  /** Units of the target currency per unit of the source currency; required when they differ. */
  rate: decimalStringSchema.optional(),
  rounding: z.enum(['half-even', 'half-up']).default('half-even'),
  ...movementDetails,
});
export type TransferBody = z.infer<typeof transferBodySchema>;

/** POST /v1/movements/{id}/reversal. */
export const reversalBodySchema = z.strictObject({
  note: z.string().max(textLengthMax).optional(),
});
export type ReversalBody = z.infer<typeof reversalBodySchema>;
