/** GET /v1/analytics/time-series. */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import { analyticsRequest, presentRange } from '../../http/analytics-request.js';
import { commonParams, periodParams } from '../../http/query-schemas.js';
import { moneyJson } from '../../http/present.js';
import { bucketSizes } from '../../domain/periods.js';
import { getTimeSeries } from './time-series-service.js';

export const timeSeriesQuery = z
  .object({
    ...periodParams,
    ...commonParams,
    bucket: z.enum(bucketSizes).default('day'),
  })
  .strict();

export function createTimeSeriesRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const auth = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });

  router.get('/v1/analytics/time-series', auth, async (ctx) => {
    const query = parseQuery(ctx, timeSeriesQuery);
    const request = await analyticsRequest(ctx, deps, query);
    const monthStartDay = query.startDay ?? 1;
    const series = await getTimeSeries(deps.store, {
      userId: request.userId,
      range: request.range,
      bucket: query.bucket,
      monthStartDay,
      walletIds: query.walletId,
      categories: query.category,
    });
    const currency = request.settings.homeCurrency;
    ctx.body = {
      bucket: series.bucket,
      period: presentRange(request.range, request.settings.timeZone),
      points: series.points.map((point) => ({
        start: point.start,
        spend: moneyJson(point.spendMinor, currency),
        income: moneyJson(point.incomeMinor, currency),
        net: moneyJson(point.netMinor, currency),
        count: point.count,
      })),
    };
  });

  return router;
}
