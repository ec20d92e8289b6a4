/** GET /v1/analytics/breakdown and /v1/analytics/top-merchants. */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import { analyticsRequest, presentRange } from '../../http/analytics-request.js';
import { booleanParam, commonParams, periodParams } from '../../http/query-schemas.js';
import { moneyJson, moneyJsonSchema } from '../../http/present.js';
import {
  breakdownDimensions,
  breakdownItemsMax,
  getBreakdown,
  type Breakdown,
  type BreakdownItem,
} from './breakdown-service.js';

/** Top merchants returned when the caller does not say. */
export const topMerchantsDefault = 10;

export const breakdownQuery = z
  .object({
    ...periodParams,
    ...commonParams,
    by: z.enum(breakdownDimensions).default('category'),
    flow: z.enum(['spend', 'income']).default('spend'),
    byCurrency: booleanParam.default(false),
    limit: z.coerce.number().int().min(1).max(breakdownItemsMax).default(breakdownItemsMax),
  })
  .strict();

export const topMerchantsQuery = z
  .object({
    ...periodParams,
    ...commonParams,
    limit: z.coerce.number().int().min(1).max(breakdownItemsMax).default(topMerchantsDefault),
  })
  .strict();

const itemJsonFields = {
  key: z
    .string()
    .nullable()
    .describe('the category, merchant display name, wallet or tag; null: none (no merchant)'),
  amount: moneyJsonSchema,
  count: z.int(),
  sharePercent: z.number().nullable(),
  merchantKeys: z
    .array(z.string())
    .optional()
    .describe(
      'by merchant: the merchant keys of its transactions (what budgets\u2019 ' +
        'scope.merchantKeys name); [] when projected before keys were kept',
    ),
  currencies: z
    .array(
      z.object({ amount: moneyJsonSchema, homeAmount: moneyJsonSchema, count: z.int() }).strict(),
    )
    .optional()
    .describe('with byCurrency=true: per original currency'),
};
/** One item of a breakdown answer; by category with its subcategories. */
const breakdownItemJsonSchema = z
  .object({
    ...itemJsonFields,
    subcategories: z.array(z.object(itemJsonFields).strict()).optional(),
  })
  .strict();
type BreakdownItemJson = z.infer<typeof breakdownItemJsonSchema>;

/** The answer of `GET /v1/analytics/top-merchants`. */
export const topMerchantsJsonSchema = z
  .object({
    period: z.object({ from: z.string(), to: z.string(), timeZone: z.string() }).strict(),
    total: moneyJsonSchema,
    count: z.int(),
    other: moneyJsonSchema.describe('the items beyond limit, summed'),
    items: z.array(breakdownItemJsonSchema),
  })
  .strict();
/** The answer of `GET /v1/analytics/breakdown`. */
export const breakdownJsonSchema = topMerchantsJsonSchema
  .extend({ by: z.enum(breakdownDimensions), flow: z.enum(['spend', 'income']) })
  .strict();

function presentItem(item: BreakdownItem, currency: string): BreakdownItemJson {
  return {
    key: item.key,
    amount: moneyJson(item.amountMinor, currency),
    count: item.count,
    sharePercent: item.sharePercent,
    ...(item.merchantKeys ? { merchantKeys: item.merchantKeys } : {}),
    ...(item.subcategories
      ? { subcategories: item.subcategories.map((child) => presentItem(child, currency)) }
      : {}),
    ...(item.currencies
      ? {
          currencies: item.currencies.map((entry) => ({
            amount: moneyJson(entry.amountMinor, entry.currency),
            homeAmount: moneyJson(entry.homeAmountMinor, currency),
            count: entry.count,
          })),
        }
      : {}),
  };
}

function presentBreakdown(
  result: Breakdown,
  currency: string,
  timeZone: string,
): z.infer<typeof topMerchantsJsonSchema> {
  return {
    period: presentRange(result, timeZone),
    total: moneyJson(result.totalMinor, currency),
    count: result.count,
    other: moneyJson(result.otherMinor, currency),
    items: result.items.map((item) => presentItem(item, currency)),
  };
}

export function createBreakdownRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const auth = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });

  router.get('/v1/analytics/breakdown', auth, async (ctx) => {
    const query = parseQuery(ctx, breakdownQuery);
    const request = await analyticsRequest(ctx, deps, query);
    const result = await getBreakdown(deps.store, {
      userId: request.userId,
      range: request.range,
      by: query.by,
      flow: query.flow,
      byCurrency: query.byCurrency,
      walletIds: query.walletId,
      categories: query.category,
      limit: query.limit,
    });
    const answer: z.infer<typeof breakdownJsonSchema> = {
      by: query.by,
      flow: query.flow,
      ...presentBreakdown(result, request.settings.homeCurrency, request.settings.timeZone),
    };
    ctx.body = answer;
  });

  router.get('/v1/analytics/top-merchants', auth, async (ctx) => {
    const query = parseQuery(ctx, topMerchantsQuery);
    const request = await analyticsRequest(ctx, deps, query);
    const result = await getBreakdown(deps.store, {
      userId: request.userId,
      range: request.range,
      by: 'merchant',
      flow: 'spend',
      byCurrency: false,
      walletIds: query.walletId,
      categories: query.category,
      limit: query.limit,
    });
    ctx.body = presentBreakdown(result, request.settings.homeCurrency, request.settings.timeZone);
  });

  return router;
}
