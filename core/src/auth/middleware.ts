/**
 * Koa middleware that authenticates a request with a Bearer access token and checks scopes. It only
 * throws UnauthorizedError / ForbiddenError; the problem+json middleware (core/src/http) renders them.
 */
import type { Context, Middleware, Next } from 'koa';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { hasScopes, type AuthContext } from './claims.js';
import type { TokenVerifier } from './verifier.js';

/** The Koa state after requireAuth: `ctx.state.auth`. Use as `Router<AuthState>` for typed handlers. */
export interface AuthState {
  auth: AuthContext;
}

export interface RequireAuthOptions {
  /** Every one of these scopes must be granted, or the request fails with 403. */
  scopes?: readonly string[];
}

/** Longest Authorization header read, in characters. */
export const authorizationHeaderLengthMax = 8200;

/** Authorization headers remembered with their token, so a client's repeated header is not parsed again. */
export const bearerHeadersRememberedMax = 8;

const bearerPattern = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;
/** The last headers that parsed, with their tokens: a ring, `bearerHeadersRememberedMax` long. */
const rememberedHeaders: string[] = [];
const rememberedTokens: string[] = [];
let rememberedNext = 0;

/**
 * The Bearer token of a request, or undefined when there is none. A machine client's header runs to
 * kilobytes (its token lists its users) and the same one comes on every request: matching the
 * pattern over it cost about 10 us, comparing it with a remembered header well under one. Only
 * headers that matched are remembered, and a remembered header is the same text, so the answer is
 * the pattern's.
 */
export function bearerToken(ctx: Pick<Context, 'get'>): string | undefined {
  const header = ctx.get('authorization');
  if (header === '') return undefined;
  if (header.length > authorizationHeaderLengthMax)
    throw new UnauthorizedError('authorization header too long');
  for (let i = 0; i < rememberedHeaders.length; i++) {
    if (rememberedHeaders[i] === header) return rememberedTokens[i];
  }
  const match = bearerPattern.exec(header);
  if (match === null) throw new UnauthorizedError('authorization header must be "Bearer <token>"');
  const token = match[1]!;
  rememberedHeaders[rememberedNext] = header;
  rememberedTokens[rememberedNext] = token;
  rememberedNext = (rememberedNext + 1) % bearerHeadersRememberedMax;
  return token;
}

/**
 * Authenticate with `verifier`, set `ctx.state.auth`, and require `options.scopes`. Sets a
 * `WWW-Authenticate` header (RFC 6750) before a 401 or 403.
 */
export function requireAuth<StateT = unknown>(
  verifier: TokenVerifier,
  options: RequireAuthOptions = {},
): Middleware<StateT & AuthState> {
  const required = options.scopes ?? [];
  return async (ctx, next: Next) => {
    const token = bearerToken(ctx);
    if (token === undefined) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedError('a Bearer access token is required');
    }
    let auth: AuthContext;
    try {
      auth = await verifier.verify(token);
    } catch (error) {
      ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw error;
    }
    if (!hasScopes(auth, required)) {
      const missing = required.filter((scope) => !auth.scopes.includes(scope));
      ctx.set(
        'WWW-Authenticate',
        `Bearer error="insufficient_scope", scope="${required.join(' ')}"`,
      );
      throw new ForbiddenError(`missing scope ${missing.join(' ')}`);
    }
    ctx.state.auth = auth;
    await next();
  };
}

/** Koa middleware that requires scopes of an already authenticated request (per-route checks). */
export function requireScopes<StateT extends AuthState>(...scopes: string[]): Middleware<StateT> {
  return async (ctx, next: Next) => {
    const auth = authOf(ctx);
    if (!hasScopes(auth, scopes)) {
      ctx.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"`);
      throw new ForbiddenError(
        `missing scope ${scopes.filter((scope) => !auth.scopes.includes(scope)).join(' ')}`,
      );
    }
    await next();
  };
}

/** The request's identity; throws UnauthorizedError when requireAuth did not run (a wiring bug shows as 401, not as access). */
export function authOf(ctx: { state: unknown }): AuthContext {
  const auth = (ctx.state as Partial<AuthState> | undefined)?.auth;
  if (auth === undefined) throw new UnauthorizedError('authentication required');
  return auth;
}
