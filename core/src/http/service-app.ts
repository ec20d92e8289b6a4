/**
 * The chassis every service is built on: a Koa app with, in order, the request id and request
 * logger, metrics and the access log, problem+json errors, the JSON body parser, health and
 * readiness, `/metrics`, `/openapi.json`, then the service's routers.
 */
import Koa from 'koa';
import type Router from '@koa/router';
import { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { bodyBytesMaxDefault, jsonBody, jsonResponses } from './body.js';
import { healthEndpoints, healthPaths, type ReadinessChecks } from './health.js';
import { createHttpMetrics, observeRequests } from './metrics.js';
import { baseOpenApiDocument, type OpenApiDocument } from './openapi.js';
import { problemMiddleware } from './problem.js';
import { requestContext } from './request-context.js';

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

  koa.use(requestContext(log));
  koa.use(async (ctx, next) => {
    await next();
    // While draining, tell keep-alive clients to reconnect elsewhere instead of reusing this socket.
    if (draining && !ctx.headerSent) ctx.set('Connection', 'close');
  });
  koa.use(
    observeRequests(metrics, new Set([healthPaths.liveness, healthPaths.readiness, metricsPath])),
  );
  koa.use(problemMiddleware(log));
  koa.use(jsonResponses());
  koa.use(
    jsonBody({
      bodyBytesMax: options.limits?.bodyBytesMax ?? bodyBytesMaxDefault,
      rawMediaTypes: options.limits?.rawMediaTypes ?? [],
    }),
  );
  koa.use(
    healthEndpoints({
      readiness: options.readiness ?? {},
      readinessTimeoutMs: options.limits?.readinessTimeoutMs,
      isDraining: () => draining,
    }),
  );
  koa.use(async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === metricsPath) {
      ctx.type = registry.contentType;
      ctx.body = await registry.metrics();
      return;
    }
    if (ctx.path === openapiPath) {
      ctx.body = openapi;
      return;
    }
    return next();
  });
  for (const router of options.routers ?? []) {
    koa.use(router.routes());
    koa.use(router.allowedMethods());
  }

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
