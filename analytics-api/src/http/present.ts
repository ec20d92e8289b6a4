/**
 * Presenters: bigint amounts leave as the core wire form `{ amount: "1234", currency }`. The
 * transaction's answer has a schema: the presenter returns its type (the compiler holds the two
 * together) and `/openapi.json` documents it.
 */
import { z } from 'zod';
import { transactionKinds } from '@spendstream/core/events';
import { facetFields, flows, type TransactionDoc } from '../query/analytics-store.js';

export const moneyJsonSchema = z
  .object({
    amount: z.string().describe('minor units as a decimal string'),
    currency: z.string(),
  })
  .strict();
export type MoneyJson = z.infer<typeof moneyJsonSchema>;

/** One transaction as `GET /v1/transactions/{id}`, search items and the live stream show it. */
export const transactionJsonSchema = z
  .object({
    id: z.string(),
    walletId: z.string(),
    kind: z.enum(transactionKinds),
    flow: z.enum(flows),
    status: z.string(),
    occurredAt: z.string().describe('ISO 8601 instant in UTC'),
    localDate: z.string().describe('the date of occurredAt in the owner\u2019s time zone'),
    amount: moneyJsonSchema,
    homeAmount: moneyJsonSchema,
    category: z.string().describe('top-level category id'),
    subcategory: z.string().nullable().describe('leaf category id'),
    merchant: z.string().nullable().describe('the merchant\u2019s display name'),
    merchantKey: z
      .string()
      .nullable()
      .describe(
        'the merchant key (what budgets\u2019 scope.merchantKeys name); null when the ' +
          'transaction was projected before analytics kept it',
      ),
    description: z.string(),
    note: z.string().nullable(),
    tags: z.array(z.string()),
  })
  .strict();
export type TransactionJson = z.infer<typeof transactionJsonSchema>;

/** A page of `GET /v1/transactions`. */
export const searchPageJsonSchema = z
  .object({
    items: z.array(transactionJsonSchema),
    total: z.int(),
    nextCursor: z.string().nullable(),
    facets: z
      .partialRecord(
        z.enum(facetFields),
        z.array(z.object({ value: z.string(), count: z.int() }).strict()),
      )
      .optional()
      .describe('with facets=true: counts per value, top 20 each'),
  })
  .strict();

export function moneyJson(amountMinor: bigint, currency: string): MoneyJson {
  return { amount: amountMinor.toString(), currency };
}

/** One transaction document as the API shows it. */
export function presentTransaction(doc: TransactionDoc): TransactionJson {
  return {
    id: doc.id,
    walletId: doc.walletId,
    kind: doc.kind,
    flow: doc.flow,
    status: doc.status,
    occurredAt: doc.occurredAt,
    localDate: doc.localDate,
    amount: moneyJson(doc.amountMinor, doc.currency),
    homeAmount: moneyJson(doc.homeAmountMinor, doc.homeCurrency),
    category: doc.category,
    subcategory: doc.subcategory,
    merchant: doc.merchant,
    merchantKey: doc.merchantKey,
    description: doc.description,
    note: doc.note,
    tags: doc.tags,
  };
}
