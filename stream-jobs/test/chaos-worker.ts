/**
 * A stream-jobs worker process for the chaos suite: the real jobs on the real servers, on the
 * test's own topic prefix, database and index (from CHAOS_* variables). Logs JSON lines, one
 * `{"msg":"ready"}` once it has joined its group.
 */
import { createEventLog } from '@spendstream/core/event-log';
import { createLogger } from '@spendstream/core/log';
import { createMongoDocumentStore } from '../src/features/documents/mongo-store.js';
import { createStreamJobs } from '../src/features/pipeline/stream-jobs.js';
import { createOpenSearchIndex } from '../src/features/search/opensearch-index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const prefix = env('CHAOS_PREFIX');
const log = createLogger({ service: 'chaos-worker', level: 'info' });
const eventLog = await createEventLog({
  kafkaBrokers: env('KAFKA_BROKERS'),
  clientId: `${prefix}worker`,
});
const store = createMongoDocumentStore({ url: env('MONGODB_URL'), dbName: env('CHAOS_DB') });
const index = createOpenSearchIndex({ url: env('OPENSEARCH_URL'), index: env('CHAOS_INDEX') });
const jobs = createStreamJobs({
  eventLog,
  store,
  index,
  log,
  topicPrefix: prefix,
  groupId: `${prefix}jobs`,
  batchSizeMax: 200,
});
await jobs.start();
log.info('ready');
process.on('SIGTERM', () => {
  void jobs.stop().then(async () => {
    await eventLog.close();
    await store.close();
    await index.close();
  });
});
