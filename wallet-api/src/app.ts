/**
 * The wallet-api Koa app: users, JWT issuing, wallets and the ledger. `createWalletApp` takes its
 * dependencies (so tests and the all-in-one entry wire their own) and mounts the feature routers.
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

export const serviceName = 'wallet-api';
export const serviceVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export interface WalletAppDeps {
  log: Logger;
  sql: Knex;
  /** Metrics registry; a fresh one when omitted. */
  registry?: Registry;
}

export function createWalletApp(deps: WalletAppDeps): ServiceApp {
  return createServiceApp({
    name: serviceName,
    version: serviceVersion,
    log: deps.log,
    registry: deps.registry,
    // Feature routers (src/features/*/routes.ts) are mounted here, in order.
    routers: [],
    readiness: { sql: sqlReadiness(deps.sql) },
    openapi: baseOpenApiDocument({
      title: 'Spendstream wallet API',
      version: serviceVersion,
      description: 'Users, tokens, wallets and the double-entry ledger.',
    }),
  });
}
