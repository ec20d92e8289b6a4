/** GET /v1/analytics/breakdown and /v1/analytics/top-merchants. */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import { analyticsRequest, presentRange } from '../../http/analytics-request.js';
import { booleanParam, commonParams, periodParams } from '../../http/query-schemas.js';
import { moneyJson } from '../../http/present.js';
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

function presentItem(item: BreakdownItem, currency: string): Record<string, unknown> {
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

function presentBreakdown(result: Breakdown, currency: string, timeZone: string) {
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
    ctx.body = {
      by: query.by,
      flow: query.flow,
      ...presentBreakdown(result, request.settings.homeCurrency, request.settings.timeZone),
    };
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
