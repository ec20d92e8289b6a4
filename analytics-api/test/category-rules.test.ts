/**
 * Custom categories and categorization rules over HTTP on the embedded SQLite: CRUD, each change
 * publishing the user's whole set as `category_rules.snapshot` on ref.category-rules (read back
 * from the embedded event log and decoded with core's codec), validation and conflicts as
 * problem+json, If-Match (412), the per-user limits, scopes, and a new custom category accepted by
 * filters and recategorizations at once.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventLog, type Consumer, type EventLog } from '@spendstream/core/event-log';
import {
  categoryRuleSchema,
  categoryRulesPerUserMax,
  customCategoriesPerUserMax,
  decodeEvent,
  topics,
  topicSpecs,
  type CategoryRulesSnapshotV1,
} from '@spendstream/core/events';
import { categoryDepthMax } from '../../stream-jobs/src/features/categorize/categories.js';
import { createEventLogPublisher } from '../src/domain/event-publisher.js';
import { customCategoryDepthMax } from '../src/features/category-rules/category-rule-service.js';
import { categoryRuleTables } from '../src/features/category-rules/category-rule-store.js';
import { makeDoc, testUsers } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const paris = testUsers[3]!;
const parisDoc = makeDoc(paris, { id: 'cr-tx-1', occurredAt: '2026-05-10T10:00:00Z' });
let app: TestApp;
let log: EventLog;
let consumer: Consumer;
let dir: string;
/** Every snapshot read back from the embedded log, with its message key. */
const received: Array<{ key: string; payload: CategoryRulesSnapshotV1 }> = [];

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'analytics-category-rules-'));
  log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  for (const topic of [topics.refCategoryRules, topics.transactionsCorrections])
    await log.createTopic(topic, { partitions: topicSpecs[topic].partitions });
  consumer = await log.subscribe({
    groupId: 'category-rules-test',
    topics: [topics.refCategoryRules],
    async handler(batch) {
      for (const message of batch.messages) {
        const event = decodeEvent(topics.refCategoryRules, message.value);
        received.push({ key: message.key, payload: event.payload });
      }
    },
  });
  app = await startTestApp({ docs: [parisDoc], publishTo: createEventLogPublisher(log) });
});
test.after.always(async () => {
  await app?.close();
  await consumer?.close();
  await log?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The snapshots of `userId` read back from the log, once there are `count` of them. */
async function snapshotsOf(userId: string, count: number) {
  const deadline = Date.now() + 5_000;
  const mine = () => received.filter((entry) => entry.key === userId);
  while (mine().length < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return mine();
}

function send(userId: string, method: string, path: string, body?: unknown, ifMatch?: string) {
  const headers: Record<string, string> = {};
  if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  return app.as(userId, path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function ok<T = Record<string, unknown>>(response: Response, status = 200): Promise<T> {
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status} ${await response.text()}`);
  return (status === 204 ? undefined : await response.json()) as T;
}

async function problem(
  t: ExecutionContext,
  response: Response,
  status: number,
  code: string,
  field?: string,
) {
  t.is(response.status, status);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  const body = (await response.json()) as { code: string; field?: string; detail: string };
  t.is(body.code, code);
  if (field !== undefined) t.is(body.field, field);
  return body;
}

const revisionOf = async (userId: string) =>
  (await ok<{ revision: number }>(await app.as(userId, '/v1/category-rules'))).revision;

test('custom categories: create, list, read, rename, move and delete, each publishing the whole set', async (t) => {
  const user = 'u-cr-crud';
  const pets = await ok<{ id: string; name: string; parentId: string | null }>(
    await send(user, 'POST', '/v1/categories/custom', { id: 'pets', name: 'Pets' }),
    201,
  );
  t.deepEqual(pets, { id: 'pets', name: 'Pets', parentId: null });
  const vet = await send(user, 'POST', '/v1/categories/custom', {
    id: 'vet',
    name: 'Vet',
    parentId: 'health',
  });
  t.is(vet.headers.get('location'), '/v1/categories/custom/vet');
  t.is(vet.headers.get('etag'), '"2"');
  t.deepEqual(await ok(vet, 201), { id: 'vet', name: 'Vet', parentId: 'health' });
  // Without an id, one is generated.
  const toys = await ok<{ id: string }>(
    await send(user, 'POST', '/v1/categories/custom', { name: 'Toys', parentId: 'pets' }),
    201,
  );
  t.regex(toys.id, /^custom-[0-9a-f]{16}$/);

  const list = await app.as(user, '/v1/categories/custom');
  t.is(list.headers.get('etag'), '"3"');
  t.deepEqual(await ok(list), {
    revision: 3,
    items: [
      { id: 'pets', name: 'Pets', parentId: null },
      { id: 'vet', name: 'Vet', parentId: 'health' },
      { id: toys.id, name: 'Toys', parentId: 'pets' },
    ],
  });
  const one = await app.as(user, '/v1/categories/custom/vet');
  t.is(one.headers.get('etag'), '"3"');
  t.deepEqual(await ok(one), { id: 'vet', name: 'Vet', parentId: 'health' });

  t.deepEqual(
    await ok(
      await send(user, 'PATCH', '/v1/categories/custom/vet', {
        name: 'Vet bills',
        parentId: 'pets',
      }),
    ),
    { id: 'vet', name: 'Vet bills', parentId: 'pets' },
  );
  t.deepEqual(
    await ok(await send(user, 'PATCH', '/v1/categories/custom/vet', { parentId: null })),
    { id: 'vet', name: 'Vet bills', parentId: null },
  );
  const deleted = await send(user, 'DELETE', `/v1/categories/custom/${toys.id}`);
  t.is(deleted.status, 204);
  t.is(deleted.headers.get('etag'), '"6"');
  await problem(t, await app.as(user, `/v1/categories/custom/${toys.id}`), 404, 'not_found', 'id');

  // The category tree lists them at once (the view recategorizations and filters read).
  const tree = await ok<{ categories: Array<{ id: string; custom: boolean }> }>(
    await app.as(user, '/v1/categories'),
  );
  t.deepEqual(
    tree.categories.filter((entry) => entry.custom).map((entry) => entry.id),
    ['pets', 'vet'],
  );

  const snapshots = await snapshotsOf(user, 6);
  t.is(snapshots.length, 6);
  t.deepEqual(
    snapshots.map((entry) => entry.payload.revision),
    [1, 2, 3, 4, 5, 6],
  );
  t.true(snapshots.every((entry) => entry.payload.userId === user));
  t.deepEqual(snapshots[2]!.payload.categories, [
    { id: 'pets', name: 'Pets' },
    { id: 'vet', name: 'Vet', parentId: 'health' },
    { id: toys.id, name: 'Toys', parentId: 'pets' },
  ]);
  t.deepEqual(snapshots[3]!.payload.categories[1], {
    id: 'vet',
    name: 'Vet bills',
    parentId: 'pets',
  });
  t.deepEqual(snapshots[5]!.payload.categories, [
    { id: 'pets', name: 'Pets' },
    { id: 'vet', name: 'Vet bills' },
  ]);
  t.deepEqual(snapshots[5]!.payload.rules, []);
});

test('custom categories: unknown parents, taken ids, cycles, depth and bad bodies are refused and change nothing', async (t) => {
  const user = 'u-cr-bad-categories';
  await ok(await send(user, 'POST', '/v1/categories/custom', { id: 'a', name: 'A' }), 201);
  await ok(
    await send(user, 'POST', '/v1/categories/custom', { id: 'b', name: 'B', parentId: 'a' }),
    201,
  );
  const create = (body: unknown) => send(user, 'POST', '/v1/categories/custom', body);
  await problem(
    t,
    await create({ name: 'X', parentId: 'nope' }),
    400,
    'validation_failed',
    'parentId',
  );
  const builtIn = await problem(
    t,
    await create({ id: 'groceries', name: 'Mine' }),
    409,
    'conflict',
    'id',
  );
  t.regex(builtIn.detail, /built-in/);
  await problem(t, await create({ id: 'a', name: 'Again' }), 409, 'conflict', 'id');
  await problem(t, await create({ id: 'Bad.Id', name: 'X' }), 400, 'validation_failed', 'id');
  await problem(t, await create({ id: 'x', name: '' }), 400, 'validation_failed', 'name');
  await problem(t, await create({ id: 'x', name: 'X', colour: 'red' }), 400, 'validation_failed');
  const cycle = await problem(
    t,
    await send(user, 'PATCH', '/v1/categories/custom/a', { parentId: 'b' }),
    400,
    'validation_failed',
    'parentId',
  );
  t.regex(cycle.detail, /cycle/);
  await problem(
    t,
    await send(user, 'PATCH', '/v1/categories/custom/a', { parentId: 'a' }),
    400,
    'validation_failed',
    'parentId',
  );
  // food > groceries > a > b is 4 deep; c under b makes 5 (allowed), d under c 6 (refused).
  await ok(await send(user, 'PATCH', '/v1/categories/custom/a', { parentId: 'groceries' }));
  await ok(
    await send(user, 'POST', '/v1/categories/custom', { id: 'c', name: 'C', parentId: 'b' }),
    201,
  );
  const deep = await problem(
    t,
    await create({ id: 'd', name: 'D', parentId: 'c' }),
    400,
    'validation_failed',
    'parentId',
  );
  t.regex(deep.detail, /6 levels deep; at most 5/);
  // Moving a subtree deeper is checked on its descendants too.
  await problem(
    t,
    await send(user, 'PATCH', '/v1/categories/custom/b', { parentId: 'c' }),
    400,
    'validation_failed',
  );
  await problem(
    t,
    await send(user, 'PATCH', '/v1/categories/custom/nope', { name: 'N' }),
    404,
    'not_found',
  );
  // A parent still in use cannot go.
  const parent = await problem(
    t,
    await send(user, 'DELETE', '/v1/categories/custom/a'),
    409,
    'conflict',
    'id',
  );
  t.regex(parent.detail, /parent of b/);
  t.is(await revisionOf(user), 4, 'no refused change bumped the revision');
  t.is((await snapshotsOf(user, 4)).length, 4, 'no refused change published');
});

test('the depth limit is the one stream-jobs resolves', (t) => {
  t.is(customCategoryDepthMax, categoryDepthMax);
});

const coffeeRule = {
  priority: 10,
  match: { merchantContains: 'coffee', amountMax: { amount: '1500', currency: 'EUR' } },
  category: 'coffee',
  addTags: ['caffeine'],
};

test('rules: create, list, read, change and delete, each publishing the whole set with the categories', async (t) => {
  const user = 'u-cr-rules';
  await ok(await send(user, 'POST', '/v1/categories/custom', { id: 'pets', name: 'Pets' }), 201);
  const created = await send(user, 'POST', '/v1/category-rules', coffeeRule);
  t.is(created.headers.get('etag'), '"2"');
  const rule = await ok<{ ruleId: string; createdAt: string }>(created, 201);
  t.regex(rule.ruleId, /^rule_[0-9a-f]{32}$/);
  t.is(created.headers.get('location'), `/v1/category-rules/${rule.ruleId}`);
  t.like(rule, { ...coffeeRule, origin: 'user' });
  const petRule = await ok<{ ruleId: string }>(
    await send(user, 'POST', '/v1/category-rules', {
      priority: 5,
      match: { mcc: ['0742'], kinds: ['expense'] },
      category: 'pets',
    }),
    201,
  );

  const list = await ok<{ revision: number; items: Array<{ ruleId: string }> }>(
    await app.as(user, '/v1/category-rules'),
  );
  t.is(list.revision, 3);
  t.deepEqual(
    list.items.map((item) => item.ruleId),
    [rule.ruleId, petRule.ruleId],
  );
  t.like(await ok(await app.as(user, `/v1/category-rules/${rule.ruleId}`)), coffeeRule);

  const changed = await ok(
    await send(user, 'PATCH', `/v1/category-rules/${rule.ruleId}`, {
      priority: 1,
      match: { descriptionContains: 'latte' },
    }),
  );
  t.like(changed, {
    ruleId: rule.ruleId,
    priority: 1,
    match: { descriptionContains: 'latte' },
    category: 'coffee',
    addTags: ['caffeine'],
    createdAt: rule.createdAt,
  });
  t.false('merchantContains' in (changed.match as object), 'match is replaced whole');
  // A category a rule names cannot be deleted.
  const used = await problem(
    t,
    await send(user, 'DELETE', '/v1/categories/custom/pets'),
    409,
    'conflict',
    'id',
  );
  t.true(used.detail.includes(petRule.ruleId));
  t.is((await send(user, 'DELETE', `/v1/category-rules/${petRule.ruleId}`)).status, 204);
  t.is((await send(user, 'DELETE', '/v1/categories/custom/pets')).status, 204);
  await problem(t, await app.as(user, `/v1/category-rules/${petRule.ruleId}`), 404, 'not_found');

  const snapshots = await snapshotsOf(user, 6);
  t.deepEqual(
    snapshots.map((entry) => entry.payload.revision),
    [1, 2, 3, 4, 5, 6],
  );
  const third = snapshots[2]!.payload;
  t.deepEqual(
    third.rules.map((item) => item.ruleId),
    [rule.ruleId, petRule.ruleId],
  );
  t.deepEqual(third.categories, [{ id: 'pets', name: 'Pets' }]);
  t.deepEqual(third.rules[0], categoryRuleSchema.parse({ ...rule }));
  t.is(third.rules[0]!.match.amountMax?.amount, 1500n);
  t.like(snapshots[3]!.payload.rules[0], { priority: 1, match: { descriptionContains: 'latte' } });
  t.deepEqual(
    snapshots[4]!.payload.rules.map((item) => item.ruleId),
    [rule.ruleId],
  );
  t.deepEqual(snapshots[5]!.payload.categories, []);
});

test('rules: unknown categories, empty or unknown conditions and inverted amounts are refused', async (t) => {
  const user = 'u-cr-bad-rules';
  const create = (body: unknown) => send(user, 'POST', '/v1/category-rules', body);
  await problem(
    t,
    await create({ ...coffeeRule, category: 'nope' }),
    400,
    'validation_failed',
    'category',
  );
  await problem(t, await create({ ...coffeeRule, match: {} }), 400, 'validation_failed', 'match');
  await problem(
    t,
    await create({ ...coffeeRule, match: { merchantContain: 'typo' } }),
    400,
    'validation_failed',
    'match',
  );
  await problem(
    t,
    await create({
      ...coffeeRule,
      match: {
        amountMin: { amount: '2000', currency: 'EUR' },
        amountMax: { amount: '1000', currency: 'EUR' },
      },
    }),
    400,
    'validation_failed',
    'match.amountMax',
  );
  await problem(
    t,
    await create({
      ...coffeeRule,
      match: {
        amountMin: { amount: '1', currency: 'EUR' },
        amountMax: { amount: '1000', currency: 'USD' },
      },
    }),
    400,
    'validation_failed',
    'match.amountMax',
  );
  await problem(
    t,
    await create({ ...coffeeRule, priority: -1 }),
    400,
    'validation_failed',
    'priority',
  );
  await problem(
    t,
    await create({ ...coffeeRule, match: { amountMin: { amount: '1.5', currency: 'EUR' } } }),
    400,
    'validation_failed',
  );
  await problem(t, await create({ ...coffeeRule, ruleId: 'mine' }), 400, 'validation_failed');
  const { ruleId } = await ok<{ ruleId: string }>(await create(coffeeRule), 201);
  await problem(
    t,
    await send(user, 'PATCH', `/v1/category-rules/${ruleId}`, { category: 'nope' }),
    400,
    'validation_failed',
    'category',
  );
  await problem(
    t,
    await send(user, 'PATCH', '/v1/category-rules/rule_missing', { priority: 3 }),
    404,
    'not_found',
  );
  await problem(t, await send(user, 'DELETE', '/v1/category-rules/rule_missing'), 404, 'not_found');
  t.is(await revisionOf(user), 1);
});

test('If-Match: a change names the revision it read; another one gets 412 and changes nothing', async (t) => {
  const user = 'u-cr-if-match';
  const first = await send(
    user,
    'POST',
    '/v1/categories/custom',
    { id: 'pets', name: 'Pets' },
    '"0"',
  );
  t.is(first.status, 201);
  const etag = first.headers.get('etag')!;
  t.is(etag, '"1"');
  t.is((await app.as(user, '/v1/category-rules')).headers.get('etag'), etag);

  const renamed = await send(
    user,
    'PATCH',
    '/v1/categories/custom/pets',
    { name: 'Animals' },
    etag,
  );
  t.is(renamed.status, 200);
  t.is(renamed.headers.get('etag'), '"2"');
  // The same stale tag again, on every kind of change.
  const stale = await problem(
    t,
    await send(user, 'PATCH', '/v1/categories/custom/pets', { name: 'Lost update' }, etag),
    412,
    'precondition_failed',
    'If-Match',
  );
  t.regex(stale.detail, /revision 2/);
  await problem(
    t,
    await send(user, 'DELETE', '/v1/categories/custom/pets', undefined, etag),
    412,
    'precondition_failed',
  );
  await problem(
    t,
    await send(user, 'POST', '/v1/category-rules', coffeeRule, etag),
    412,
    'precondition_failed',
  );
  await problem(
    t,
    await send(user, 'POST', '/v1/category-rules', coffeeRule, 'W/"2"'),
    412,
    'precondition_failed',
  );
  await problem(
    t,
    await send(user, 'POST', '/v1/category-rules', coffeeRule, 'garbage'),
    412,
    'precondition_failed',
  );
  t.deepEqual(await ok(await app.as(user, '/v1/categories/custom/pets')), {
    id: 'pets',
    name: 'Animals',
    parentId: null,
  });
  t.is(await revisionOf(user), 2);
  t.is((await snapshotsOf(user, 2)).length, 2);

  // A list naming the current revision, or `*`, passes; so does no header at all.
  const rule = await send(user, 'POST', '/v1/category-rules', coffeeRule, '"1", "2"');
  t.is(rule.status, 201);
  t.is(rule.headers.get('etag'), '"3"');
  const { ruleId } = (await rule.json()) as { ruleId: string };
  t.is(
    (await send(user, 'PATCH', `/v1/category-rules/${ruleId}`, { priority: 2 }, '*')).status,
    200,
  );
  t.is((await send(user, 'DELETE', `/v1/category-rules/${ruleId}`, undefined, '"4"')).status, 204);
  t.is(await revisionOf(user), 5);
});

test(`limits: ${customCategoriesPerUserMax} custom categories and ${categoryRulesPerUserMax} rules per user, then 409`, async (t) => {
  const user = 'u-cr-limits';
  // Fill to one below each limit in bulk; the last one and the refusal go through HTTP.
  const createdAt = '2026-01-01T00:00:00.000Z';
  const categories = Array.from({ length: customCategoriesPerUserMax - 1 }, (_, index) => ({
    user_id: user,
    category_id: `bulk-${index}`,
    body: JSON.stringify({ id: `bulk-${index}`, name: `Bulk ${index}` }),
    created_at: createdAt,
  }));
  const rules = Array.from({ length: categoryRulesPerUserMax - 1 }, (_, index) => ({
    user_id: user,
    rule_id: `rule_bulk_${index}`,
    body: JSON.stringify(
      categoryRuleSchema.encode(
        categoryRuleSchema.parse({
          ruleId: `rule_bulk_${index}`,
          priority: index,
          match: { merchantKey: `m-${index}` },
          category: 'food',
          createdAt,
        }),
      ),
    ),
    created_at: createdAt,
  }));
  await app.sql.batchInsert(categoryRuleTables.categories, categories, 100);
  await app.sql.batchInsert(categoryRuleTables.rules, rules, 100);

  await ok(await send(user, 'POST', '/v1/categories/custom', { id: 'last', name: 'Last' }), 201);
  const categoryLimit = await problem(
    t,
    await send(user, 'POST', '/v1/categories/custom', { id: 'one-more', name: 'One more' }),
    409,
    'conflict',
  );
  t.regex(
    categoryLimit.detail,
    new RegExp(`at most ${customCategoriesPerUserMax} custom categories`),
  );
  await ok(await send(user, 'POST', '/v1/category-rules', coffeeRule), 201);
  const ruleLimit = await problem(
    t,
    await send(user, 'POST', '/v1/category-rules', coffeeRule),
    409,
    'conflict',
  );
  t.regex(ruleLimit.detail, new RegExp(`at most ${categoryRulesPerUserMax} rules`));

  const snapshots = await snapshotsOf(user, 2);
  t.is(snapshots.length, 2);
  t.is(snapshots[1]!.payload.rules.length, categoryRulesPerUserMax);
  t.is(snapshots[1]!.payload.categories.length, customCategoriesPerUserMax);
  // Deleting one makes room again.
  t.is((await send(user, 'DELETE', '/v1/categories/custom/bulk-0')).status, 204);
  t.is(
    (await send(user, 'POST', '/v1/categories/custom', { id: 'one-more', name: 'One more' }))
      .status,
    201,
  );
});

test('a new custom category is accepted by recategorize and filters at once; before it exists it is a 400', async (t) => {
  const user = paris.userId;
  const recategorize = () =>
    send(user, 'POST', `/v1/transactions/${parisDoc.id}/recategorize`, { category: 'hobby' });
  await problem(t, await recategorize(), 400, 'validation_failed');
  t.is((await app.as(user, '/v1/transactions?category=hobby')).status, 400);
  await ok(await send(user, 'POST', '/v1/categories/custom', { id: 'hobby', name: 'Hobby' }), 201);
  const accepted = await recategorize();
  t.is(accepted.status, 202, await accepted.clone().text());
  t.is((await app.as(user, '/v1/transactions?category=hobby')).status, 200);
  const corrections = app.publisher.published.filter(
    (entry) => entry.topic === topics.transactionsCorrections,
  );
  t.like(corrections.at(-1)?.event, { key: user, payload: { category: 'hobby' } });
  // Another user's custom category stays unknown to this user.
  await ok(
    await send('u-cr-other', 'POST', '/v1/categories/custom', { id: 'secret', name: 'S' }),
    201,
  );
  await problem(
    t,
    await send(user, 'POST', `/v1/transactions/${parisDoc.id}/recategorize`, {
      category: 'secret',
    }),
    400,
    'validation_failed',
  );
});

test('changes need the transactions:write scope; reads analytics:read', async (t) => {
  const token = await app.issuer.userToken('u-cr-scopes', { scopes: ['analytics:read'] });
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  t.is((await call('GET', '/v1/categories/custom')).status, 200);
  t.is((await call('GET', '/v1/category-rules')).status, 200);
  t.is((await call('POST', '/v1/categories/custom', { id: 'x', name: 'X' })).status, 403);
  t.is((await call('POST', '/v1/category-rules', coffeeRule)).status, 403);
  t.is((await call('DELETE', '/v1/category-rules/rule_x')).status, 403);
  const writer = await app.issuer.userToken('u-cr-scopes', { scopes: ['transactions:write'] });
  const read = await fetch(`${app.url}/v1/category-rules`, {
    headers: { authorization: `Bearer ${writer}` },
  });
  t.is(read.status, 403);
  t.is((await fetch(`${app.url}/v1/category-rules`)).status, 401);
});

test('concurrent changes of one user: snapshots leave in revision order and the last is the whole newest set', async (t) => {
  const user = 'u-cr-concurrent';
  const changes = 10;
  const responses = await Promise.all(
    Array.from({ length: changes }, (_, index) =>
      send(user, 'POST', '/v1/category-rules', { ...coffeeRule, priority: index }),
    ),
  );
  t.deepEqual(
    responses.map((response) => response.status),
    Array.from({ length: changes }, () => 201),
  );
  t.deepEqual(
    responses
      .map((response) => Number(response.headers.get('etag')!.slice(1, -1)))
      .sort((a, b) => a - b),
    Array.from({ length: changes }, (_, index) => index + 1),
  );
  const deadline = Date.now() + 5_000;
  const mine = () => received.filter((entry) => entry.key === user);
  while (mine().at(-1)?.payload.revision !== changes && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const revisions = mine().map((entry) => entry.payload.revision);
  t.deepEqual(
    revisions,
    [...revisions].sort((a, b) => a - b),
    'never an older set after a newer one',
  );
  const last = mine().at(-1)!.payload;
  t.is(last.revision, changes);
  t.deepEqual(
    last.rules.map((rule) => rule.priority).sort((a, b) => a - b),
    Array.from({ length: changes }, (_, index) => index),
  );
});

test('a custom category named by a budget is not deleted (409 naming the budgets); a budget naming an unknown one is a 400', async (t) => {
  const user = 'u-cr-budgets';
  const budgetBody = (name: string, categories: string[]) => ({
    name,
    limit: { amount: '5000', currency: 'EUR' },
    period: { kind: 'month', startDay: 1 },
    scope: { categories, walletIds: [], tags: [], merchantKeys: [] },
  });
  // Before the category exists, a budget naming it is refused and nothing is stored.
  await problem(
    t,
    await send(user, 'POST', '/v1/budgets', budgetBody('Pets', ['pets'])),
    400,
    'validation_failed',
    'scope.categories',
  );
  t.deepEqual(await ok(await app.as(user, '/v1/budgets')), { items: [] });
  await ok(await send(user, 'POST', '/v1/categories/custom', { id: 'pets', name: 'Pets' }), 201);
  const created = await ok<{ budgetId: string }>(
    await send(user, 'POST', '/v1/budgets', budgetBody('Pets', ['groceries', 'pets'])),
    201,
  );
  const second = await ok<{ budgetId: string }>(
    await send(user, 'POST', '/v1/budgets', budgetBody('All pets', ['pets'])),
    201,
  );
  const revision = await revisionOf(user);
  const refused = await problem(
    t,
    await send(user, 'DELETE', '/v1/categories/custom/pets'),
    409,
    'conflict',
    'id',
  );
  t.regex(refused.detail, new RegExp(`${created.budgetId} \\("Pets"\\)`));
  t.regex(refused.detail, new RegExp(`${second.budgetId} \\("All pets"\\)`));
  t.regex(refused.detail, /2 budget\(s\)/);
  t.is(await revisionOf(user), revision, 'a refused delete changes nothing');
  t.is((await app.as(user, '/v1/categories/custom/pets')).status, 200);
  // Another user's custom id is unknown to this user's budgets; their own budget is untouched.
  await ok(
    await send('u-cr-budgets-2', 'POST', '/v1/categories/custom', { id: 'fish', name: 'F' }),
    201,
  );
  await problem(
    t,
    await send(user, 'PATCH', `/v1/budgets/${created.budgetId}`, {
      scope: budgetBody('', ['fish']).scope,
    }),
    400,
    'validation_failed',
    'scope.categories',
  );
  // Once no budget names it, the delete goes through, and a budget cannot name it again.
  await ok(
    await send(user, 'PATCH', `/v1/budgets/${created.budgetId}`, {
      scope: budgetBody('', ['groceries']).scope,
    }),
  );
  await problem(t, await send(user, 'DELETE', '/v1/categories/custom/pets'), 409, 'conflict', 'id');
  await ok(await send(user, 'DELETE', `/v1/budgets/${second.budgetId}`), 204);
  await ok(await send(user, 'DELETE', '/v1/categories/custom/pets'), 204);
  t.is(await revisionOf(user), revision + 1);
  await problem(
    t,
    await send(user, 'PATCH', `/v1/budgets/${created.budgetId}`, {
      scope: budgetBody('', ['pets']).scope,
    }),
    400,
    'validation_failed',
    'scope.categories',
  );
  const { items } = await ok<{ items: Array<{ scope: { categories: string[] } }> }>(
    await app.as(user, '/v1/budgets'),
  );
  t.deepEqual(
    items.map((budget) => budget.scope.categories),
    [['groceries']],
  );
});
