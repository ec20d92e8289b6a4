/**
 * /v1/budgets: list, create, read, update, delete, and status (one or all). Changes need the
 * `budgets:write` scope; reads `analytics:read`.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseBody, parseParams, parseQuery } from '@spendstream/core/http';
import { budgetSchema, budgetScopeSchema, idSchema, type Budget } from '@spendstream/core/events';
import type { FeatureDeps } from '../../http/deps.js';
import { targetUserId } from '../../http/request-scope.js';
import { moneyJson } from '../../http/present.js';
import { userIdQuery } from '../../http/query-schemas.js';
import { createBudgetService, type BudgetStatus } from './budget-service.js';

export const draftSchema = budgetSchema
  .omit({ budgetId: true, createdAt: true, updatedAt: true })
  // No scope means every outgoing transaction counts.
  .extend({ scope: budgetScopeSchema.prefault({}) })
  .strict();
/**
 * A change names only what it changes: without defaults (a `.partial()` of the draft would fill
 * `thresholds`, `rollover`, `active` and `scope` back to their defaults when left out). A `scope`
 * given replaces the old one whole.
 */
export const changesSchema = draftSchema
  .extend({
    thresholds: budgetSchema.shape.thresholds.unwrap(),
    rollover: budgetSchema.shape.rollover.unwrap(),
    active: budgetSchema.shape.active.unwrap(),
    scope: budgetScopeSchema,
  })
  .partial()
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, {
    error: 'give at least one field to change',
  });
const budgetParams = z.object({ id: idSchema });

function presentBudget(budget: Budget) {
  return budgetSchema.encode(budget);
}

function presentStatus(status: BudgetStatus) {
  const currency = status.budget.limit.currency;
  return {
    budgetId: status.budget.budgetId,
    name: status.budget.name,
    period: status.period,
    limit: moneyJson(status.budget.limit.amount, currency),
    carried: moneyJson(status.carriedMinor, currency),
    available: moneyJson(status.availableMinor, currency),
    spent: moneyJson(status.spentMinor, currency),
    remaining: moneyJson(status.remainingMinor, currency),
    percentUsed: status.percentUsed,
    projected: moneyJson(status.projectedMinor, currency),
    daysLeft: status.daysLeft,
    thresholdsReached: status.thresholdsReached,
  };
}

export function createBudgetRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const read = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });
  const write = requireAuth(deps.verifier, { scopes: [authScopes.budgetsWrite] });
  const service = createBudgetService(deps);
  const userOf = (ctx: Koa.Context) => targetUserId(ctx, parseQuery(ctx, userIdQuery).userId);

  router.get('/v1/budgets', read, async (ctx) => {
    const budgets = await service.list(userOf(ctx));
    ctx.body = { items: budgets.map(presentBudget) };
  });

  router.post('/v1/budgets', write, async (ctx) => {
    const userId = userOf(ctx);
    const budget = await service.create(userId, parseBody(ctx, draftSchema));
    ctx.status = 201;
    ctx.set('Location', `/v1/budgets/${budget.budgetId}`);
    ctx.body = presentBudget(budget);
  });

  router.get('/v1/budgets/status', read, async (ctx) => {
    const statuses = await service.statusesOf(userOf(ctx));
    ctx.body = { items: statuses.map(presentStatus) };
  });

  router.get('/v1/budgets/:id', read, async (ctx) => {
    const { id } = parseParams(ctx, budgetParams);
    ctx.body = presentBudget(await service.get(userOf(ctx), id));
  });

  router.get('/v1/budgets/:id/status', read, async (ctx) => {
    const { id } = parseParams(ctx, budgetParams);
    const [status] = await service.statusesOf(userOf(ctx), id);
    ctx.body = presentStatus(status!);
  });

  router.patch('/v1/budgets/:id', write, async (ctx) => {
    const { id } = parseParams(ctx, budgetParams);
    const userId = userOf(ctx);
    ctx.body = presentBudget(await service.update(userId, id, parseBody(ctx, changesSchema)));
  });

  router.delete('/v1/budgets/:id', write, async (ctx) => {
    const { id } = parseParams(ctx, budgetParams);
    await service.remove(userOf(ctx), id);
    ctx.status = 204;
  });

  return router;
}
