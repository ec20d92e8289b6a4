/** GET /v1/analytics/cash-flow: income against spend, net, daily average and projection. */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import { analyticsRequest, presentRange } from '../../http/analytics-request.js';
import { commonParams, periodParams } from '../../http/query-schemas.js';
import { moneyJson } from '../../http/present.js';
import { getCashFlow } from './cash-flow-service.js';

export const cashFlowQuery = z.object({ ...periodParams, ...commonParams }).strict();

export function createCashFlowRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const auth = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });

  router.get('/v1/analytics/cash-flow', auth, async (ctx) => {
    const query = parseQuery(ctx, cashFlowQuery);
    const request = await analyticsRequest(ctx, deps, query);
    const flow = await getCashFlow(deps.store, {
      userId: request.userId,
      range: request.range,
      today: request.today,
      walletIds: query.walletId,
    });
    const currency = request.settings.homeCurrency;
    ctx.body = {
      period: presentRange(request.range, request.settings.timeZone),
      income: moneyJson(flow.incomeMinor, currency),
      spend: moneyJson(flow.spendMinor, currency),
      net: moneyJson(flow.netMinor, currency),
      internalTransfers: moneyJson(flow.internalTransfersMinor, currency),
      savingsRatePercent: flow.savingsRatePercent,
      daysTotal: flow.pace.daysTotal,
      daysElapsed: flow.pace.daysElapsed,
      dailyAverageSpend: moneyJson(flow.pace.dailyAverageMinor, currency),
      projectedSpend: moneyJson(flow.pace.projectedMinor, currency),
    };
  });

  return router;
}
