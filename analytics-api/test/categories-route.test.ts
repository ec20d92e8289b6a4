/**
 * GET /v1/categories: the whole tree with names and parents (what the dashboard loads instead of
 * keeping a copy), plus the caller's custom categories from a `ref.category-rules` snapshot read
 * through the real (embedded) event log, accepted in that user's filters; another
 * user's custom categories stay invisible and refused.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { encodeEvent, topics } from '@spendstream/core/events';
import { builtInCategories } from '../../stream-jobs/src/features/categorize/categories.js';
import { builtInCategoryTree } from '../src/domain/categories.js';
import {
  createMemoryCustomCategoryStore,
  startCustomCategoryConsumer,
} from '../src/features/categories/custom-categories.js';
import { startTestApp } from './support/test-app.js';

interface Entry {
  id: string;
  name: string;
  parentId: string | null;
  custom: boolean;
}

function snapshot(userId: string, revision: number, names: Array<[string, string, string?]>) {
  const event = {
    id: `evt_rules_${userId}_${revision}`,
    type: 'category_rules.snapshot' as const,
    version: 1 as const,
    key: userId,
    occurredAt: '2026-06-01T10:00:00.000Z',
    producedAt: '2026-06-01T10:00:00.000Z',
    source: 'analytics-api',
    payload: {
      userId,
      revision,
      rules: [],
      categories: names.map(([id, name, parentId]) => ({ id, name, parentId })),
    },
  };
  return { key: userId, value: Buffer.from(encodeEvent(topics.refCategoryRules, event)) };
}

test("the tree has every built-in category with stream-jobs' ids, names and parents, parents first", async (t) => {
  const app = await startTestApp();
  t.teardown(() => app.close());
  const response = await app.as('u-cat', '/v1/categories');
  t.is(response.status, 200);
  const { categories } = (await response.json()) as { categories: Entry[] };
  t.is(categories.length, builtInCategories.size);
  for (const category of builtInCategories.values()) {
    const entry = categories.find((candidate) => candidate.id === category.id);
    t.truthy(entry, category.id);
    t.is(entry?.parentId, category.parentId ?? null, category.id);
    // Same names; analytics writes "Food & drink" in sentence case like every other name.
    t.is(entry?.name.toLowerCase(), category.name.toLowerCase(), category.id);
    t.false(entry?.custom);
  }
  t.deepEqual(categories[0], { id: 'food', name: 'Food & drink', parentId: null, custom: false });
  t.deepEqual(categories[1], {
    id: 'groceries',
    name: 'Groceries',
    parentId: 'food',
    custom: false,
  });
  // Each parent comes before its children, in the tree's order.
  const position = new Map(categories.map((entry, index) => [entry.id, index]));
  for (const entry of categories)
    if (entry.parentId) t.true(position.get(entry.parentId)! < position.get(entry.id)!, entry.id);
  t.deepEqual(
    categories.filter((entry) => entry.parentId === null).map((entry) => entry.id),
    builtInCategoryTree.map(([id]) => id),
  );
});

test('custom categories from ref.category-rules are listed for their user only, newest revision wins', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-categories-'));
  const log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  const store = createMemoryCustomCategoryStore();
  await log.createTopic(topics.refCategoryRules, { partitions: 1 });
  const consumer = await startCustomCategoryConsumer(log, store);
  const app = await startTestApp({ customCategories: store });
  t.teardown(async () => {
    await app.close();
    await consumer.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await log.send(topics.refCategoryRules, [
    snapshot('u-custom', 2, [
      ['household', 'Household'],
      ['cleaning', 'Cleaning supplies', 'household'],
      ['vet', 'Vet', 'health'],
    ]),
    // An older revision replayed after the newer one changes nothing.
    snapshot('u-custom', 1, [['stale_one', 'Stale']]),
    { key: 'u-custom', value: '{"broken":' },
    snapshot('u-other', 1, [['secret_hobby', 'Secret hobby']]),
  ]);
  const customOf = async (userId: string) => {
    const response = await app.as(userId, '/v1/categories');
    t.is(response.status, 200);
    const { categories } = (await response.json()) as { categories: Entry[] };
    return categories.filter((entry) => entry.custom);
  };
  const deadline = Date.now() + 5_000;
  while ((await customOf('u-other')).length === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  t.deepEqual(await customOf('u-custom'), [
    { id: 'household', name: 'Household', parentId: null, custom: true },
    { id: 'cleaning', name: 'Cleaning supplies', parentId: 'household', custom: true },
    { id: 'vet', name: 'Vet', parentId: 'health', custom: true },
  ]);
  t.deepEqual(
    (await customOf('u-other')).map((entry) => entry.id),
    ['secret_hobby'],
  );
  t.deepEqual(await customOf('u-nobody'), []);

  // A user's own custom ids are accepted in filters; another user's are not. (Budget scopes are
  // checked against the stored set in the save's transaction, not this view: category-rules.test.)
  const breakdown = (userId: string, category: string) =>
    app.as(userId, `/v1/analytics/breakdown?period=month&date=2026-05-01&category=${category}`);
  t.is((await breakdown('u-custom', 'household')).status, 200);
  t.is((await breakdown('u-custom', 'groceries')).status, 200);
  t.is((await breakdown('u-other', 'household')).status, 400);
  t.is((await app.as('u-custom', '/v1/transactions?category=vet')).status, 200);
  t.is((await app.as('u-custom', '/v1/transactions?category=stale_one')).status, 400);
});

test('the categories route wants a token, refuses unknown parameters and another user', async (t) => {
  const app = await startTestApp();
  t.teardown(() => app.close());
  t.is((await fetch(`${app.url}/v1/categories`)).status, 401);
  const typo = await app.as('u-cat', '/v1/categories?lang=fr');
  t.is(typo.status, 400);
  t.like(await typo.json(), { code: 'validation_failed' });
  const forOther = await app.as('u-cat', '/v1/categories?userId=u-someone-else');
  t.is(forOther.status, 403);
  const token = await app.issuer.clientToken('bank-app', ['u-cat'], ['analytics:read']);
  const asClient = (userId: string) =>
    fetch(`${app.url}/v1/categories?userId=${userId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
  t.is((await asClient('u-cat')).status, 200);
  t.is((await asClient('u-not-listed')).status, 403);
  const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
    paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
  };
  t.deepEqual(
    doc.paths['/v1/categories']?.get?.parameters?.map((parameter) => parameter.name),
    ['userId'],
  );
});
