/**
 * Per-request context: a request id (the client's when it is sane, else a new one, echoed back in
 * X-Request-Id) and a child logger carrying it, on `ctx.state`.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from '../log.js';

declare module 'koa' {
  interface DefaultState {
    /** This request's id, also in the X-Request-Id response header and every log line. */
    requestId: string;
    /** The app logger bound to this request's id. */
    log: Logger;
  }
  interface Request {
    /** The parsed JSON body (see `jsonBody`); validate it before use. */
    body?: unknown;
  }
}

export const requestIdHeader = 'X-Request-Id';

/**
 * An incoming id is accepted when it is short and plain: it lands in logs and headers, so nothing
 * that could forge a log line or a header.
 */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Give the request its id (on `ctx.state` and in the answer's header) and its logger. */
export function bindRequestContext(ctx: Koa.Context, log: Logger): void {
  // The header straight from Node's parsed headers: Koa's `ctx.get` lower-cases the name each time.
  const incoming = ctx.req.headers['x-request-id'];
  const requestId =
    typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
  ctx.state.requestId = requestId;
  ctx.state.log = log.child({ requestId });
  ctx.set(requestIdHeader, requestId);
}

/** Assign the request id and the request logger; must run before everything that logs. */
export function requestContext(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    bindRequestContext(ctx, log);
    await next();
  };
}
