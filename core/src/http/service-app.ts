/**
 * The chassis every service is built on: a Koa app with, in order, the request id and request
 * logger, metrics and the access log, problem+json errors and JSON answers (these four in one
 * middleware), the JSON body parser, health and readiness, `/metrics`, `/openapi.json`, then the
 * service's routers (one route table: see route-table.ts).
 */
import Koa from 'koa';
import type Router from '@koa/router';
import { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { bodyBytesMaxDefault, jsonBody, serializeJsonBody } from './body.js';
import { healthEndpoints, healthPaths, type ReadinessChecks } from './health.js';
import { createHttpMetrics, recordRequest, type HttpMetrics } from './metrics.js';
import { baseOpenApiDocument, type OpenApiDocument } from './openapi.js';
import { renderError, throwIfUnmatched } from './problem.js';
import { bindRequestContext } from './request-context.js';
import { routeTable } from './route-table.js';

export interface ServiceLimits {
  /** Largest JSON body, in bytes (413 above). */
  bodyBytesMax?: number;
  /** Media types accepted unread for routes that read raw bodies (see `readRawBody`). */
  rawMediaTypes?: readonly string[];
  /** Longest a readiness check may take, in ms. */
  readinessTimeoutMs?: number;
}

export interface ServiceAppOptions {
  name: string;
  version: string;
  log: Logger;
  /** The service's routers, mounted in order after the operational endpoints. */
  routers?: Router[];
  /** Named checks run by `/readyz`. */
  readiness?: ReadinessChecks;
  /** Metrics registry; a fresh one per app when omitted, so apps never share a metric. */
  registry?: Registry;
  limits?: ServiceLimits;
  /** The service's OpenAPI document; the base document with its name when omitted. */
  openapi?: OpenApiDocument;
}

export interface ServiceApp {
  readonly name: string;
  readonly version: string;
  readonly koa: Koa;
  readonly log: Logger;
  readonly registry: Registry;
  readonly openapi: OpenApiDocument;
  /** From now on `/readyz` answers 503 (called by the server when shutdown begins). */
  startDraining(): void;
  readonly draining: boolean;
}

export const metricsPath = '/metrics';
export const openapiPath = '/openapi.json';

export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const { name, version, log } = options;
  const registry = options.registry ?? new Registry();
  const metrics = createHttpMetrics(registry, name);
  const openapi = options.openapi ?? baseOpenApiDocument({ title: name, version });
  let draining = false;

  const koa = new Koa();
  // Behind a proxy in Compose and Kubernetes, X-Forwarded-* carry the client's address.
  koa.proxy = true;
  // Errors are rendered and logged by problemMiddleware; Koa's default handler would print them
  // again to stderr as unstructured text.
  koa.silent = true;

  koa.use(
    requestFrame({
      log,
      metrics,
      quietPaths: new Set([healthPaths.liveness, healthPaths.readiness, metricsPath]),
      isDraining: () => draining,
    }),
  );
  koa.use(
    jsonBody({
      bodyBytesMax: options.limits?.bodyBytesMax ?? bodyBytesMaxDefault,
      rawMediaTypes: options.limits?.rawMediaTypes ?? [],
    }),
  );
  const health = healthEndpoints({
    readiness: options.readiness ?? {},
    readinessTimeoutMs: options.limits?.readinessTimeoutMs,
    isDraining: () => draining,
  });
  // Not async: the requests that are none of these (every POST) pass with no promise of their own.
  koa.use((ctx, next) => {
    const method = ctx.method;
    if (method !== 'GET' && method !== 'HEAD') return next();
    const path = ctx.path;
    if (path === metricsPath) {
      ctx.type = registry.contentType;
      return registry.metrics().then((text) => {
        ctx.body = text;
      });
    }
    if (path === openapiPath) {
      ctx.body = openapi;
      return;
    }
    return health(ctx, next);
  });
  koa.use(routeTable(options.routers ?? []));

  return {
    name,
    version,
    koa,
    log,
    registry,
    openapi,
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}

interface RequestFrameOptions {
  log: Logger;
  metrics: HttpMetrics;
  /** Paths whose access lines are debug when they succeed (probes, scrapes). */
  quietPaths: ReadonlySet<string>;
  isDraining: () => boolean;
}

/**
 * What every request needs around the app, in one middleware (one frame and one promise a
 * request, not five): from the outside in, the request id and logger (`requestContext`), the
 * `Connection: close` while draining, the duration histogram and access log (`observeRequests`),
 * errors and unmatched routes as problems (`problemMiddleware`), object bodies serialized
 * (`jsonResponses`). The same helpers make those middlewares, which stay for apps built by hand.
 */
function requestFrame(options: RequestFrameOptions): Koa.Middleware {
  const { log, metrics, quietPaths, isDraining } = options;
  return async (ctx, next) => {
    bindRequestContext(ctx, log);
    const started = process.hrtime.bigint();
    try {
      try {
        await next();
        serializeJsonBody(ctx);
        throwIfUnmatched(ctx);
      } catch (error) {
        renderError(ctx, error, log);
      }
    } finally {
      recordRequest(metrics, quietPaths, ctx, started);
    }
    // While draining, tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
    if (isDraining() && !ctx.headerSent) ctx.set('Connection', 'close');
  };
}
