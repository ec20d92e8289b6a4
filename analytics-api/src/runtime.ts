/**
 * Opens what analytics-api runs on, from configuration alone: SQL (migrated), the query port
 * (MongoDB + OpenSearch/Elasticsearch when both are configured, else the embedded SQL twin), the
 * event log, the alert history with its live hub and consumer, the user-settings feed, and the
 * token verifier. `close` releases them in reverse order.
 */
import { MongoClient } from 'mongodb';
import { ConfigError } from '@spendstream/core/config';
import { createEventLog, type Consumer, type EventLog } from '@spendstream/core/event-log';
import { topics, topicSpecs } from '@spendstream/core/events';
import { createTokenVerifier } from '@spendstream/core/auth';
import { createSql, migrateToLatest } from '@spendstream/core/sql';
import type { Logger } from '@spendstream/core/log';
import type { AnalyticsConfig } from './config.js';
import type { AnalyticsAppDeps } from './app.js';
import { analyticsMigrations } from './migrations.js';
import { createSqlAnalyticsStore } from './query/sql-store.js';
import { createRemoteAnalyticsStore } from './query/remote-store.js';
import { assertReadModelLayout, baseDatabaseNameLengthMax } from './query/mongo-spread.js';
import {
  elasticsearchTransport,
  ensureSearchIndex,
  openSearchTransport,
} from './query/search-index.js';
import type { AnalyticsStore } from './query/analytics-store.js';
import { createEventLogPublisher } from './domain/event-publisher.js';
import { createSnapshotOutboxes } from './snapshots.js';
import { createMemoryUserSettingsStore } from './domain/user-settings.js';
import { startUserSettingsConsumer } from './domain/user-settings-consumer.js';
import {
  createMemoryWalletAccessStore,
  startWalletAccessConsumer,
} from './domain/wallet-access.js';
import {
  createMemoryCustomCategoryStore,
  startCustomCategoryConsumer,
} from './features/categories/custom-categories.js';
import { createSqlAlertStore } from './features/alerts/alert-store.js';
import { createAlertHub } from './features/alerts/alert-hub.js';
import { startAlertConsumer } from './features/alerts/alert-consumer.js';
import { startProjector } from './features/projection/projector.js';
import { createTransactionFeed } from './features/live/transaction-feed.js';
import {
  createSqlReadModelWriter,
  type ReadModelWriter,
} from './features/projection/sql-read-model-writer.js';
import { createMongoReadModelWriter } from './features/projection/mongo-read-model-writer.js';

export interface AnalyticsRuntime {
  deps: AnalyticsAppDeps;
  close(): Promise<void>;
}

interface RemoteBackends {
  store: AnalyticsStore;
  writer: ReadModelWriter;
}

async function openRemote(config: AnalyticsConfig): Promise<RemoteBackends | null> {
  const searchUrl = config.OPENSEARCH_URL ?? config.ELASTICSEARCH_URL;
  if (config.MONGODB_URL === undefined && searchUrl === undefined) return null;
  if (config.MONGODB_URL === undefined || searchUrl === undefined) {
    throw new ConfigError([
      {
        variable: config.MONGODB_URL === undefined ? 'MONGODB_URL' : 'OPENSEARCH_URL',
        message:
          'analytics reads rollups from MongoDB and search from OpenSearch/Elasticsearch: set both or neither',
      },
    ]);
  }
  const databaseName =
    new URL(config.MONGODB_URL).pathname.slice(1) || config.ANALYTICS_MONGODB_DATABASE;
  if (databaseName.length > baseDatabaseNameLengthMax) {
    throw new ConfigError([
      {
        variable: 'MONGODB_URL',
        message: `the database name is longer than ${baseDatabaseNameLengthMax} characters (the read model adds _r<k> to it)`,
      },
    ]);
  }
  const client = new MongoClient(config.MONGODB_URL, { useBigInt64: true });
  await client.connect();
  const mongo = client.db(databaseName);
  try {
    await assertReadModelLayout(mongo);
  } catch (error) {
    await client.close();
    throw error;
  }
  const search = config.OPENSEARCH_URL
    ? openSearchTransport(config.OPENSEARCH_URL)
    : elasticsearchTransport(searchUrl);
  const index = config.ANALYTICS_SEARCH_INDEX;
  await ensureSearchIndex(search, index);
  return {
    store: createRemoteAnalyticsStore({
      mongo,
      search,
      index,
      async onClose() {
        await search.close();
        await client.close();
      },
    }),
    writer: createMongoReadModelWriter({ mongo, search, index }),
  };
}

/** The topics analytics-api reads or writes. */
export const analyticsTopics = [
  topics.alerts,
  topics.refUserSettings,
  topics.refCategoryRules,
  topics.refWallets,
  topics.refBudgets,
  topics.transactionsCorrections,
  topics.deadLetter,
  topics.transactionsEnriched,
] as const;

/** Create the topics analytics-api uses (creating an existing one does nothing). */
export async function ensureAnalyticsTopics(eventLog: EventLog): Promise<void> {
  for (const topic of analyticsTopics) {
    await eventLog.createTopic(topic, { partitions: topicSpecs[topic].partitions });
  }
}

export async function openAnalyticsRuntime(
  config: AnalyticsConfig,
  log: Logger,
): Promise<AnalyticsRuntime> {
  const sql = createSql(config);
  await migrateToLatest(sql, analyticsMigrations);
  const remote = await openRemote(config);
  const store = remote?.store ?? createSqlAnalyticsStore(sql);
  const eventLog = await createEventLog({
    kafkaBrokers: config.KAFKA_BROKERS,
    dataDir: config.DATA_DIR,
    clientId: 'analytics-api',
  });
  await ensureAnalyticsTopics(eventLog);
  const publisher = createEventLogPublisher(eventLog);
  const settings = createMemoryUserSettingsStore({
    timeZone: config.ANALYTICS_DEFAULT_TIME_ZONE,
    homeCurrency: config.ANALYTICS_DEFAULT_CURRENCY,
  });
  const customCategories = createMemoryCustomCategoryStore();
  const walletAccess = createMemoryWalletAccessStore();
  const alerts = createSqlAlertStore(sql);
  const alertHub = await createAlertHub(alerts);
  const consumers: Consumer[] = [
    await startAlertConsumer({ log: eventLog, alerts, hub: alertHub, publisher }),
    await startUserSettingsConsumer(eventLog, settings),
    await startCustomCategoryConsumer(eventLog, customCategories),
    await startWalletAccessConsumer(eventLog, walletAccess),
  ];
  // analytics-api projects its own read model from transactions.enriched on either backend.
  const transactionFeed = createTransactionFeed();
  consumers.push(
    await startProjector({
      log: eventLog,
      writer: remote?.writer ?? createSqlReadModelWriter(sql),
      publisher,
      onApplied: (docs) => transactionFeed.publish(docs),
    }),
  );
  const verifier = createTokenVerifier({
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    jwks: { url: config.AUTH_JWKS_URL ?? new URL('/.well-known/jwks.json', config.AUTH_ISSUER) },
  });
  // Owed budget and rule snapshots (a send that failed, or one a previous run never made) are
  // published at start and then by a background sweep.
  const snapshots = createSnapshotOutboxes({ sql, publisher, log, clock: () => new Date() });
  snapshots.budgets.start();
  snapshots.categoryRules.start();
  return {
    deps: {
      log,
      sql,
      store,
      settings,
      customCategories,
      walletAccess,
      verifier,
      publisher,
      alerts,
      alertHub,
      transactionFeed,
      snapshots,
    },
    async close() {
      await snapshots.budgets.stop();
      await snapshots.categoryRules.stop();
      alertHub.close();
      for (const consumer of consumers) await consumer.close();
      await eventLog.close();
      await store.close();
      await sql.destroy();
    },
  };
}
