/**
 * The stream-jobs Koa app: no business API, only health, readiness and metrics of the jobs.
 * `createStreamJobsApp` takes its dependencies (so tests and the all-in-one entry wire their own).
 */
import { readFileSync } from 'node:fs';
import {
  baseOpenApiDocument,
  createServiceApp,
  type ReadinessChecks,
  type Registry,
  type ServiceApp,
} from '@spendstream/core/http';
import type { Logger } from '@spendstream/core/log';
import { sqlReadiness, type Knex } from '@spendstream/core/sql';

export const serviceName = 'stream-jobs';
export const serviceVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export interface StreamJobsAppDeps {
  log: Logger;
  sql: Knex;
  /** Metrics registry; a fresh one when omitted. */
  registry?: Registry;
  /** More readiness checks: the documents store and the search index the jobs write to. */
  readiness?: ReadinessChecks;
}

export function createStreamJobsApp(deps: StreamJobsAppDeps): ServiceApp {
  return createServiceApp({
    name: serviceName,
    version: serviceVersion,
    log: deps.log,
    registry: deps.registry,
    // No business routes: the jobs publish to topics and stores, not over HTTP.
    routers: [],
    readiness: { sql: sqlReadiness(deps.sql), ...deps.readiness },
    openapi: baseOpenApiDocument({
      title: 'Spendstream stream jobs',
      version: serviceVersion,
      description:
        'Operational endpoints of the stream jobs (enrich, categorize, aggregate, alert): health, readiness, metrics.',
    }),
  });
}
