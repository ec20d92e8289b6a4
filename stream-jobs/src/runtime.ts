/**
 * Opens the stream jobs' backends from configuration alone (KAFKA_BROKERS, MONGODB_URL,
 * OPENSEARCH_URL or ELASTICSEARCH_URL; unset means the embedded default under DATA_DIR) and starts
 * the jobs. Used by main.ts, the reconcile command and the all-in-one entry.
 */
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { createEventLog, type EventLog } from '@spendstream/core/event-log';
import type { Logger } from '@spendstream/core/log';
import { createSql, type Knex } from '@spendstream/core/sql/create-sql';
import type { BackendConfig } from '@spendstream/core/config';
import { createMongoDocumentStore } from './features/documents/mongo-store.js';
import { createSqlDocumentStore, sqlDocumentsTable } from './features/documents/sql-store.js';
import type { DocumentStore } from './features/documents/store.js';
import { createOpenSearchIndex } from './features/search/opensearch-index.js';
import type { SearchIndex } from './features/search/search-index.js';
import { createSqlSearchIndex } from './features/search/sql-index.js';
import { createStreamJobs, type StreamJobs } from './features/pipeline/stream-jobs.js';
import { topicNames, topicSpecs } from '@spendstream/core/events';

/** Name of the search index on OpenSearch/Elasticsearch. */
export const searchIndexName = 'spendstream-transactions';

export interface StreamJobsBackends {
  eventLog: EventLog;
  store: DocumentStore;
  index: SearchIndex;
  close(): Promise<void>;
}

/** Opens the event log, the documents store and the search index the configuration names. */
export async function openBackends(config: Partial<BackendConfig>): Promise<StreamJobsBackends> {
  const dataDir = resolve(config.DATA_DIR ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const eventLog = await createEventLog({
    kafkaBrokers: config.KAFKA_BROKERS,
    dataDir,
    clientId: 'stream-jobs',
  });
  let knex: Knex | undefined;
  const sql = () =>
    (knex ??= createSql(
      config,
      config.DATABASE_URL ? {} : { sqliteFilename: join(dataDir, 'stream-jobs.sqlite') },
    ));
  const store = config.MONGODB_URL
    ? createMongoDocumentStore({ url: config.MONGODB_URL })
    : createSqlDocumentStore({ knex: sql(), closeKnex: false });
  const index = config.ELASTICSEARCH_URL
    ? createOpenSearchIndex({
        url: config.ELASTICSEARCH_URL,
        flavor: 'elasticsearch',
        index: searchIndexName,
      })
    : config.OPENSEARCH_URL
      ? createOpenSearchIndex({
          url: config.OPENSEARCH_URL,
          flavor: 'opensearch',
          index: searchIndexName,
        })
      : createSqlSearchIndex({
          knex: sql(),
          closeKnex: false,
          // Beside the embedded store (one database), the index reads the store's documents.
          ...(config.MONGODB_URL ? {} : { documentsTable: sqlDocumentsTable() }),
        });
  return {
    eventLog,
    store,
    index,
    async close() {
      await eventLog.close();
      await store.close();
      await index.close();
      if (knex) await knex.destroy();
    },
  };
}

/** Creates every topic the jobs read or write (idempotent). */
export async function createTopics(eventLog: EventLog): Promise<void> {
  for (const name of topicNames)
    await eventLog.createTopic(name, { partitions: topicSpecs[name].partitions });
}

/** Opens the backends and starts the jobs; `stop()` drains them and closes the backends. */
export async function startStreamJobs(
  config: Partial<BackendConfig>,
  log: Logger,
  registry?: Registry,
): Promise<{ jobs: StreamJobs; backends: StreamJobsBackends; stop(): Promise<void> }> {
  const backends = await openBackends(config);
  await createTopics(backends.eventLog);
  const jobs = createStreamJobs({ ...backends, log, ...(registry ? { registry } : {}) });
  await jobs.start();
  return {
    jobs,
    backends,
    async stop() {
      await jobs.stop();
      await backends.close();
    },
  };
}
