/**
 * Liveness and readiness. `/healthz` says the process serves HTTP; `/readyz` runs every readiness
 * check (a SQL ping, a broker connection) under a timeout and answers 503 naming the ones that
 * failed, and also while the server drains for shutdown, so load balancers stop sending work.
 */
import type Koa from 'koa';
import { UnavailableError } from '../errors.js';
import { problemFromDomainError, renderProblem } from './problem.js';

/** A readiness check resolves when the dependency answers; a rejection says what is wrong. */
export type ReadinessCheck = () => Promise<unknown>;
export type ReadinessChecks = Record<string, ReadinessCheck>;

/** Longest a single readiness check may take before it counts as failed. */
export const readinessTimeoutMsDefault = 2_000;

export interface CheckOutcome {
  ok: boolean;
  error?: string;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Run every check in parallel; returns each outcome by name. */
export async function runReadinessChecks(
  checks: ReadinessChecks,
  timeoutMs = readinessTimeoutMsDefault,
): Promise<Record<string, CheckOutcome>> {
  const names = Object.keys(checks);
  const outcomes = await Promise.all(names.map((name) => runCheck(checks[name]!, timeoutMs)));
  return Object.fromEntries(names.map((name, i) => [name, outcomes[i]!]));
}

export interface HealthOptions {
  readiness: ReadinessChecks;
  readinessTimeoutMs?: number;
  /** True once shutdown has begun. */
  isDraining: () => boolean;
}

export const healthPaths = { liveness: '/healthz', readiness: '/readyz' } as const;

/** Serve `/healthz` and `/readyz` (GET and HEAD) ahead of the routers. */
export function healthEndpoints(options: HealthOptions): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === healthPaths.liveness) {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== healthPaths.readiness) return next();
    ctx.set('Cache-Control', 'no-store');
    if (options.isDraining()) {
      const error = new UnavailableError('shutting down');
      renderProblem(ctx, { ...problemFromDomainError(error, ctx.state.requestId), checks: {} }, 1);
      return;
    }
    const checks = await runReadinessChecks(options.readiness, options.readinessTimeoutMs);
    const failed = Object.keys(checks).filter((name) => !checks[name]!.ok);
    if (failed.length === 0) {
      ctx.body = { status: 'ready', checks };
      return;
    }
    const error = new UnavailableError(`not ready: ${failed.join(', ')}`);
    renderProblem(ctx, { ...problemFromDomainError(error, ctx.state.requestId), checks }, 1);
  };
}
