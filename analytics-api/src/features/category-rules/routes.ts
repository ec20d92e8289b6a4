/**
 * /v1/categories/custom and /v1/category-rules: a user's custom categories and categorization
 * rules (list, create, read, change, delete). Reads need `analytics:read`; changes
 * `transactions:write`, the scope of recategorizing (a merchant-wide recategorization is a rule
 * too). Every answer carries `ETag: "<revision>"`, the revision of the user's whole set (rules and
 * categories together, as one snapshot publishes them); a change sent with `If-Match` is refused
 * with 412 unless the set is still at a revision it names.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseBody, parseQuery, parseWith } from '@spendstream/core/http';
import {
  categoryIdSchema,
  categoryRuleSchema,
  customCategorySchema,
  idSchema,
  ruleMatchSchema,
  type CategoryRule,
} from '@spendstream/core/events';
import type { FeatureDeps } from '../../http/deps.js';
import { targetUserId } from '../../http/request-scope.js';
import type { CustomCategory } from '../categories/custom-categories.js';
import { createCategoryRuleService, type ExpectedRevisions } from './category-rule-service.js';

export const customCategoryDraftSchema = customCategorySchema
  .extend({ id: categoryIdSchema.optional() })
  .strict();
export const customCategoryChangesSchema = z
  .object({
    name: customCategorySchema.shape.name.optional(),
    /** `null` makes the category top-level. */
    parentId: categoryIdSchema.nullable().optional(),
  })
  .strict();
export const ruleDraftSchema = categoryRuleSchema
  .pick({ priority: true, category: true, addTags: true })
  // An unknown condition is refused, not dropped (a typo would widen the rule).
  .extend({ match: ruleMatchSchema.strict() })
  .strict();
/** Each field given replaces the rule's (`match` whole); a field left out is kept, no defaults. */
export const ruleChangesSchema = ruleDraftSchema
  .extend({ addTags: categoryRuleSchema.shape.addTags.unwrap() })
  .partial()
  .strict();
export const categoryRulesUserQuery = z.object({ userId: idSchema.optional() }).strict();
const categoryParams = z.object({ id: categoryIdSchema });
const ruleParams = z.object({ id: idSchema });

/** Longest `If-Match` header read, in characters (a few dozen revisions). */
const ifMatchLengthMax = 1_000;

/**
 * The revisions an `If-Match` header names: strong tags `"<revision>"`; absent or `*` means the
 * change is unconditional. Anything else (a weak tag, garbage) matches no revision, so the change
 * is refused with 412 as RFC 9110 asks for a tag that does not match.
 */
export function expectedRevisions(header: string | undefined): ExpectedRevisions {
  if (header === undefined || header.trim() === '') return undefined;
  const tags = header.slice(0, ifMatchLengthMax).split(',');
  if (tags.some((tag) => tag.trim() === '*')) return undefined;
  return tags.flatMap((tag) => {
    const match = /^"(\d{1,15})"$/.exec(tag.trim());
    return match ? [Number(match[1])] : [];
  });
}

function presentCategory(category: CustomCategory) {
  return { id: category.id, name: category.name, parentId: category.parentId ?? null };
}

function presentRule(rule: CategoryRule) {
  return categoryRuleSchema.encode(rule);
}

export function createCategoryRuleRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const read = requireAuth(deps.verifier, { scopes: [authScopes.analyticsRead] });
  const write = requireAuth(deps.verifier, { scopes: [authScopes.transactionsWrite] });
  const service = createCategoryRuleService(deps);
  const userOf = (ctx: Koa.Context) =>
    targetUserId(ctx, parseQuery(ctx, categoryRulesUserQuery).userId);
  const expected = (ctx: Koa.Context) => expectedRevisions(ctx.get('If-Match') || undefined);
  const tag = (ctx: Koa.Context, revision: number) => ctx.set('ETag', `"${revision}"`);

  router.get('/v1/categories/custom', read, async (ctx) => {
    const set = await service.read(userOf(ctx));
    tag(ctx, set.revision);
    ctx.body = { revision: set.revision, items: set.categories.map(presentCategory) };
  });

  router.post('/v1/categories/custom', write, async (ctx) => {
    const userId = userOf(ctx);
    const draft = parseBody(ctx, customCategoryDraftSchema);
    const { revision, item } = await service.createCategory(userId, draft, expected(ctx));
    ctx.status = 201;
    ctx.set('Location', `/v1/categories/custom/${item.id}`);
    tag(ctx, revision);
    ctx.body = presentCategory(item);
  });

  router.get('/v1/categories/custom/:id', read, async (ctx) => {
    const { id } = parseWith(categoryParams, ctx.params, 'path');
    const { revision, item } = await service.category(userOf(ctx), id);
    tag(ctx, revision);
    ctx.body = presentCategory(item);
  });

  router.patch('/v1/categories/custom/:id', write, async (ctx) => {
    const { id } = parseWith(categoryParams, ctx.params, 'path');
    const userId = userOf(ctx);
    const changes = parseBody(ctx, customCategoryChangesSchema);
    const { revision, item } = await service.updateCategory(userId, id, changes, expected(ctx));
    tag(ctx, revision);
    ctx.body = presentCategory(item);
  });

  router.delete('/v1/categories/custom/:id', write, async (ctx) => {
    const { id } = parseWith(categoryParams, ctx.params, 'path');
    const { revision } = await service.removeCategory(userOf(ctx), id, expected(ctx));
    tag(ctx, revision);
    ctx.status = 204;
  });

  router.get('/v1/category-rules', read, async (ctx) => {
    const set = await service.read(userOf(ctx));
    tag(ctx, set.revision);
    ctx.body = { revision: set.revision, items: set.rules.map(presentRule) };
  });

  router.post('/v1/category-rules', write, async (ctx) => {
    const userId = userOf(ctx);
    const draft = parseBody(ctx, ruleDraftSchema);
    const { revision, item } = await service.createRule(userId, draft, expected(ctx));
    ctx.status = 201;
    ctx.set('Location', `/v1/category-rules/${item.ruleId}`);
    tag(ctx, revision);
    ctx.body = presentRule(item);
  });

  router.get('/v1/category-rules/:id', read, async (ctx) => {
    const { id } = parseWith(ruleParams, ctx.params, 'path');
    const { revision, item } = await service.rule(userOf(ctx), id);
    tag(ctx, revision);
    ctx.body = presentRule(item);
  });

  router.patch('/v1/category-rules/:id', write, async (ctx) => {
    const { id } = parseWith(ruleParams, ctx.params, 'path');
    const userId = userOf(ctx);
    const changes = parseBody(ctx, ruleChangesSchema);
    const { revision, item } = await service.updateRule(userId, id, changes, expected(ctx));
    tag(ctx, revision);
    ctx.body = presentRule(item);
  });

  router.delete('/v1/category-rules/:id', write, async (ctx) => {
    const { id } = parseWith(ruleParams, ctx.params, 'path');
    const { revision } = await service.removeRule(userOf(ctx), id, expected(ctx));
    tag(ctx, revision);
    ctx.status = 204;
  });

  return router;
}
