/** GET /v1/analytics/comparison: this period, the previous one, the same one last year. */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import { analyticsRequest } from '../../http/analytics-request.js';
import { commonParams, periodParams } from '../../http/query-schemas.js';
import { moneyJson } from '../../http/present.js';
import { comparePeriods, type ComparedPeriod, type PeriodTotal } from './comparison-service.js';

export const comparisonQuery = z
  .object({
    ...periodParams,
    ...commonParams,
    flow: z.enum(['spend', 'income']).default('spend'),
  })
  .strict();

export function createComparisonRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const auth = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });

  router.get('/v1/analytics/comparison', auth, async (ctx) => {
    const query = parseQuery(ctx, comparisonQuery);
    const request = await analyticsRequest(ctx, deps, query);
    const result = await comparePeriods(deps.store, {
      userId: request.userId,
      period: request.spec,
      flow: query.flow,
      walletIds: query.walletId,
    });
    const currency = request.settings.homeCurrency;
    const total = (period: PeriodTotal) => ({
      from: period.from,
      to: period.to,
      total: moneyJson(period.totalMinor, currency),
      count: period.count,
    });
    const compared = (period: ComparedPeriod) => ({
      ...total(period),
      change: moneyJson(period.changeMinor, currency),
      changePercent: period.changePercent,
    });
    ctx.body = {
      flow: query.flow,
      timeZone: request.settings.timeZone,
      current: total(result.current),
      previous: compared(result.previous),
      lastYear: compared(result.lastYear),
      categories: result.categories.map((entry) => ({
        category: entry.category,
        current: moneyJson(entry.currentMinor, currency),
        previous: moneyJson(entry.previousMinor, currency),
        lastYear: moneyJson(entry.lastYearMinor, currency),
      })),
    };
  });

  return router;
}
