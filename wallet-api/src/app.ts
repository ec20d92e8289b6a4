/**
 * The wallet-api Koa app: users, JWT issuing, wallets and the ledger. `createWalletApp` takes its
 * dependencies (so tests and the all-in-one entry wire their own) and mounts the feature routers.
 *
 * It returns at once (the all-in-one entry builds every app synchronously); the schema migration and
 * the signing keys load in the background behind `ready`. Until then `/readyz` answers 503 and API
 * routes wait for it (or answer 503 if it failed).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { Counter, type Registry } from 'prom-client';
import type { TokenVerifier } from '@spendstream/core/auth';
import { UnavailableError } from '@spendstream/core/errors';
import type { EventLog } from '@spendstream/core/event-log';
import { topics } from '@spendstream/core/events';
import { createServiceApp, type ServiceApp } from '@spendstream/core/http';
import type { Logger } from '@spendstream/core/log';
import { sqlReadiness } from '@spendstream/core/sql';
import { createAuthRouter } from './features/auth/routes.js';
import { createAuthService, type AuthService } from './features/auth/service.js';
import { createKeyRing, type KeyRing } from './features/auth/keys.js';
import { devKeyEncryptionSecret } from './features/auth/key-encryption.js';
import { cachingVerifier } from './features/auth/verify-cache.js';
import { createLedgerRouter } from './features/ledger/routes.js';
import { createOutboxRelay, type OutboxRelay } from './features/outbox/relay.js';
import { purgeExpiredKeys } from './features/idempotency/service.js';
import { purgeEndedRateLimits } from './features/rate-limits/limiter.js';
import { createWalletRouter } from './features/wallets/routes.js';
import { migrateWalletDb } from './migrations/index.js';
import { walletOpenApiDocument } from './openapi.js';
import { createSqlUnitOfWork, type UnitOfWork } from './stores.js';
import { createMovementBatcher } from './batcher.js';

export const serviceName = 'wallet-api';
export const serviceVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Every topic the outbox relays to: create them before starting the relay. */
export const walletEventTopics = [
  topics.transactionsRaw,
  topics.walletEvents,
  topics.refUserSettings,
  topics.refWallets,
] as const;

/** Token issuer and audience when the configuration names none (wallet-api's default local URL). */
export const issuerDefault = 'http://localhost:3001';
export const audienceDefault = 'spendstream';
/** Largest request body, in bytes: a movement with a full note and tags is under 4 KiB. */
export const walletBodyBytesMax = 64 * 1024;

export interface WalletAppDeps {
  log: Logger;
  sql: Knex;
  /** Metrics registry; a fresh one when omitted. */
  registry?: Registry;
  /** `iss` of the tokens this service issues (its public URL). */
  issuer?: string;
  /** `aud` of the tokens it issues and accepts. */
  audience?: string;
  /** Emails that become admins when they register (admins register machine clients). */
  adminEmails?: readonly string[];
  /**
   * The secret private signing keys are encrypted with at rest (AUTH_KEY_ENCRYPTION_SECRET). When
   * omitted, the built-in development secret, with a warning at start.
   */
  keyEncryptionSecret?: string;
  /** Access-token lifetime, seconds. */
  accessTokenTtlSeconds?: number;
  /** Group-commit concurrent movements (default true); false runs each in its own transaction. */
  batchWrites?: boolean;
  /** Batches in flight at once, on disjoint wallets; `batchLanesDefault` when omitted. */
  batchLanes?: number;
  /** Most movements per batch; `batchSizeMax` when omitted. */
  batchSizeMax?: number;
  /** Writes waiting before a batch starts beside one in flight; `busyStartMinDefault` when omitted. */
  batchBusyStartMin?: number;
}

/** What the app holds once migrated and keyed. */
export interface WalletRuntime {
  uow: UnitOfWork;
  keys: KeyRing;
  auth: AuthService;
}

export interface WalletApp extends ServiceApp {
  /** Resolves once the schema is migrated and the signing keys are loaded. */
  readonly ready: Promise<WalletRuntime>;
  /** Start relaying the outbox to `eventLog`; stop it before closing the log. */
  startRelay(eventLog: Pick<EventLog, 'send'>): OutboxRelay;
}

/** This process's name as a lease owner: host, pid and a random part (unique per app). */
function newLeaseOwner(): string {
  return `${hostname().slice(0, 64)}:${process.pid}:${randomBytes(6).toString('hex')}`;
}

export function createWalletApp(deps: WalletAppDeps): WalletApp {
  const relayOwner = newLeaseOwner();
  const issuer = deps.issuer ?? issuerDefault;
  const audience = deps.audience ?? audienceDefault;
  const uow = createSqlUnitOfWork(deps.sql);
  const ready: Promise<WalletRuntime> = (async () => {
    await migrateWalletDb(deps.sql);
    if (deps.keyEncryptionSecret === undefined)
      deps.log.warn(
        'signing keys are encrypted with the built-in development secret, which anyone with the source can read; set AUTH_KEY_ENCRYPTION_SECRET (required with NODE_ENV=production)',
      );
    const keys = await createKeyRing({
      uow,
      issuer,
      audience,
      secret: deps.keyEncryptionSecret ?? devKeyEncryptionSecret,
    });
    const auth = createAuthService({
      uow,
      keys,
      issuer,
      audience,
      ...(deps.adminEmails ? { adminEmails: deps.adminEmails } : {}),
      ...(deps.accessTokenTtlSeconds ? { accessTokenTtlSeconds: deps.accessTokenTtlSeconds } : {}),
    });
    return { uow, keys, auth };
  })();
  let failed: unknown;
  ready.catch((error: unknown) => {
    failed = error;
    deps.log.error('wallet-api failed to start', {
      error: error instanceof Error ? error.message : String(error),
    });
  });
  const runtime = async (): Promise<WalletRuntime> => {
    if (failed !== undefined)
      throw new UnavailableError('wallet-api could not migrate or load its keys');
    return ready;
  };
  // The verifier follows key rotation: it asks the key ring on every call. Every protected route
  // starts with it and every public one asks `runtime()`, so no request meets an unmigrated schema.
  // Verified tokens are cached until their own expiry (see verify-cache.ts).
  const verifier: TokenVerifier = cachingVerifier({
    verify: async (token) => (await runtime()).keys.verifier().verify(token),
  });

  const batcher =
    deps.batchWrites === false
      ? undefined
      : createMovementBatcher(uow, {
          ...(deps.batchLanes === undefined ? {} : { lanes: deps.batchLanes }),
          ...(deps.batchSizeMax === undefined ? {} : { sizeMax: deps.batchSizeMax }),
          ...(deps.batchBusyStartMin === undefined ? {} : { busyStartMin: deps.batchBusyStartMin }),
        });
  const app = createServiceApp({
    name: serviceName,
    version: serviceVersion,
    log: deps.log,
    registry: deps.registry,
    routers: [
      createAuthRouter({ runtime, verifier }),
      createWalletRouter({ uow, verifier }),
      createLedgerRouter({ uow, verifier, ...(batcher ? { batcher } : {}) }),
    ],
    readiness: {
      sql: sqlReadiness(deps.sql),
      schema: async () => {
        await runtime();
      },
    },
    openapi: walletOpenApiDocument(serviceVersion),
    limits: { bodyBytesMax: walletBodyBytesMax },
  });
  if (batcher) {
    const counters = [
      [
        'wallet_movement_batches_total',
        'Group-commit batches of income and expenses (movements / batches = average batch size).',
        'batches',
      ],
      [
        'wallet_movements_batched_total',
        'Income and expense requests that went through group commit.',
        'movements',
      ],
    ] as const;
    for (const [name, help, field] of counters)
      new Counter({
        name,
        help,
        registers: [app.registry],
        collect() {
          this.reset();
          this.inc(batcher.stats()[field]);
        },
      });
  }
  return Object.assign(app, {
    ready,
    startRelay(eventLog: Pick<EventLog, 'send'>): OutboxRelay {
      const relay = createOutboxRelay({
        uow,
        eventLog,
        // One relay per database: every instance starts one, the lease holder publishes.
        lease: { owner: relayOwner },
        // Expired idempotency keys and ended rate-limit windows go in bounded batches while the
        // relay has nothing to do.
        whenIdle: async () => {
          await purgeExpiredKeys(uow);
          await purgeEndedRateLimits(uow);
        },
        onError: (error) =>
          deps.log.warn('outbox relay round failed; retrying', {
            error: error instanceof Error ? error.message : String(error),
          }),
      });
      void ready.then(
        () => relay.start(),
        () => undefined,
      );
      return relay;
    },
  });
}
