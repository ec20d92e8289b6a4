/**
 * The merchant key in the read model, on both backends: documents projected from
 * `transactions.enriched` keep stream-jobs' key (`countdown`) beside the display name
 * (`Countdown Ponsonby`); a whole-merchant recategorization publishes that key, never the name;
 * budgets' `scope.merchantKeys` count by it, as stream-jobs' budget alerts do; the merchant
 * breakdown lists the keys under each name; search filters by it. Documents projected before
 * analytics kept the key (SQL rows from before migration 0008, index documents without the field,
 * an index created with the old mapping) read with no key: their whole-merchant recategorization
 * sends no `merchantKey` (stream-jobs takes its stored transaction's key), and a budget by key does
 * not count them until a reprojection.
 */
import test, { type ExecutionContext } from 'ava';
import { MongoClient } from 'mongodb';
import { createSql, migrateToLatest, type Knex } from '@spendstream/core/sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { analyticsMigrations } from '../src/migrations.js';
import { revisionSlots } from '../src/features/projection/enriched-to-doc.js';
import {
  createSqlReadModelWriter,
  type ReadModelWriter,
} from '../src/features/projection/sql-read-model-writer.js';
import { createMongoReadModelWriter } from '../src/features/projection/mongo-read-model-writer.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';
import { createRemoteAnalyticsStore } from '../src/query/remote-store.js';
import { dropReadModel } from '../src/query/mongo-spread.js';
import {
  ensureSearchIndex,
  openSearchTransport,
  searchIndexDefinition,
  toIndexedSource,
  type SearchTransport,
} from '../src/query/search-index.js';
import { rollupsOf } from '../src/query/rollups.js';
import { rollupRowOf, sqlTables, transactionRowOf } from '../src/query/sql-tables.js';
import type { AnalyticsStore } from '../src/query/analytics-store.js';
import { makeDoc, testUsers } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const paris = testUsers[3]!; // Europe/Paris, EUR
const now = '2026-03-20T12:00:00Z';
const groceries = { category: 'food', subcategory: 'groceries' } as const;
/** Two branches of one merchant (one key, two names) and another merchant. */
const projected = [
  makeDoc(paris, {
    id: 'mk-ponsonby',
    occurredAt: '2026-03-05T10:00:00Z',
    amountMinor: 1500n,
    merchant: 'Countdown Ponsonby',
    merchantKey: 'countdown',
    ...groceries,
  }),
  makeDoc(paris, {
    id: 'mk-grey-lynn',
    occurredAt: '2026-03-06T10:00:00Z',
    amountMinor: 2500n,
    merchant: 'Countdown Grey Lynn',
    merchantKey: 'countdown',
    ...groceries,
  }),
  makeDoc(paris, {
    id: 'mk-new-world',
    occurredAt: '2026-03-07T10:00:00Z',
    amountMinor: 4000n,
    merchant: 'New World Victoria Park',
    merchantKey: 'raw:new-world-victoria-park',
    ...groceries,
  }),
];
/** A Countdown transaction projected before analytics kept merchant keys. */
const legacy = makeDoc(paris, {
  id: 'mk-legacy',
  occurredAt: '2026-03-04T10:00:00Z',
  amountMinor: 7000n,
  merchant: 'Countdown Ponsonby',
  merchantKey: null,
  ...groceries,
});
const version = revisionSlots;

/** The document of a row or an index document written before the key existed. */
function withoutKey<T extends Record<string, unknown>>(row: T, field: string): T {
  const { [field]: _dropped, ...rest } = row;
  return rest as T;
}

interface Backend {
  store: AnalyticsStore;
  writer: ReadModelWriter;
  sql?: Knex;
  /** Make what the writer stored searchable (the index refreshes on its own within a second). */
  settle(): Promise<void>;
}

/** SQLite: the legacy row is stored under migrations 0001-0007, then 0008 runs. */
async function embeddedBackend(t: ExecutionContext): Promise<Backend> {
  const sql = createSql({}, { sqliteFilename: ':memory:' });
  await migrateToLatest(sql, {
    scope: analyticsMigrations.scope,
    migrations: analyticsMigrations.migrations.filter((m) => m.name < '0008'),
  });
  await sql(sqlTables.transactions).insert({
    ...withoutKey(transactionRowOf(legacy), 'merchant_key'),
    version,
  });
  await sql(sqlTables.rollupsDaily).insert(
    rollupsOf([legacy]).map((rollup) => withoutKey(rollupRowOf(rollup), 'merchant_key')),
  );
  t.deepEqual(await migrateToLatest(sql, analyticsMigrations), ['0008-merchant-key']);
  return {
    store: createSqlAnalyticsStore(sql),
    writer: createSqlReadModelWriter(sql),
    sql,
    settle: async () => undefined,
  };
}

let mongoClient: MongoClient | undefined;
let search: SearchTransport | undefined;
test.after.always(async () => {
  await search?.close();
  await mongoClient?.close();
});

/**
 * FerretDB + OpenSearch: the index is created with the mapping of before (no `merchantKey`,
 * strict) holding the legacy document as it was indexed then; the start's `ensureSearchIndex`
 * adds the field; the legacy document's ledger and sums rows are written without a key.
 */
async function remoteBackend(t: ExecutionContext): Promise<Backend> {
  const servers = realServers(['MONGODB_URL', 'OPENSEARCH_URL']);
  mongoClient ??= await new MongoClient(servers.MONGODB_URL, { useBigInt64: true }).connect();
  search ??= openSearchTransport(servers.OPENSEARCH_URL);
  const transport = search;
  const mongo = mongoClient.db(uniqueName('analytics_mkey'));
  const index = uniqueName('analytics_mkey');
  t.teardown(async () => {
    await dropReadModel(mongo).catch(() => undefined);
    await transport.request('DELETE', `/${index}`).catch(() => undefined);
  });
  const { mappings } = searchIndexDefinition;
  await transport.request('PUT', `/${index}`, {
    ...searchIndexDefinition,
    mappings: { ...mappings, properties: withoutKey(mappings.properties, 'merchantKey') },
  });
  const writer = createMongoReadModelWriter({ mongo, search: transport, index });
  // The legacy ledger and sums rows have no key; its index document is the one of before.
  await t.throwsAsync(writer.apply([{ doc: legacy, version }]), {
    message: /strict_dynamic_mapping_exception|merchantKey/,
  });
  await transport.request(
    'PUT',
    `/${index}/_doc/${legacy.id}?version=${version}&version_type=external`,
    {
      ...withoutKey(toIndexedSource(legacy), 'merchantKey'),
    },
  );
  await ensureSearchIndex(transport, index);
  const mapping = (await transport.request('GET', `/${index}/_mapping`)) as Record<
    string,
    { mappings: { properties: Record<string, unknown> } }
  >;
  t.deepEqual(mapping[index]?.mappings.properties.merchantKey, { type: 'keyword' });
  return {
    store: createRemoteAnalyticsStore({ mongo, search: transport, index }),
    writer,
    settle: async () => {
      await transport.request('POST', `/${index}/_refresh`);
    },
  };
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function recategorized(app: TestApp) {
  const entry = app.publisher.published.at(-1) as {
    topic: string;
    event: { type: string; payload: Record<string, unknown> };
  };
  return entry.event.payload;
}

const backends = { sqlite: embeddedBackend, 'ferretdb+opensearch': remoteBackend } as const;

for (const [name, open] of Object.entries(backends)) {
  test(`${name}: the projected merchant key is kept, published by a merchant-wide recategorization, counted by budgets and listed by merchant`, async (t) => {
    const backend = await open(t);
    const stored = await backend.writer.apply(projected.map((doc) => ({ doc, version })));
    t.deepEqual(
      stored.map((doc) => doc.merchantKey),
      ['countdown', 'countdown', 'raw:new-world-victoria-park'],
    );
    await backend.settle();
    const app = await startTestApp({ now, store: backend.store, sql: backend.sql });
    t.teardown(() => app.close());
    const get = <T>(path: string) => app.as(paris.userId, path).then((r) => json<T>(r));

    // The lookup and the search show the key beside the name; a legacy document has none.
    t.like(await get(`/v1/transactions/mk-ponsonby`), {
      merchant: 'Countdown Ponsonby',
      merchantKey: 'countdown',
    });
    t.like(await get(`/v1/transactions/mk-legacy`), {
      merchant: 'Countdown Ponsonby',
      merchantKey: null,
    });
    const byKey = await get<{ items: Array<{ id: string }> }>(
      '/v1/transactions?merchantKey=countdown&sort=date_asc',
    );
    t.deepEqual(
      byKey.items.map((item) => item.id),
      ['mk-ponsonby', 'mk-grey-lynn'],
    );
    const byName = await get<{ items: Array<{ id: string }> }>(
      `/v1/transactions?merchant=${encodeURIComponent('Countdown Ponsonby')}&sort=date_asc`,
    );
    t.deepEqual(
      byName.items.map((item) => item.id),
      ['mk-legacy', 'mk-ponsonby'],
    );

    // A whole-merchant recategorization names stream-jobs' key, never the display name.
    const recategorize = (id: string) =>
      app.as(paris.userId, `/v1/transactions/${id}/recategorize`, {
        method: 'POST',
        body: JSON.stringify({ category: 'shopping', scope: 'merchant' }),
      });
    t.is((await recategorize('mk-ponsonby')).status, 202);
    t.like(recategorized(app), {
      transactionId: 'mk-ponsonby',
      applyToMerchant: true,
      merchantKey: 'countdown',
    });
    // Projected before the key was kept: no key in the event rather than the display name.
    t.is((await recategorize('mk-legacy')).status, 202);
    const fallback = recategorized(app);
    t.like(fallback, { transactionId: 'mk-legacy', applyToMerchant: true });
    t.false('merchantKey' in fallback, JSON.stringify(fallback));

    // The merchant breakdown names each merchant and lists its keys.
    const top = await get<{
      items: Array<{ key: string; amount: { amount: string }; merchantKeys: string[] }>;
    }>('/v1/analytics/top-merchants?period=month&date=2026-03-01');
    t.deepEqual(
      top.items.map(({ key, amount, merchantKeys }) => [key, amount.amount, merchantKeys]),
      [
        ['Countdown Ponsonby', '8500', ['countdown']],
        ['New World Victoria Park', '4000', ['raw:new-world-victoria-park']],
        ['Countdown Grey Lynn', '2500', ['countdown']],
      ],
    );

    // A budget by merchant key counts both branches (as stream-jobs' budget alerts do); the
    // display name is not a key; the legacy transaction counts once reprojected.
    const budgetSpent = async (merchantKeys: string[]) => {
      const created = await json<{ budgetId: string }>(
        await app.as(paris.userId, '/v1/budgets', {
          method: 'POST',
          body: JSON.stringify({
            name: `By ${merchantKeys.join(',')}`,
            limit: { amount: '100000', currency: 'EUR' },
            period: { kind: 'month', startDay: 1 },
            scope: { merchantKeys },
          }),
        }),
      );
      const status = await get<{ spent: { amount: string } }>(
        `/v1/budgets/${created.budgetId}/status`,
      );
      return status.spent.amount;
    };
    t.is(await budgetSpent(['countdown']), '4000');
    t.is(await budgetSpent(['Countdown Ponsonby']), '0');
    t.is(await budgetSpent(['countdown', 'raw:new-world-victoria-park']), '8000');
    await backend.writer.apply([
      { doc: { ...legacy, merchantKey: 'countdown' }, version: version + 1 },
    ]);
    await backend.settle();
    t.is(await budgetSpent(['countdown']), '11000');
    t.like(await get(`/v1/transactions/mk-legacy`), { merchantKey: 'countdown' });
  });
}
