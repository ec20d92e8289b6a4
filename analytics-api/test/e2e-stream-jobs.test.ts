/**
 * End to end on the real servers: raw transactions on Kafka -> stream-jobs (its own runtime, on
 * FerretDB + OpenSearch) -> `transactions.enriched` on Kafka -> analytics-api's projector -> the
 * yearly buckets in FerretDB and analytics' own OpenSearch index -> the HTTP API answers the
 * breakdown, the search and the lookup. A recategorization and an annotation (published by the
 * API itself) travel the same way back. Topics carry a unique prefix, databases and indexes
 * unique names.
 */
import test from 'ava';
import { MongoClient } from 'mongodb';
import { createEventLog, type EventLog } from '@spendstream/core/event-log';
import { topicNames, topics } from '@spendstream/core/events';
import { createMemoryLogger } from '@spendstream/core/log';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import {
  createMongoDocumentStore,
  dropMongoDatabase,
} from '../../stream-jobs/src/features/documents/mongo-store.js';
import { createOpenSearchIndex } from '../../stream-jobs/src/features/search/opensearch-index.js';
import { createStreamJobs } from '../../stream-jobs/src/features/pipeline/stream-jobs.js';
import { rawEvent, settingsEvent } from '../../stream-jobs/src/features/pipeline/test-harness.js';
import { rawTransaction } from '../../stream-jobs/src/features/documents/test-documents.js';
import { createRemoteAnalyticsStore } from '../src/query/remote-store.js';
import { dropReadModel } from '../src/query/mongo-spread.js';
import { ensureSearchIndex, openSearchTransport } from '../src/query/search-index.js';
import { createMongoReadModelWriter } from '../src/features/projection/mongo-read-model-writer.js';
import { startProjector } from '../src/features/projection/projector.js';
import { createEventLogPublisher } from '../src/domain/event-publisher.js';
import { startTestApp } from './support/test-app.js';

const userId = 'u-paris'; // a test user of the factories: Europe/Paris, EUR
const partitions = 2;

/** Poll until `check` holds or the deadline passes; the last answer decides. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return check();
}

test('a raw transaction goes through stream-jobs on Kafka and analytics on FerretDB + OpenSearch answers', async (t) => {
  const servers = realServers(['KAFKA_BROKERS', 'MONGODB_URL', 'OPENSEARCH_URL']);
  const prefix = `${uniqueName('analytics_e2e')}_`;
  const jobsDb = uniqueName('analytics_e2e_jobs');
  const jobsIndex = uniqueName('analytics_e2e_jobs');
  const analyticsIndex = uniqueName('analytics_e2e');
  const eventLog: EventLog = await createEventLog({
    kafkaBrokers: servers.KAFKA_BROKERS,
    clientId: prefix,
  });
  for (const topic of topicNames) await eventLog.createTopic(`${prefix}${topic}`, { partitions });

  // stream-jobs, as it runs, on its own database and index.
  const store = createMongoDocumentStore({ url: servers.MONGODB_URL, dbName: jobsDb });
  const index = createOpenSearchIndex({ url: servers.OPENSEARCH_URL, index: jobsIndex });
  await store.init();
  await index.init();
  const jobs = createStreamJobs({
    eventLog,
    store,
    index,
    log: createMemoryLogger('stream-jobs', 'silent').log,
    topicPrefix: prefix,
    groupId: `${prefix}jobs`,
  });
  await jobs.start();

  // analytics-api: the projector on Kafka, the read model on FerretDB + OpenSearch, the HTTP API.
  const mongoClient = new MongoClient(servers.MONGODB_URL, { useBigInt64: true });
  await mongoClient.connect();
  const mongo = mongoClient.db(uniqueName('analytics_e2e'));
  const search = openSearchTransport(servers.OPENSEARCH_URL);
  await ensureSearchIndex(search, analyticsIndex);
  const projector = await startProjector({
    log: eventLog,
    writer: createMongoReadModelWriter({ mongo, search, index: analyticsIndex }),
    publisher: createEventLogPublisher(eventLog),
    groupId: `${prefix}analytics`,
    topicPrefix: prefix,
  });
  const app = await startTestApp({
    store: createRemoteAnalyticsStore({ mongo, search, index: analyticsIndex }),
    now: '2026-10-20T12:00:00Z',
    publishTo: createEventLogPublisher(eventLog, prefix),
  });
  t.teardown(async () => {
    await projector.close();
    await jobs.stop(1_000);
    await app.close();
    await eventLog.close();
    await store.close();
    await index.drop();
    await index.close();
    await dropMongoDatabase(servers.MONGODB_URL, jobsDb);
    await dropReadModel(mongo).catch(() => undefined);
    await search.request('DELETE', `/${analyticsIndex}`).catch(() => undefined);
    await search.close();
    await mongoClient.close();
  });

  await eventLog.send(`${prefix}${topics.refUserSettings}`, [
    settingsEvent({
      userId,
      revision: 1,
      timeZone: 'Europe/Paris',
      homeCurrency: 'EUR',
      locale: 'fr-FR',
      alerts: { enabled: true },
      updatedAt: '2026-01-01T00:00:00Z',
    }),
  ]);
  const raws = [
    { id: 'tx_e2e_1', amount: 4250n, category: 'groceries', at: '2026-10-03T18:00:00+02:00' },
    { id: 'tx_e2e_2', amount: 1575n, category: 'groceries', at: '2026-10-10T09:30:00+02:00' },
    { id: 'tx_e2e_3', amount: 390n, category: 'coffee', at: '2026-10-11T08:05:00+02:00' },
    { id: 'tx_e2e_4', amount: 8800n, category: 'fuel', at: '2026-10-31T23:30:00+01:00' },
  ];
  await eventLog.send(
    `${prefix}${topics.transactionsRaw}`,
    raws.map((raw) =>
      rawEvent(
        rawTransaction({
          transactionId: raw.id,
          externalId: `ext-${raw.id}`,
          userId,
          walletId: 'w-f1',
          amount: { amount: raw.amount, currency: 'EUR' },
          occurredAt: raw.at,
          merchant: 'CARREFOUR CITY PARIS 11',
          description: `card payment ${raw.id}`,
          category: raw.category,
        }),
      ),
    ),
  );

  type Breakdown = {
    total: { amount: string };
    items: Array<{
      key: string;
      amount: { amount: string };
      count: number;
      subcategories?: Array<{ key: string; amount: { amount: string } }>;
    }>;
  };
  const breakdown = async (): Promise<Breakdown> =>
    (await (
      await app.as(userId, '/v1/analytics/breakdown?period=month&date=2026-10-15')
    ).json()) as Breakdown;
  t.true(
    await eventually(async () => (await breakdown()).total.amount === '15015'),
    'the breakdown counts every transaction',
  );
  const first = await breakdown();
  const food = first.items.find((item) => item.key === 'food')!;
  t.is(food.amount.amount, '6215');
  t.deepEqual(
    food.subcategories?.map((item) => [item.key, item.amount.amount]),
    [
      ['groceries', '5825'],
      ['coffee', '390'],
    ],
  );
  t.like(
    first.items.find((item) => item.key === 'transport'),
    { amount: { amount: '8800' } },
  );

  t.true(
    await eventually(async () => (await app.as(userId, '/v1/transactions/tx_e2e_2')).ok),
    'the search index serves the lookup',
  );
  // The API publishes a recategorization and an annotation; stream-jobs applies them and
  // republishes; the projector takes the new versions.
  const recategorized = await app.as(userId, '/v1/transactions/tx_e2e_2/recategorize', {
    method: 'POST',
    body: JSON.stringify({ category: 'coffee' }),
  });
  t.is(recategorized.status, 202);
  const annotated = await app.as(userId, '/v1/transactions/tx_e2e_1', {
    method: 'PATCH',
    body: JSON.stringify({ tags: ['weekly-shop'], note: 'big basket' }),
  });
  t.is(annotated.status, 202, await annotated.clone().text());
  t.true(
    await eventually(async () => {
      const food = (await breakdown()).items.find((item) => item.key === 'food');
      const coffee = food?.subcategories?.find((item) => item.key === 'coffee');
      return coffee?.amount.amount === '1965';
    }),
    'the recategorization moved the amount to coffee',
  );
  t.true(
    await eventually(async () => {
      const response = await app.as(userId, '/v1/transactions?q=basket&tag=weekly-shop');
      const body = (await response.json()) as { items: Array<{ id: string }> };
      return body.items.length === 1 && body.items[0]!.id === 'tx_e2e_1';
    }),
    'the annotation is searchable by its note and tag',
  );
  const lookup = (await (await app.as(userId, '/v1/transactions/tx_e2e_1')).json()) as {
    tags: string[];
    note: string | null;
    merchant: string | null;
    merchantKey: string | null;
  };
  t.deepEqual([lookup.tags, lookup.note], [['weekly-shop'], 'big basket']);
  // stream-jobs' own merchant key (its dictionary's id) beside the display name.
  t.deepEqual([lookup.merchant, lookup.merchantKey], ['Carrefour', 'carrefour']);
  t.is((await breakdown()).total.amount, '15015', 'the total did not move');
});
