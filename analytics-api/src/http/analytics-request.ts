/**
 * The common first step of every analytics handler: whose data, in which zone and currency, over
 * which local dates.
 */
import type Koa from 'koa';
import type { FeatureDeps } from './deps.js';
import { targetUserId } from './request-scope.js';
import { categoriesOfUser } from '../features/categories/custom-categories.js';
import { assertKnownCategories, periodSpecOf } from './query-schemas.js';
import { resolvePeriod, todayIn, type DateRange, type PeriodSpec } from '../domain/periods.js';
import type { UserSettings } from '../domain/user-settings.js';

export interface AnalyticsRequest {
  userId: string;
  settings: UserSettings;
  today: string;
  spec: PeriodSpec;
  range: DateRange;
}

interface CommonQuery {
  userId?: string;
  period?: PeriodSpec['kind'];
  date?: string;
  startDay?: number;
  from?: string;
  to?: string;
  category?: string[];
}

/** Resolve the user, their settings, today and the period of an analytics query. */
export async function analyticsRequest(
  ctx: Koa.Context,
  deps: FeatureDeps,
  query: CommonQuery,
  defaultKind: 'day' | 'week' | 'month' | 'year' = 'month',
): Promise<AnalyticsRequest> {
  const userId = targetUserId(ctx, query.userId);
  assertKnownCategories(await categoriesOfUser(deps, userId), query.category);
  const settings = await deps.settings.get(userId);
  const today = todayIn(settings.timeZone, deps.clock());
  const spec = periodSpecOf(query, today, defaultKind);
  return { userId, settings, today, spec, range: resolvePeriod(spec) };
}

/** The period block every analytics answer carries. */
export function presentRange(range: DateRange, timeZone: string) {
  return { from: range.from, to: range.to, timeZone };
}
