/**
 * The analytics-api Koa app: rollups, search, budgets and alerts. `createAnalyticsApp` takes its
 * dependencies (so tests and the all-in-one entry wire their own) and mounts the feature routers.
 */
import { readFileSync } from 'node:fs';
import { createServiceApp, type Registry, type ServiceApp } from '@spendstream/core/http';
import type { Logger } from '@spendstream/core/log';
import { sqlReadiness, type Knex } from '@spendstream/core/sql';
import type { TokenVerifier } from '@spendstream/core/auth';
import { currencyExponent, isCurrencyCode } from '@spendstream/core/currencies';
import type { AnalyticsStore } from './query/analytics-store.js';
import type { UserSettingsStore } from './domain/user-settings.js';
import type { EventPublisher } from './domain/event-publisher.js';
import { createDefaultCategoryCatalog, type CategoryCatalog } from './domain/categories.js';
import {
  createMemoryCustomCategoryStore,
  type CustomCategoryStore,
} from './features/categories/custom-categories.js';
import { createCategoryRouter } from './features/categories/routes.js';
import { createMemoryWalletAccessStore, type WalletAccessStore } from './domain/wallet-access.js';
import { createSharedScopeStore } from './query/shared-scope-store.js';
import type { FeatureDeps } from './http/deps.js';
import { createSqlBudgetStore } from './features/budgets/budget-store.js';
import { createSqlCategoryRuleStore } from './features/category-rules/category-rule-store.js';
import { createCategoryRuleRouter } from './features/category-rules/routes.js';
import type { AlertStore } from './features/alerts/alert-store.js';
import type { AlertHub } from './features/alerts/alert-hub.js';
import { createBreakdownRouter } from './features/breakdowns/routes.js';
import { createTimeSeriesRouter } from './features/time-series/routes.js';
import { createComparisonRouter } from './features/comparisons/routes.js';
import { createCashFlowRouter } from './features/cash-flow/routes.js';
import { createExportRouter } from './features/export/routes.js';
import { createSearchRouter } from './features/search/routes.js';
import { createBudgetRouter } from './features/budgets/routes.js';
import { createAlertRouter } from './features/alerts/routes.js';
import { createLiveRouter } from './features/live/routes.js';
import { createTransactionFeed, type TransactionFeed } from './features/live/transaction-feed.js';
import { createSseRegistry } from './http/sse.js';
import { analyticsOpenApi } from './openapi.js';
import { createSnapshotOutboxes, type SnapshotOutboxes } from './snapshots.js';

export const serviceName = 'analytics-api';
export const serviceVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export interface AnalyticsAppDeps {
  log: Logger;
  /** Budgets and the alert history (MySQL or the embedded SQLite), migrated. */
  sql: Knex;
  /** The query port: the embedded SQL twin or MongoDB + the search index. */
  store: AnalyticsStore;
  settings: UserSettingsStore;
  verifier: TokenVerifier;
  publisher: EventPublisher;
  alerts: AlertStore;
  alertHub: AlertHub;
  /** Fed by the projector; the live transaction stream reads it (a fresh, silent one if omitted). */
  transactionFeed?: TransactionFeed;
  categories?: CategoryCatalog;
  /** Each user's custom categories (an empty in-memory store when omitted). */
  customCategories?: CustomCategoryStore;
  /** Wallets shared with each user (an empty in-memory store when omitted: own data only). */
  walletAccess?: WalletAccessStore;
  /** The current instant; tests pin it. */
  clock?: () => Date;
  /**
   * The outboxes of ref.budgets and ref.category-rules; when omitted, ones without a background
   * sweep (the runtime passes its own, swept, and stops them on close).
   */
  snapshots?: SnapshotOutboxes;
  /** Metrics registry; a fresh one when omitted. */
  registry?: Registry;
}

function exponentOf(currency: string): number {
  return isCurrencyCode(currency) ? currencyExponent(currency) : 2;
}

/** A route the app serves: its method and its path in the router's form (`/v1/budgets/:id`). */
export interface AnalyticsRoute {
  method: string;
  path: string;
}

export interface AnalyticsApp extends ServiceApp {
  /** Every route of the feature routers (HEAD of a GET left out): what `/openapi.json` must list. */
  readonly routes: readonly AnalyticsRoute[];
}

export function createAnalyticsApp(deps: AnalyticsAppDeps): AnalyticsApp {
  const walletAccess = deps.walletAccess ?? createMemoryWalletAccessStore();
  const clock = deps.clock ?? (() => new Date());
  const features: FeatureDeps = {
    store: createSharedScopeStore({ store: deps.store, walletAccess, settings: deps.settings }),
    walletAccess,
    settings: deps.settings,
    categories: deps.categories ?? createDefaultCategoryCatalog(),
    customCategories: deps.customCategories ?? createMemoryCustomCategoryStore(),
    verifier: deps.verifier,
    budgets: createSqlBudgetStore(deps.sql),
    categoryRules: createSqlCategoryRuleStore(deps.sql),
    alerts: deps.alerts,
    alertHub: deps.alertHub,
    publisher: deps.publisher,
    snapshots: deps.snapshots ?? createSnapshotOutboxes({ ...deps, clock }),
    transactionFeed: deps.transactionFeed ?? createTransactionFeed(),
    sse: createSseRegistry(),
    clock,
  };
  const routers = [
    createBreakdownRouter(features),
    createTimeSeriesRouter(features),
    createComparisonRouter(features),
    createCashFlowRouter(features),
    createCategoryRouter(features),
    createCategoryRuleRouter(features),
    // Before the search router, so /v1/transactions/export and /stream are not taken for ids.
    createExportRouter(features, exponentOf),
    createLiveRouter(features),
    createSearchRouter(features),
    createBudgetRouter(features),
    createAlertRouter(features),
  ];
  const app = createServiceApp({
    name: serviceName,
    version: serviceVersion,
    log: deps.log,
    registry: deps.registry,
    routers,
    readiness: { sql: sqlReadiness(deps.sql), store: () => deps.store.ping() },
    openapi: analyticsOpenApi(serviceVersion),
  });
  return {
    name: app.name,
    version: app.version,
    koa: app.koa,
    log: app.log,
    registry: app.registry,
    openapi: app.openapi,
    routes: routers.flatMap((router) =>
      router.stack.flatMap((layer) =>
        layer.methods
          .filter((method) => method !== 'HEAD')
          .map((method) => ({ method, path: String(layer.path) })),
      ),
    ),
    // Draining ends the live streams at once: their clients reconnect (elsewhere), and the
    // server's close does not wait SHUTDOWN_TIMEOUT_MS for them.
    startDraining() {
      app.startDraining();
      features.sse.endAll();
    },
    get draining() {
      return app.draining;
    },
  };
}
