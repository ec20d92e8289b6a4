/**
 * The query contract on MongoDB (FerretDB here) + OpenSearch, the real servers of `infra:up`, on a
 * read model built ONLY by the projector's writer from a shuffled delivery of the contract data with
 * duplicates, stale versions arriving after newer ones, and earlier versions on another day, month
 * and year (so corrections move transactions between yearly buckets). The embedded twin answers the
 * same queries on the same data in the last test, compared directly.
 */
import test from 'ava';
import knexFactory from 'knex';
import { MongoClient } from 'mongodb';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { contractDocs, registerAnalyticsContract } from './support/analytics-contract.js';
import { enrichedOf, noisyHistory } from './support/enriched-events.js';
import { createRemoteAnalyticsStore } from '../src/query/remote-store.js';
import { dropReadModel } from '../src/query/mongo-spread.js';
import { ensureSearchIndex, openSearchTransport } from '../src/query/search-index.js';
import { migrateToLatest } from '@spendstream/core/sql';
import { analyticsMigrations } from '../src/migrations.js';
import { loadSqlDocuments } from '../src/query/sql-loader.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';
import { getBreakdown } from '../src/features/breakdowns/breakdown-service.js';
import { getTimeSeries } from '../src/features/time-series/time-series-service.js';
import { createMongoReadModelWriter } from '../src/features/projection/mongo-read-model-writer.js';
import { docFromEnriched } from '../src/features/projection/enriched-to-doc.js';
import { testUsers } from './support/factories.js';
import type { AnalyticsStore } from '../src/query/analytics-store.js';

/** Deliveries per writer call, as a consumer batch would hand them over. */
const deliveryBatchSize = 500;

let remote: AnalyticsStore | undefined;

registerAnalyticsContract(test, 'mongodb+opensearch via the projector', async (docs) => {
  const servers = realServers(['MONGODB_URL', 'OPENSEARCH_URL']);
  const mongoClient = new MongoClient(servers.MONGODB_URL, { useBigInt64: true });
  await mongoClient.connect();
  const mongo = mongoClient.db(uniqueName('analytics_contract'));
  const search = openSearchTransport(servers.OPENSEARCH_URL);
  const index = uniqueName('analytics_contract');
  await ensureSearchIndex(search, index);
  const writer = createMongoReadModelWriter({ mongo, search, index });
  const deliveries = noisyHistory(docs).map(({ doc, version }) =>
    docFromEnriched(enrichedOf(doc, version)),
  );
  for (let start = 0; start < deliveries.length; start += deliveryBatchSize)
    await writer.apply(deliveries.slice(start, start + deliveryBatchSize));
  await search.request('POST', `/${index}/_refresh`);
  remote = createRemoteAnalyticsStore({ mongo, search, index });
  return {
    store: remote,
    async close() {
      await dropReadModel(mongo).catch(() => undefined);
      await search.request('DELETE', `/${index}`).catch(() => undefined);
      await search.close();
      await mongoClient.close();
    },
  };
});

test('mongodb+opensearch and the embedded twin give identical breakdowns and series', async (t) => {
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  t.teardown(() => db.destroy());
  await migrateToLatest(db, analyticsMigrations);
  await loadSqlDocuments(db, contractDocs());
  const embedded = createSqlAnalyticsStore(db);
  if (!remote) throw new Error('remote store not opened');
  for (const user of testUsers) {
    for (const by of ['category', 'merchant', 'wallet', 'tag'] as const) {
      const input = {
        userId: user.userId,
        range: { from: '2025-01-01', to: '2026-01-01' },
        by,
        flow: 'spend' as const,
        byCurrency: true,
        limit: 50,
      };
      t.deepEqual(await getBreakdown(remote, input), await getBreakdown(embedded, input));
    }
    const series = {
      userId: user.userId,
      range: { from: '2025-04-01', to: '2026-04-01' },
      bucket: 'week' as const,
      monthStartDay: 1,
    };
    t.deepEqual(await getTimeSeries(remote, series), await getTimeSeries(embedded, series));
  }
});
