/**
 * Accounts, tokens, JWKS and machine clients. Thin handlers: validate, call the auth service,
 * render. Login and client credentials are rate-limited inside the service.
 */
import Router from '@koa/router';
import { authOf, requireAuth } from '@spendstream/core/auth';
import type { TokenVerifier } from '@spendstream/core/auth';
import { ForbiddenError } from '@spendstream/core/errors';
import { parseBody } from '@spendstream/core/http';
import { presentUser } from '../users/presenter.js';
import type { AuthService } from './service.js';
import type { KeyRing } from './keys.js';

/** The auth service and key ring, once the app has migrated and loaded its keys. */
export type AuthRuntime = () => Promise<{ auth: AuthService; keys: KeyRing }>;
import {
  changePasswordBodySchema,
  clientTokenBodySchema,
  deleteAccountBodySchema,
  grantBodySchema,
  loginBodySchema,
  refreshBodySchema,
  registerBodySchema,
  registerClientBodySchema,
  updateSettingsBodySchema,
} from './schema.js';

/** Where the public keys are served. */
export const jwksPath = '/.well-known/jwks.json';

export function createAuthRouter(deps: { runtime: AuthRuntime; verifier: TokenVerifier }): Router {
  const router = new Router();
  const auth = async () => (await deps.runtime()).auth;
  const authed = requireAuth(deps.verifier);
  const userOnly = (ctx: { state: unknown }) => {
    const auth = authOf(ctx);
    if (auth.kind !== 'user')
      throw new ForbiddenError('this route is for people, not machine clients');
    return auth.subject;
  };

  router.get(jwksPath, async (ctx) => {
    // Short cache: a rotated key must reach verifiers well within a token's lifetime.
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = (await deps.runtime()).keys.jwks();
  });

  router.post('/v1/auth/register', async (ctx) => {
    const body = parseBody(ctx, registerBodySchema);
    ctx.status = 201;
    ctx.body = presentUser(await (await auth()).register(body));
  });

  router.post('/v1/auth/login', async (ctx) => {
    const body = parseBody(ctx, loginBodySchema);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await (await auth()).login(body.email, body.password, ctx.ip);
  });

  router.post('/v1/auth/refresh', async (ctx) => {
    const body = parseBody(ctx, refreshBodySchema);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await (await auth()).refresh(body.refreshToken);
  });

  router.post('/v1/auth/logout', authed, async (ctx) => {
    const body = parseBody(ctx, refreshBodySchema);
    await (await auth()).logout(userOnly(ctx), body.refreshToken);
    ctx.status = 204;
  });

  router.post('/v1/auth/password', authed, async (ctx) => {
    const body = parseBody(ctx, changePasswordBodySchema);
    await (await auth()).changePassword(userOnly(ctx), body.currentPassword, body.newPassword);
    ctx.status = 204;
  });

  router.get('/v1/me', authed, async (ctx) => {
    ctx.body = presentUser(await (await auth()).me(userOnly(ctx)));
  });

  router.patch('/v1/me', authed, async (ctx) => {
    const body = parseBody(ctx, updateSettingsBodySchema);
    ctx.body = presentUser(await (await auth()).updateSettings(userOnly(ctx), body));
  });

  router.delete('/v1/me', authed, async (ctx) => {
    const body = parseBody(ctx, deleteAccountBodySchema);
    await (await auth()).deleteAccount(userOnly(ctx), body.password);
    ctx.status = 204;
  });

  router.post('/v1/oauth/token', async (ctx) => {
    const body = parseBody(ctx, clientTokenBodySchema);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await (await auth()).clientToken(body, ctx.ip);
  });

  router.post('/v1/clients', authed, async (ctx) => {
    const body = parseBody(ctx, registerClientBodySchema);
    ctx.status = 201;
    ctx.body = await (await auth()).registerClient(userOnly(ctx), body);
  });

  router.put('/v1/me/grants/:clientId', authed, async (ctx) => {
    const body = parseBody(ctx, grantBodySchema);
    ctx.body = await (
      await auth()
    ).grant(userOnly(ctx), String(ctx.params.clientId).slice(0, 64), body.scopes);
  });

  router.delete('/v1/me/grants/:clientId', authed, async (ctx) => {
    await (await auth()).revokeGrant(userOnly(ctx), String(ctx.params.clientId).slice(0, 64));
    ctx.status = 204;
  });

  return router;
}
