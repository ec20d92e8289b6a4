/**
 * Errors as `application/problem+json` (RFC 9457). One middleware at the top of every app maps a
 * DomainError to its status and stable code; anything else is a bug and becomes a 500 that shows
 * only the request id, while the log keeps the whole error.
 */
import type Koa from 'koa';
import {
  DomainError,
  MethodNotAllowedError,
  NotFoundError,
  errorStatus,
  type ErrorCode,
  type FieldProblem,
} from '../errors.js';
import type { Logger } from '../log.js';

export const problemContentType = 'application/problem+json';

/**
 * Problem `type` URIs: a URN per stable code. Not a web address, so no one expects to dereference
 * it; clients switch on `code` (or `type`), both stable.
 */
export const problemTypePrefix = 'urn:spendstream:problem:';

/** A short, fixed summary per code (`title` must not change from one occurrence to the next). */
export const problemTitles: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  malformed_json: 'Malformed JSON',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'Payload too large',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  idempotency_conflict: 'Idempotency key reused',
  precondition_failed: 'Precondition failed',
  insufficient_funds: 'Insufficient funds',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  internal: 'Internal server error',
};

/** The body of every error response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  field?: string;
  errors: FieldProblem[];
  requestId: string;
  [extension: string]: unknown;
}

/** The problem for a DomainError (the message is meant for clients, so it is shown). */
export function problemFromDomainError(error: DomainError, requestId: string): Problem {
  const problem: Problem = {
    type: `${problemTypePrefix}${error.code}`,
    title: problemTitles[error.code],
    status: error.status,
    detail: error.message,
    code: error.code,
    errors: error.fields,
    requestId,
  };
  if (error.field !== undefined) problem.field = error.field;
  return problem;
}

/** The problem for an unknown error: nothing of the error leaks, only the id to find it in logs. */
export function internalProblem(requestId: string): Problem {
  return {
    type: `${problemTypePrefix}internal`,
    title: problemTitles.internal,
    status: errorStatus.internal,
    detail: `an unexpected error occurred; quote request id ${requestId} when reporting it`,
    code: 'internal',
    errors: [],
    requestId,
  };
}

/**
 * Koa and its router throw http-errors (`ctx.throw(404)`, a client aborting a body): those with
 * `expose` set and a status we have a code for become that DomainError.
 */
function fromHttpError(error: unknown): DomainError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, expose, message } = error as {
    status?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  if (typeof status !== 'number' || expose !== true) return undefined;
  const code = (Object.keys(errorStatus) as ErrorCode[]).find((c) => errorStatus[c] === status);
  if (code === undefined) return undefined;
  return new DomainError(code, typeof message === 'string' ? message : problemTitles[code]);
}

/** Write a problem as the response, with Retry-After for 429 and 503 when the error says when. */
export function renderProblem(ctx: Koa.Context, problem: Problem, retryAfterSeconds?: number) {
  ctx.status = problem.status;
  ctx.type = problemContentType;
  ctx.body = problem;
  if ((problem.status === 429 || problem.status === 503) && retryAfterSeconds !== undefined) {
    ctx.set('Retry-After', String(Math.max(0, Math.ceil(retryAfterSeconds))));
  }
}

/**
 * The top-of-stack error middleware. It also turns an unmatched route (Koa's bare 404, the router's
 * bare 405) into a problem, so every error a client sees has the same shape.
 */
export function problemMiddleware(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      throwIfUnmatched(ctx);
    } catch (error) {
      renderError(ctx, error, log);
    }
  };
}

/** An unmatched route (Koa's bare 404, the router's bare 405) as the DomainError it is. */
export function throwIfUnmatched(ctx: Koa.Context): void {
  if (ctx.body == null && (ctx.status === 404 || ctx.status === 405)) {
    throw ctx.status === 404
      ? new NotFoundError(`no route for ${ctx.method} ${ctx.path}`)
      : new MethodNotAllowedError(`${ctx.method} is not allowed on ${ctx.path}`);
  }
}

/**
 * Render a thrown error as the answer: a DomainError (or an exposed http-error) as its problem,
 * anything else as a 500 that shows only the request id; logged when it is a 5xx.
 */
export function renderError(ctx: Koa.Context, error: unknown, log: Logger): void {
  const requestId = String(ctx.state.requestId ?? '');
  const domain = error instanceof DomainError ? error : fromHttpError(error);
  // Headers set before the error (say, a cache header) belong to a response that never
  // happened; Allow from the router is the one worth keeping.
  const allow = ctx.response.get('Allow');
  ctx.response.remove('Content-Length');
  if (domain) {
    renderProblem(ctx, problemFromDomainError(domain, requestId), domain.retryAfterSeconds);
    if (domain.code === 'method_not_allowed' && allow) ctx.set('Allow', allow);
    if (domain.status >= 500) {
      (ctx.state.log ?? log).warn('request failed', { code: domain.code, err: error });
    }
  } else {
    (ctx.state.log ?? log).error('unhandled error', { err: error });
    renderProblem(ctx, internalProblem(requestId));
  }
}
