/**
 * GET /v1/transactions (search with filters, sort, cursor pages, facets), GET /v1/transactions/:id,
 * POST /v1/transactions/:id/recategorize and PATCH /v1/transactions/:id (tags and note), both
 * published on `transactions.corrections` for stream-jobs, which republishes the transaction.
 */
import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseBody, parseParams, parseQuery } from '@spendstream/core/http';
import { ForbiddenError, NotFoundError } from '@spendstream/core/errors';
import {
  categoryIdLengthMax,
  eventTypes,
  idSchema,
  tagSchema,
  tagsPerTransactionMax,
  textLengthMax,
  topics,
} from '@spendstream/core/events';
import type { FeatureDeps } from '../../http/deps.js';
import type { TransactionDoc } from '../../query/analytics-store.js';
import { targetUserId } from '../../http/request-scope.js';
import { assertKnownCategories, userIdQuery } from '../../http/query-schemas.js';
import { categoriesOfUser } from '../categories/custom-categories.js';
import { presentTransaction } from '../../http/present.js';
import {
  decodeSearchCursor,
  encodeSearchCursor,
  searchQueryOf,
  searchQuerySchema,
} from './search-params.js';

const transactionParams = z.object({ id: idSchema });
export const recategorizeBody = z
  .object({
    category: z.string().min(1).max(categoryIdLengthMax),
    /** `merchant`: also every future transaction of this merchant. */
    scope: z.enum(['transaction', 'merchant']).default('transaction'),
  })
  .strict();

/**
 * The user's tags and note for one transaction: each field given replaces the stored value whole
 * (`tags: []` clears the tags, `note: null` clears the note); a field left out is kept.
 */
export const annotateBody = z
  .object({
    tags: z.array(tagSchema).max(tagsPerTransactionMax).optional(),
    note: z.string().max(textLengthMax).nullable().optional(),
  })
  .strict()
  .refine((body) => body.tags !== undefined || body.note !== undefined, {
    message: 'give tags, note or both',
    path: ['tags'],
  });

export function createSearchRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const read = requireAuth(deps.verifier, { scopes: [authScopes.transactionsRead] });
  const write = requireAuth(deps.verifier, { scopes: [authScopes.transactionsWrite] });

  router.get('/v1/transactions', read, async (ctx) => {
    const input = parseQuery(ctx, searchQuerySchema);
    const base = await searchQueryOf(ctx, deps, input);
    const page = await deps.store.search({
      ...base,
      limit: input.limit,
      cursor: decodeSearchCursor(input.cursor, input.sort),
      withFacets: input.facets,
    });
    ctx.body = {
      items: page.items.map(presentTransaction),
      total: page.total,
      nextCursor: page.next ? encodeSearchCursor(input.sort, page.next) : null,
      ...(input.facets ? { facets: page.facets } : {}),
    };
  });

  router.get('/v1/transactions/:id', read, async (ctx) => {
    const { id } = parseParams(ctx, transactionParams);
    const userId = targetUserId(ctx, parseQuery(ctx, userIdQuery).userId);
    const doc = await deps.store.findTransaction(userId, id);
    // Another user's id answers exactly like an id that does not exist.
    if (!doc) throw new NotFoundError(`no transaction ${id}`, { field: 'id' });
    ctx.body = presentTransaction(doc);
  });

  router.post('/v1/transactions/:id/recategorize', write, async (ctx) => {
    const { id } = parseParams(ctx, transactionParams);
    const userId = targetUserId(ctx, parseQuery(ctx, userIdQuery).userId);
    const body = parseBody(ctx, recategorizeBody);
    assertKnownCategories(await categoriesOfUser(deps, userId), [body.category]);
    const doc = await writableTransaction(deps, userId, id);
    if (body.scope === 'merchant' && doc.userId !== userId) {
      // A merchant rule would recategorize the owner's transactions in every wallet.
      throw new ForbiddenError('only the wallet owner may recategorize a whole merchant', {
        field: 'scope',
      });
    }
    const now = deps.clock().toISOString();
    const correctionId = `cor_${randomUUID().replaceAll('-', '')}`;
    const applyToMerchant =
      body.scope === 'merchant' && (doc.merchant !== null || doc.merchantKey !== null);
    // Keyed by the transaction's owner: stream-jobs corrects it in the owner's state.
    await deps.publisher.publish(topics.transactionsCorrections, {
      ...correctionEnvelope(correctionId, doc.userId, now),
      type: eventTypes.transactionRecategorized,
      payload: {
        correctionId,
        transactionId: id,
        userId: doc.userId,
        category: body.category,
        previousCategory: doc.subcategory ?? doc.category,
        applyToMerchant,
        // stream-jobs' key of the merchant, never the display name; a document projected before
        // analytics kept keys sends none, and stream-jobs takes its stored transaction's key.
        ...(applyToMerchant && doc.merchantKey !== null ? { merchantKey: doc.merchantKey } : {}),
        correctedAt: now,
      },
    });
    ctx.status = 202;
    ctx.body = { correctionId, transactionId: id, category: body.category, applyToMerchant };
  });

  router.patch('/v1/transactions/:id', write, async (ctx) => {
    const { id } = parseParams(ctx, transactionParams);
    const userId = targetUserId(ctx, parseQuery(ctx, userIdQuery).userId);
    const body = parseBody(ctx, annotateBody);
    const doc = await writableTransaction(deps, userId, id);
    const now = deps.clock().toISOString();
    const correctionId = `ann_${randomUUID().replaceAll('-', '')}`;
    const tags = body.tags === undefined ? undefined : [...new Set(body.tags)];
    await deps.publisher.publish(topics.transactionsCorrections, {
      ...correctionEnvelope(correctionId, doc.userId, now),
      type: eventTypes.transactionAnnotated,
      payload: {
        correctionId,
        transactionId: id,
        userId: doc.userId,
        ...(tags === undefined ? {} : { tags }),
        ...(body.note === undefined ? {} : { note: body.note }),
        annotatedAt: now,
      },
    });
    ctx.status = 202;
    ctx.body = {
      correctionId,
      transactionId: id,
      ...(tags === undefined ? {} : { tags }),
      ...(body.note === undefined ? {} : { note: body.note }),
    };
  });

  return router;
}

/**
 * The transaction `userId` may change: their own, or one in another user's wallet shared with them
 * as `editor` (a `viewer` gets 403). An id they cannot read answers 404, like one that does not
 * exist.
 */
async function writableTransaction(
  deps: FeatureDeps,
  userId: string,
  id: string,
): Promise<TransactionDoc> {
  const doc = await deps.store.findTransaction(userId, id);
  if (!doc) throw new NotFoundError(`no transaction ${id}`, { field: 'id' });
  if (doc.userId === userId) return doc;
  const access = (await deps.walletAccess.sharedWith(userId)).find(
    (wallet) => wallet.ownerId === doc.userId && wallet.walletId === doc.walletId,
  );
  if (access?.role !== 'editor') {
    throw new ForbiddenError('a viewer of a shared wallet may not change its transactions', {
      field: 'id',
    });
  }
  return doc;
}

/** The envelope fields every correction this service publishes shares (keyed by the user). */
function correctionEnvelope(id: string, userId: string, now: string) {
  return {
    id,
    version: 1 as const,
    key: userId,
    occurredAt: now,
    producedAt: now,
    source: 'analytics-api',
  };
}
