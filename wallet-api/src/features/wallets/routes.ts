/** Wallets and their members over HTTP. */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth, requireScopes } from '@spendstream/core/auth';
import type { TokenVerifier } from '@spendstream/core/auth';
import { NotFoundError } from '@spendstream/core/errors';
import { encodeCursor, parseBody, parsePageRequest } from '@spendstream/core/http';
import { idPattern } from '../../ids.js';
import { actorOf } from '../../http/actor.js';
import { idempotentWrite } from '../../http/respond.js';
import type { UnitOfWork } from '../../stores.js';
import { presentMember, presentWallet } from './presenter.js';
import { createWalletBodySchema, memberBodySchema, updateWalletBodySchema } from './schema.js';
import {
  createWallet,
  getWallet,
  listMembers,
  listWallets,
  putMember,
  removeMember,
  updateWallet,
  walletsPageSizeDefault,
  walletsPageSizeMax,
} from './service.js';

const positionSchema = z.object({ id: z.string().regex(idPattern) });

/** A path id that cannot be an id is a 404 before any query. */
export function pathId(value: string | undefined, field: string): string {
  if (value === undefined || !idPattern.test(value))
    throw new NotFoundError(`no such ${field}`, { field });
  return value;
}

export function createWalletRouter(deps: { uow: UnitOfWork; verifier: TokenVerifier }): Router {
  const { uow } = deps;
  const router = new Router();
  router.use(['/v1/wallets', '/v1/wallets/:id'], requireAuth(deps.verifier));
  const read = requireScopes(authScopes.walletsRead);
  const write = requireScopes(authScopes.walletsWrite);

  router.post('/v1/wallets', write, async (ctx) => {
    const body = parseBody(ctx, createWalletBodySchema);
    const actor = await actorOf(ctx, uow);
    await idempotentWrite(ctx, uow, actor, false, async (stores) => ({
      status: 201,
      body: presentWallet(await createWallet(stores, actor, body)),
    }));
  });

  router.get('/v1/wallets', read, async (ctx) => {
    const page = parsePageRequest(
      ctx.query,
      { pageSizeDefault: walletsPageSizeDefault, pageSizeMax: walletsPageSizeMax },
      positionSchema,
    );
    const actor = await actorOf(ctx, uow);
    const result = await listWallets(uow.read, actor, page.after?.id, page.limit);
    ctx.body = {
      items: result.items.map(presentWallet),
      nextCursor: result.nextCursor === null ? null : encodeCursor({ id: result.nextCursor }),
    };
  });

  router.get('/v1/wallets/:id', read, async (ctx) => {
    const actor = await actorOf(ctx, uow);
    ctx.body = presentWallet(await getWallet(uow.read, actor, pathId(ctx.params.id, 'walletId')));
  });

  router.patch('/v1/wallets/:id', write, async (ctx) => {
    const body = parseBody(ctx, updateWalletBodySchema);
    const actor = await actorOf(ctx, uow);
    const walletId = pathId(ctx.params.id, 'walletId');
    ctx.body = presentWallet(
      await uow.transaction((stores) => updateWallet(stores, actor, walletId, body)),
    );
  });

  router.get('/v1/wallets/:id/members', read, async (ctx) => {
    const actor = await actorOf(ctx, uow);
    ctx.body = {
      items: (await listMembers(uow.read, actor, pathId(ctx.params.id, 'walletId'))).map(
        presentMember,
      ),
    };
  });

  router.put('/v1/wallets/:id/members', write, async (ctx) => {
    const body = parseBody(ctx, memberBodySchema);
    const actor = await actorOf(ctx, uow);
    const walletId = pathId(ctx.params.id, 'walletId');
    ctx.body = presentMember(
      await uow.transaction((stores) => putMember(stores, actor, walletId, body)),
    );
  });

  router.delete('/v1/wallets/:id/members/:userId', write, async (ctx) => {
    const actor = await actorOf(ctx, uow);
    const walletId = pathId(ctx.params.id, 'walletId');
    const userId = pathId(ctx.params.userId, 'userId');
    await uow.transaction((stores) => removeMember(stores, actor, walletId, userId));
    ctx.status = 204;
  });

  return router;
}
