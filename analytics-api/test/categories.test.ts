/**
 * Category ids are the pipeline's leaf ids: the catalog is stream-jobs' tree, every id is valid for
 * core's event schema, so a recategorization or a budget scope naming a subcategory is published,
 * breakdowns nest leaves under their parent, and a re-enriched event (a recategorization keeps the
 * source version) replaces the document it corrects.
 */
import test from 'ava';
import { categoryIdSchema, decodeEvent, encodeEvent, topics } from '@spendstream/core/events';
import { createSql, migrateToLatest } from '@spendstream/core/sql';
import { builtInCategories } from '../../stream-jobs/src/features/categorize/categories.js';
import { builtInCategoryTree, createDefaultCategoryCatalog } from '../src/domain/categories.js';
import { analyticsMigrations } from '../src/migrations.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';
import { createSqlReadModelWriter } from '../src/features/projection/sql-read-model-writer.js';
import {
  docFromEnriched,
  orderVersionOf,
  revisionSlots,
} from '../src/features/projection/enriched-to-doc.js';
import { generateDocs, testUsers } from './support/factories.js';
import { enrichedOf } from './support/enriched-events.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const owner = testUsers[3]!; // u-paris
const docs = generateDocs(11, 200);
const coffeeDoc = docs.find((doc) => doc.userId === owner.userId && doc.subcategory === 'coffee')!;
let app: TestApp;

test.before(async () => {
  app = await startTestApp({ docs, now: '2026-06-15T12:00:00Z' });
});
test.after.always(async () => {
  await app?.close();
});

test("the catalog is stream-jobs' category tree, and every id is a valid core category id", (t) => {
  const catalog = createDefaultCategoryCatalog();
  const ours = new Map<string, string | undefined>();
  for (const [top, , children] of builtInCategoryTree) {
    ours.set(top, undefined);
    for (const [child] of children) ours.set(child, top);
  }
  const theirs = new Map([...builtInCategories.values()].map((c) => [c.id, c.parentId]));
  t.deepEqual([...ours].sort(), [...theirs].sort());
  for (const id of ours.keys()) {
    t.true(categoryIdSchema.safeParse(id).success, id);
    t.true(catalog.has(id));
  }
  t.is(catalog.parentOf('groceries'), 'food');
  t.is(catalog.parentOf('food'), undefined);
  t.true(catalog.childrenOf('food').includes('coffee'));
  t.deepEqual(catalog.childrenOf('coffee'), []);
  t.false(catalog.has('food.groceries'), 'the old dotted form is not an id');
  t.throws(() => createDefaultCategoryCatalog(['groceries']), { message: /not unique/ });
});

test('recategorizing to a subcategory publishes an event core accepts, with the leaf ids', async (t) => {
  const response = await app.as(owner.userId, `/v1/transactions/${coffeeDoc.id}/recategorize`, {
    method: 'POST',
    body: JSON.stringify({ category: 'groceries' }),
  });
  t.is(response.status, 202);
  const published = app.publisher.published
    .filter((entry) => entry.topic === topics.transactionsCorrections)
    .at(-1)!;
  // Round-trip through core's codec: the schema forbids "." in category ids.
  const decoded = decodeEvent(
    topics.transactionsCorrections,
    encodeEvent(topics.transactionsCorrections, published.event as never),
  );
  t.like(decoded.payload, {
    transactionId: coffeeDoc.id,
    category: 'groceries',
    previousCategory: 'coffee',
  });
  const dotted = await app.as(owner.userId, `/v1/transactions/${coffeeDoc.id}/recategorize`, {
    method: 'POST',
    body: JSON.stringify({ category: 'food.groceries' }),
  });
  t.is(dotted.status, 400);
});

test('a budget scoped to a subcategory is stored and published on ref.budgets', async (t) => {
  const response = await app.as(owner.userId, '/v1/budgets', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Coffee',
      limit: { amount: '5000', currency: 'EUR' },
      period: { kind: 'month', startDay: 1 },
      scope: { categories: ['coffee'] },
      thresholds: [80, 100],
    }),
  });
  t.is(response.status, 201, await response.clone().text());
  const published = app.publisher.published.filter((entry) => entry.topic === topics.refBudgets);
  const snapshot = published.at(-1)!.event as {
    payload: { budgets: Array<{ scope: { categories: string[] } }> };
  };
  t.deepEqual(snapshot.payload.budgets.at(-1)!.scope.categories, ['coffee']);
  const status = await app.as(
    owner.userId,
    `/v1/budgets/${((await response.json()) as { budgetId: string }).budgetId}/status`,
  );
  t.is(status.status, 200);
});

test('a breakdown nests leaf ids under their parent and filters by a leaf', async (t) => {
  const response = await app.as(
    owner.userId,
    '/v1/analytics/breakdown?period=year&date=2025-06-01&category=food',
  );
  t.is(response.status, 200);
  const body = (await response.json()) as {
    items: Array<{ key: string; subcategories?: Array<{ key: string }> }>;
  };
  t.deepEqual(
    body.items.map((item) => item.key),
    ['food'],
  );
  const leaves = body.items[0]!.subcategories!.map((item) => item.key);
  t.true(leaves.length > 0);
  for (const leaf of leaves) t.is(createDefaultCategoryCatalog().parentOf(leaf), 'food');
  const byLeaf = await app.as(
    owner.userId,
    '/v1/analytics/breakdown?period=year&date=2025-06-01&category=coffee',
  );
  const leafBody = (await byLeaf.json()) as {
    items: Array<{ key: string; subcategories?: Array<{ key: string }> }>;
  };
  t.deepEqual(
    leafBody.items[0]!.subcategories!.map((item) => item.key),
    ['coffee'],
  );
  t.is(
    (await app.as(owner.userId, '/v1/analytics/breakdown?period=year&category=food.coffee')).status,
    400,
  );
});

test('the order version comes from the stream-jobs event id when it agrees with the payload', (t) => {
  t.is(orderVersionOf('tx_1:v2097153', 2), 2 * revisionSlots + 1);
  t.is(orderVersionOf('tx_1:v2097153', 3), 3 * revisionSlots, 'disagreeing id: payload only');
  t.is(orderVersionOf('evt-123', 2), 2 * revisionSlots);
  t.is(orderVersionOf(undefined, 1), revisionSlots);
});

test('a re-enriched event with the same source version but a higher revision replaces the document', async (t) => {
  const db = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => db.destroy());
  await migrateToLatest(db, analyticsMigrations);
  const writer = createSqlReadModelWriter(db);
  const store = createSqlAnalyticsStore(db);
  const original = enrichedOf(coffeeDoc, 1);
  const recategorized = enrichedOf({ ...coffeeDoc, subcategory: 'groceries' }, 1);
  await writer.apply([docFromEnriched(original, `${coffeeDoc.id}:v${revisionSlots}`)]);
  await writer.apply([docFromEnriched(recategorized, `${coffeeDoc.id}:v${revisionSlots + 1}`)]);
  // A redelivery of the first one changes nothing.
  await writer.apply([docFromEnriched(original, `${coffeeDoc.id}:v${revisionSlots}`)]);
  t.like(await store.findTransaction(owner.userId, coffeeDoc.id), { subcategory: 'groceries' });
  const rows = await store.aggregate({
    userId: owner.userId,
    from: coffeeDoc.localDate,
    to: '2100-01-01',
    groupBy: ['subcategory'],
  });
  t.deepEqual(
    rows.map((row) => row.key.subcategory),
    ['groceries'],
  );
});
