/**
 * The ingest-api Koa app: transactions pushed in by banks and apps, one at a time, in batches or
 * as files. `createIngestApp` takes its dependencies (so tests and the all-in-one entry wire their
 * own) and mounts the feature routers.
 */
import { readFileSync } from 'node:fs';
import {
  baseOpenApiDocument,
  createServiceApp,
  type Registry,
  type ServiceApp,
} from '@spendstream/core/http';
import type { Logger } from '@spendstream/core/log';
import { sqlReadiness, type Knex } from '@spendstream/core/sql';

export const serviceName = 'ingest-api';
export const serviceVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export interface IngestAppDeps {
  log: Logger;
  sql: Knex;
  /** Metrics registry; a fresh one when omitted. */
  registry?: Registry;
}

export function createIngestApp(deps: IngestAppDeps): ServiceApp {
  return createServiceApp({
    name: serviceName,
    version: serviceVersion,
    log: deps.log,
    registry: deps.registry,
    // Feature routers (src/features/*/routes.ts) are mounted here, in order.
    routers: [],
    readiness: { sql: sqlReadiness(deps.sql) },
    openapi: baseOpenApiDocument({
      title: 'Spendstream ingest API',
      version: serviceVersion,
      description: 'Transaction ingestion from banks and apps: single, batch and file import.',
    }),
  });
}
