/**
 * Prometheus metrics: each app owns a registry (so tests and the all-in-one process never collide)
 * with the default process metrics and one HTTP request duration histogram.
 */
import type Koa from 'koa';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { logs } from '../log.js';

/** Histogram buckets in seconds: from a cache hit to a request at the shutdown deadline. */
export const httpDurationBucketsSeconds = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The route label when no route matched: one value, so scans of random paths cannot blow up
 * the label set. */
export const unmatchedRouteLabel = '(unmatched)';

export interface HttpMetrics {
  registry: Registry;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Register the default and HTTP metrics on `registry`, labelled with the service name. */
export function createHttpMetrics(registry: Registry, service: string): HttpMetrics {
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: httpDurationBucketsSeconds,
    registers: [registry],
  });
  return { registry, requestDuration };
}

/** The route template the router matched (`/v1/wallets/:id`), never the raw path. */
export function routeLabel(ctx: Koa.Context): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : unmatchedRouteLabel;
}

/**
 * Time each request and write one access log line (debug for `quietPaths`). Runs outside the problem middleware so it sees
 * the final status of failed requests too.
 */
export function observeRequests(
  metrics: HttpMetrics,
  quietPaths: ReadonlySet<string> = new Set(),
): Koa.Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      recordRequest(metrics, quietPaths, ctx, started);
    }
  };
}

/**
 * Observe a finished request (started at `started`, from `process.hrtime.bigint()`) in the
 * duration histogram and write its access log line (debug for `quietPaths`).
 */
export function recordRequest(
  metrics: HttpMetrics,
  quietPaths: ReadonlySet<string>,
  ctx: Koa.Context,
  started: bigint,
): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const route = routeLabel(ctx);
  const method = ctx.method;
  const status = ctx.status;
  metrics.requestDuration.observe({ method, route, status: String(status) }, seconds);
  // Probes and scrapes arrive every few seconds: their lines are debug, not noise at info.
  const level = status < 400 && quietPaths.has(ctx.path) ? 'debug' : 'info';
  const log = ctx.state.log;
  // The line's fields (the body's length among them) only when the line will be written.
  if (log !== undefined && logs(log, level))
    log[level]('request', {
      method,
      path: ctx.path,
      route,
      status,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      bytes: ctx.response.length,
    });
}

export { Registry };
