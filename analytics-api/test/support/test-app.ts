/**
 * An analytics-api on the embedded SQLite (in memory), with a throwaway token issuer, an in-memory
 * event publisher and pinned clock: what the HTTP tests talk to.
 */
import { createServiceServer } from '@spendstream/core/http';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql, migrateToLatest, type Knex } from '@spendstream/core/sql';
import { createTestIssuer, type TestIssuer } from '@spendstream/core/testing/tokens';
import { createAnalyticsApp, type AnalyticsRoute } from '../../src/app.js';
import { analyticsMigrations } from '../../src/migrations.js';
import { createSqlAnalyticsStore } from '../../src/query/sql-store.js';
import { loadSqlDocuments } from '../../src/query/sql-loader.js';
import type { AnalyticsStore, TransactionDoc } from '../../src/query/analytics-store.js';
import { createMemoryPublisher, type EventPublisher } from '../../src/domain/event-publisher.js';
import {
  createMemoryUserSettingsStore,
  type UserSettingsStore,
} from '../../src/domain/user-settings.js';
import { createSqlAlertStore, type AlertStore } from '../../src/features/alerts/alert-store.js';
import { createAlertHub, type AlertHub } from '../../src/features/alerts/alert-hub.js';
import { testUsers } from './factories.js';
import type { CustomCategoryStore } from '../../src/features/categories/custom-categories.js';
import type { WalletAccessStore } from '../../src/domain/wallet-access.js';
import {
  createTransactionFeed,
  type TransactionFeed,
} from '../../src/features/live/transaction-feed.js';

export interface TestApp {
  url: string;
  issuer: TestIssuer;
  sql: Knex;
  publisher: ReturnType<typeof createMemoryPublisher>;
  settings: UserSettingsStore;
  alerts: AlertStore;
  alertHub: AlertHub;
  /** The live transaction feed the app streams from (tests publish to it through a projector). */
  transactionFeed: TransactionFeed;
  /** The routes the app serves (`createAnalyticsApp`). */
  routes: readonly AnalyticsRoute[];
  /** GET/POST... with a user's token. */
  as(userId: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestApp(
  options: {
    docs?: TransactionDoc[];
    now?: string;
    sql?: Knex;
    store?: AnalyticsStore;
    /** Where published events go besides the in-memory list (the real event log). */
    publishTo?: EventPublisher;
    customCategories?: CustomCategoryStore;
    walletAccess?: WalletAccessStore;
  } = {},
): Promise<TestApp> {
  const sql = options.sql ?? createSql({}, { sqliteFilename: ':memory:' });
  await migrateToLatest(sql, analyticsMigrations);
  if (options.docs) await loadSqlDocuments(sql, options.docs);
  const issuer = await createTestIssuer();
  const memory = createMemoryPublisher();
  const publisher: typeof memory = {
    published: memory.published,
    async publish(topic, event) {
      await memory.publish(topic, event);
      await options.publishTo?.publish(topic, event);
    },
  };
  const settings = createMemoryUserSettingsStore({ timeZone: 'UTC', homeCurrency: 'EUR' });
  for (const user of testUsers) {
    await settings.put(user.userId, {
      timeZone: user.timeZone,
      homeCurrency: user.homeCurrency,
      revision: 1,
    });
  }
  const alerts = createSqlAlertStore(sql);
  const alertHub = await createAlertHub(alerts, { pollIntervalMs: 50 });
  const { log } = createMemoryLogger('analytics-api');
  const transactionFeed = createTransactionFeed();
  const now = options.now;
  const app = createAnalyticsApp({
    log,
    sql,
    store: options.store ?? createSqlAnalyticsStore(sql),
    settings,
    verifier: issuer.verifier,
    publisher,
    alerts,
    alertHub,
    transactionFeed,
    customCategories: options.customCategories,
    walletAccess: options.walletAccess,
    clock: now ? () => new Date(now) : undefined,
  });
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  return {
    url: server.url,
    issuer,
    sql,
    publisher,
    settings,
    alerts,
    alertHub,
    transactionFeed,
    routes: app.routes,
    async as(userId, path, init = {}) {
      const token = await issuer.userToken(userId);
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      if (init.body !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${server.url}${path}`, { ...init, headers });
    },
    async close() {
      alertHub.close();
      await server.close();
      await sql.destroy();
    },
  };
}
