/**
 * GET /v1/categories: the category tree analytics accepts and answers with (ids, names, parents),
 * then the caller's custom categories from `ref.category-rules`, so a client needs no copy of it.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import { targetUserId } from '../../http/request-scope.js';
import { idSchema } from '@spendstream/core/events';

export const categoriesQuery = z.object({ userId: idSchema.optional() }).strict();

export function createCategoryRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const auth = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });

  router.get('/v1/categories', auth, async (ctx) => {
    const query = parseQuery(ctx, categoriesQuery);
    const userId = targetUserId(ctx, query.userId);
    const builtIn = deps.categories.entries().map((entry) => ({ ...entry, custom: false }));
    const custom = (await deps.customCategories.list(userId)).map((category) => ({
      id: category.id,
      name: category.name,
      parentId: category.parentId ?? null,
      custom: true,
    }));
    ctx.body = { categories: [...builtIn, ...custom] };
  });

  return router;
}
