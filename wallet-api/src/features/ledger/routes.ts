/**
 * Money movements over HTTP. Every POST needs an Idempotency-Key: the same key with the same body
 * returns the first response, with another body a 409.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth, requireScopes } from '@spendstream/core/auth';
import type { TokenVerifier } from '@spendstream/core/auth';
import { encodeCursor, parseBody, parsePageRequest, parseWith } from '@spendstream/core/http';
import { idPattern } from '../../ids.js';
import { actorOf } from '../../http/actor.js';
import { idempotencyOf, idempotentWrite, renderStored } from '../../http/respond.js';
import type { UnitOfWork } from '../../stores.js';
import type { MovementBatcher } from '../../batcher.js';
import { invariant } from '@spendstream/core/errors';
import { finishIdempotent } from '../idempotency/service.js';
import { pathId } from '../wallets/routes.js';
import { presentMovement } from './presenter.js';
import { movementBodySchema, reversalBodySchema, transferBodySchema } from './schema.js';
import {
  getMovement,
  listWalletMovements,
  movementsPageSizeDefault,
  movementsPageSizeMax,
  recordMovement,
  recordTransfer,
  reverseMovement,
} from './service.js';

const positionSchema = z.object({ id: z.string().regex(idPattern) });

export function createLedgerRouter(deps: {
  uow: UnitOfWork;
  verifier: TokenVerifier;
  batcher?: MovementBatcher;
}): Router {
  const { uow } = deps;
  const router = new Router();
  const authed = requireAuth(deps.verifier);
  const write = requireScopes(authScopes.transactionsWrite);
  const read = requireScopes(authScopes.transactionsRead);

  router.post('/v1/movements', authed, write, async (ctx) => {
    const body = parseBody(ctx, movementBodySchema);
    const actor = await actorOf(ctx, uow);
    const { principal, key, hash } = idempotencyOf(ctx, actor, true);
    invariant(key !== undefined, 'the key is required on this route');
    if (deps.batcher === undefined) {
      await idempotentWrite(ctx, uow, actor, true, async (stores) => ({
        status: 201,
        body: presentMovement(await recordMovement(stores, actor, body)),
      }));
      return;
    }
    const outcome = await deps.batcher.submit({ actor, body, principal, key, hash });
    if (outcome.kind === 'error') throw outcome.error;
    renderStored(ctx, await finishIdempotent(uow, { principal, key, hash }, outcome));
  });

  router.post('/v1/transfers', authed, write, async (ctx) => {
    const body = parseBody(ctx, transferBodySchema);
    const actor = await actorOf(ctx, uow);
    await idempotentWrite(ctx, uow, actor, true, async (stores) => ({
      status: 201,
      body: presentMovement(await recordTransfer(stores, actor, body)),
    }));
  });

  router.get('/v1/movements/:id', authed, read, async (ctx) => {
    const actor = await actorOf(ctx, uow);
    ctx.body = presentMovement(
      await getMovement(uow.read, actor, pathId(ctx.params.id, 'movementId')),
    );
  });

  router.post('/v1/movements/:id/reversal', authed, write, async (ctx) => {
    // The body is optional here: no body is an empty reversal request.
    const body = parseWith(reversalBodySchema, ctx.request.body ?? {}, 'body');
    const actor = await actorOf(ctx, uow);
    const movementId = pathId(ctx.params.id, 'movementId');
    await idempotentWrite(ctx, uow, actor, true, async (stores) => ({
      status: 201,
      body: presentMovement(await reverseMovement(stores, actor, movementId, body.note)),
    }));
  });

  router.get('/v1/wallets/:id/movements', authed, read, async (ctx) => {
    const page = parsePageRequest(
      ctx.query,
      { pageSizeDefault: movementsPageSizeDefault, pageSizeMax: movementsPageSizeMax },
      positionSchema,
    );
    const actor = await actorOf(ctx, uow);
    const result = await listWalletMovements(
      uow.read,
      actor,
      pathId(ctx.params.id, 'walletId'),
      page.after?.id,
      page.limit,
    );
    ctx.body = {
      items: result.items.map(presentMovement),
      nextCursor: result.nextCursor === null ? null : encodeCursor({ id: result.nextCursor }),
    };
  });

  return router;
}
