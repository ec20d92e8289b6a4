/**
 * The ingest-api Koa app: transactions pushed in by banks and apps, one at a time, in batches or
 * as files. `createIngestApp` takes its dependencies (so tests, the bench and the all-in-one entry
 * wire their own) and mounts the feature routers.
 */
import { readFileSync } from 'node:fs';
import { Counter, Registry } from 'prom-client';
import type { TokenVerifier } from '@spendstream/core/auth';
import type { EventLog } from '@spendstream/core/event-log';
import { createServiceApp, type ServiceApp } from '@spendstream/core/http';
import type { Logger } from '@spendstream/core/log';
import { migrateToLatest, sqlReadiness, type Knex } from '@spendstream/core/sql';
import { batchRouter } from './features/batch/routes.js';
import { startConfirmedFold } from './features/dedupe/confirmed-fold.js';
import type { DedupeStore } from './features/dedupe/dedupe-store.js';
import type { IdempotencyStore } from './features/dedupe/idempotency-store.js';
import {
  createSqlDedupeStore,
  createSqlIdempotencyStore,
  ingestMigrations,
} from './features/dedupe/sql-stores.js';
import { createImportService } from './features/import/import-service.js';
import { importMediaTypes, importRouter } from './features/import/routes.js';
import { createIngestService, type IngestService } from './features/transactions/ingest-service.js';
import { createRateLimiter } from './features/transactions/rate-limit.js';
import { transactionsRouter } from './features/transactions/routes.js';
import { cachingVerifier } from './features/transactions/token-cache.js';
import { createRefWalletDirectory } from './features/transactions/ref-wallet-directory.js';
import type { WalletDirectory } from './features/transactions/wallet-directory.js';
import { ingestOpenApiDocument } from './openapi.js';

export const serviceName = 'ingest-api';
export const serviceVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Default largest JSON body, in bytes: a full batch of 1,000 transactions with room to spare. */
export const ingestBodyBytesMaxDefault = 4 * 1024 * 1024;

export interface IngestAppDeps {
  log: Logger;
  /** SQL for the dedupe and idempotency stores (run `migrateIngest` first) and the default wallet directory. */
  sql: Knex;
  eventLog: EventLog;
  /** Verifies wallet-api's access tokens (against its JWKS). */
  verifier: TokenVerifier;
  /**
   * Who may write to which wallet; by default a view of `ref.wallets` on `eventLog`, consumed from
   * the start (`close()` stops it).
   */
  wallets?: WalletDirectory;
  /** Physical topic of wallet snapshots for the default directory; `ref.wallets` by default. */
  walletsTopic?: string;
  /** How long a failed wallet check waits for the view to change (walletViewWaitMs by default). */
  walletWaitMs?: number;
  dedupe?: DedupeStore;
  /** Period of the background fold of confirmed dedupe tokens (confirmedFoldIntervalMs by default). */
  confirmedFoldIntervalMs?: number;
  /** Age a confirmed token reaches before it is folded (confirmedFoldAgeMs by default). */
  confirmedFoldAgeMs?: number;
  idempotency?: IdempotencyStore;
  /** Physical topic for raw transactions; `transactions.raw` by default. */
  topic?: string;
  rateLimit?: { itemsPerSecond: number; burstItems: number };
  publishTimeoutMs?: number;
  /** Sends to the event log in flight at once; 4 on Kafka, 1 on the embedded log by default. */
  sendsInFlightMax?: number;
  bodyBytesMax?: number;
  /** Metrics registry; a fresh one when omitted. */
  registry?: Registry;
}

export interface IngestApp extends ServiceApp {
  readonly ingest: IngestService;
  /** Who may write where (the ref.wallets view unless a directory was passed in). */
  readonly wallets: WalletDirectory;
  /**
   * Resolves once the wallet view is consuming (at once with a directory passed in); rejects
   * when its subscription failed.
   */
  readonly started: Promise<void>;
  /**
   * For shutdown, after the HTTP server has drained: waits for the work already acknowledged
   * (confirms running after their 202s), stops the background fold of confirmed dedupe tokens and
   * the wallet view's consumer. Call it before the event log and the SQL pool close.
   */
  close(): Promise<void>;
}

/** Apply ingest-api's migrations (dedupe and idempotency tables). */
export async function migrateIngest(sql: Knex): Promise<void> {
  await migrateToLatest(sql, ingestMigrations);
}

export function createIngestApp(deps: IngestAppDeps): IngestApp {
  const registry = deps.registry ?? new Registry();
  const items = new Counter({
    name: 'spendstream_ingest_items_total',
    help: 'Transactions received by ingest-api, by outcome (unavailable: refused with 503)',
    labelNames: ['status'],
    registers: [registry],
  });
  const view = deps.wallets ? undefined : createRefWalletDirectory();
  const wallets = deps.wallets ?? view!;
  const started = view ? view.start(deps.eventLog, deps.walletsTopic) : Promise.resolve();
  // Failures surface through `started` (and as 503s while the view stays empty).
  started.catch((error: unknown) =>
    deps.log.error('could not subscribe to the wallet snapshots', { err: error }),
  );
  const idempotency = deps.idempotency ?? createSqlIdempotencyStore(deps.sql);
  const dedupe = deps.dedupe ?? createSqlDedupeStore(deps.sql);
  const fold = startConfirmedFold({
    dedupe,
    idempotency,
    log: deps.log,
    ...(deps.confirmedFoldIntervalMs !== undefined
      ? { intervalMs: deps.confirmedFoldIntervalMs }
      : {}),
    ...(deps.confirmedFoldAgeMs !== undefined ? { ageMs: deps.confirmedFoldAgeMs } : {}),
  });
  const ingest = createIngestService({
    log: deps.eventLog,
    onOutcome: (status, count) => items.inc({ status }, count),
    dedupe,
    wallets,
    ...(deps.topic ? { topic: deps.topic } : {}),
    ...(deps.publishTimeoutMs ? { publishTimeoutMs: deps.publishTimeoutMs } : {}),
    ...(deps.sendsInFlightMax ? { sendsInFlightMax: deps.sendsInFlightMax } : {}),
    ...(deps.walletWaitMs !== undefined ? { walletWaitMs: deps.walletWaitMs } : {}),
  });
  const rateLimiter = createRateLimiter(
    deps.rateLimit ?? { itemsPerSecond: 50_000, burstItems: 100_000 },
  );
  const imports = createImportService({
    ingest,
    wallets,
    log: deps.log,
    ...(deps.walletWaitMs !== undefined ? { walletWaitMs: deps.walletWaitMs } : {}),
  });
  const verifier = cachingVerifier(deps.verifier);
  const routeDeps = { service: ingest, idempotency, rateLimiter, verifier };

  const app = createServiceApp({
    name: serviceName,
    version: serviceVersion,
    log: deps.log,
    registry,
    limits: {
      bodyBytesMax: deps.bodyBytesMax ?? ingestBodyBytesMaxDefault,
      rawMediaTypes: importMediaTypes,
    },
    routers: [
      transactionsRouter(routeDeps),
      batchRouter(routeDeps),
      importRouter({ imports, idempotency, rateLimiter, verifier }),
    ],
    readiness: { sql: sqlReadiness(deps.sql) },
    openapi: ingestOpenApiDocument(serviceVersion),
  });

  return Object.assign(app, {
    ingest,
    wallets,
    started,
    async close() {
      await ingest.settled();
      await fold.stop(); // after the last confirms; before the SQL pool closes
      await started.catch(() => undefined);
      await view?.close();
    },
  });
}
