/**
 * Invariant 6 on the rule and custom-category routes: another user's rules and categories are
 * invisible (404 like a missing id, absent from lists) and unchangeable, `userId=` of another user
 * is 403, a machine client acts only for the users its token lists. Each test also shows the owner
 * getting the data, so it fails if scoping broke. Also: the OpenAPI document lists every route with
 * its If-Match, ETag and error responses.
 */
import test, { type ExecutionContext } from 'ava';
import { startTestApp, type TestApp } from './support/test-app.js';

const owner = 'u-cr-owner';
const intruder = 'u-cr-intruder';
let app: TestApp;
let ruleId: string;

test.before(async () => {
  app = await startTestApp();
  const created = await app.as(owner, '/v1/categories/custom', {
    method: 'POST',
    body: JSON.stringify({ id: 'pets', name: 'Pets' }),
  });
  if (created.status !== 201) throw new Error(await created.text());
  const rule = await app.as(owner, '/v1/category-rules', {
    method: 'POST',
    body: JSON.stringify({ priority: 1, match: { merchantContains: 'zoo' }, category: 'pets' }),
  });
  if (rule.status !== 201) throw new Error(await rule.text());
  ruleId = ((await rule.json()) as { ruleId: string }).ruleId;
});
test.after.always(async () => {
  await app?.close();
});

/** The owner's set must be exactly as created: a probe changed nothing. */
async function ownerUntouched(t: ExecutionContext) {
  const categories = await app.as(owner, '/v1/categories/custom');
  t.is(categories.headers.get('etag'), '"2"');
  t.deepEqual(await categories.json(), {
    revision: 2,
    items: [{ id: 'pets', name: 'Pets', parentId: null }],
  });
  const rules = (await (await app.as(owner, '/v1/category-rules')).json()) as {
    items: Array<{ ruleId: string; priority: number }>;
  };
  t.deepEqual(
    rules.items.map((rule) => [rule.ruleId, rule.priority]),
    [[ruleId, 1]],
  );
  const published = app.publisher.published.filter(
    (entry) =>
      entry.topic === 'ref.category-rules' && (entry.event as { key: string }).key === owner,
  );
  t.is(published.length, 2);
}

const itemRoutes = () => [
  { path: '/v1/categories/custom/pets', patch: { name: 'Mine now' } },
  { path: `/v1/category-rules/${ruleId}`, patch: { priority: 99 } },
];

for (const list of ['/v1/categories/custom', '/v1/category-rules']) {
  test(`GET ${list}: another user's list is empty and their userId is refused`, async (t) => {
    const mine = (await (await app.as(owner, list)).json()) as { items: unknown[] };
    t.is(mine.items.length, 1);
    t.deepEqual(await (await app.as(intruder, list)).json(), { revision: 0, items: [] });
    const refused = await app.as(intruder, `${list}?userId=${owner}`);
    t.is(refused.status, 403);
    t.is(refused.headers.get('content-type'), 'application/problem+json');
  });
}

test("GET, PATCH and DELETE of another user's category or rule answer 404 and change nothing", async (t) => {
  for (const { path, patch } of itemRoutes()) {
    t.is((await app.as(owner, path)).status, 200, path);
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', patch],
      ['DELETE', undefined],
    ] as const) {
      const response = await app.as(intruder, path, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      t.is(response.status, 404, `${method} ${path}`);
      t.like(await response.json(), { code: 'not_found' });
      const forOwner = await app.as(intruder, `${path}?userId=${owner}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      t.is(forOwner.status, 403, `${method} ${path}?userId=`);
    }
  }
  await ownerUntouched(t);
});

test("POST for another user is refused; the intruder's own ids and rules stay apart", async (t) => {
  for (const [path, body] of [
    ['/v1/categories/custom', { id: 'stolen', name: 'Stolen' }],
    ['/v1/category-rules', { priority: 0, match: { merchantContains: 'x' }, category: 'food' }],
  ] as const) {
    const refused = await app.as(intruder, `${path}?userId=${owner}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    t.is(refused.status, 403, path);
  }
  // The owner's custom id is free for the intruder (ids are per user) and unknown to their rules.
  const own = await app.as(intruder, '/v1/category-rules', {
    method: 'POST',
    body: JSON.stringify({ priority: 0, match: { merchantContains: 'zoo' }, category: 'pets' }),
  });
  t.is(own.status, 400);
  t.like(await own.json(), { field: 'category' });
  // (Another intruder id: the tests run at once, and the one above probes `pets` as `intruder`.)
  const same = await app.as(`${intruder}-2`, '/v1/categories/custom', {
    method: 'POST',
    body: JSON.stringify({ id: 'pets', name: 'My pets' }),
  });
  t.is(same.status, 201);
  t.is(same.headers.get('etag'), '"1"', "the intruder's set has its own revision");
  await ownerUntouched(t);
});

test('a machine client acts only for the users its token lists', async (t) => {
  const token = await app.issuer.clientToken(
    'coach-app',
    [owner],
    ['analytics:read', 'transactions:write'],
  );
  const call = (path: string) =>
    fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const listed = await call(`/v1/category-rules?userId=${owner}`);
  t.is(listed.status, 200);
  t.is(((await listed.json()) as { items: unknown[] }).items.length, 1);
  t.is((await call(`/v1/category-rules?userId=${intruder}`)).status, 403);
  t.is((await call(`/v1/categories/custom/pets?userId=${intruder}`)).status, 403);
});

test('the OpenAPI document lists every route with its If-Match, ETag and error responses', async (t) => {
  type Operation = {
    parameters?: Array<{ name: string; in: string }>;
    responses: Record<string, { headers?: Record<string, unknown> }>;
    requestBody?: unknown;
  };
  const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  const expected: Array<[string, string[]]> = [
    ['/v1/categories/custom', ['get', 'post']],
    ['/v1/categories/custom/{id}', ['get', 'patch', 'delete']],
    ['/v1/category-rules', ['get', 'post']],
    ['/v1/category-rules/{id}', ['get', 'patch', 'delete']],
  ];
  for (const [path, methods] of expected) {
    t.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), [...methods].sort(), path);
    for (const method of methods) {
      const operation = doc.paths[path]![method]!;
      const names = operation.parameters?.map((parameter) => parameter.name) ?? [];
      const change = method !== 'get';
      t.is(names.includes('If-Match'), change, `${method} ${path} If-Match`);
      t.true(names.includes('userId'), `${method} ${path} userId`);
      t.is(names.includes('id'), path.endsWith('{id}'), `${method} ${path} id`);
      const success = Object.keys(operation.responses)[0]!;
      t.truthy(operation.responses[success]?.headers?.ETag, `${method} ${path} ETag`);
      if (change) t.truthy(operation.responses['412'], `${method} ${path} 412`);
      if (method === 'post' || method === 'patch') t.truthy(operation.requestBody);
    }
  }
});
