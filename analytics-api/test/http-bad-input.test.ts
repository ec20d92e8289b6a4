/**
 * Bad input gets a clear 4xx as problem+json naming the field: unknown categories, inverted and
 * huge date ranges, page sizes over the limit, malformed queries, cursors and bodies.
 */
import test from 'ava';
import { budgetsPerUserMax } from '@spendstream/core/events';
import { generateDocs } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ docs: generateDocs(3, 50), now: '2026-06-15T12:00:00Z' });
});
test.after.always(async () => {
  await app?.close();
});

const cases: Array<[string, string, number, string]> = [
  [
    'unknown category in a breakdown',
    '/v1/analytics/breakdown?category=food,nonsense',
    400,
    'category',
  ],
  ['unknown category in a search', '/v1/transactions?category=unicorns', 400, 'category'],
  ['inverted date range', '/v1/analytics/cash-flow?from=2026-03-10&to=2026-03-01', 400, 'to'],
  ['inverted search range', '/v1/transactions?from=2026-03-10&to=2026-03-01', 400, 'to'],
  ['huge date range', '/v1/analytics/time-series?from=2020-01-01&to=2026-01-01', 400, 'to'],
  ['huge search range', '/v1/transactions?from=2019-01-01&to=2026-01-01', 400, 'to'],
  ['from without to', '/v1/analytics/breakdown?from=2026-01-01', 400, 'to'],
  [
    'period and range together',
    '/v1/analytics/breakdown?period=month&from=2026-01-01&to=2026-01-31',
    400,
    'period',
  ],
  ['search page size over the limit', '/v1/transactions?limit=101', 400, 'limit'],
  ['alert page size over the limit', '/v1/alerts?limit=1000', 400, 'limit'],
  ['page size zero', '/v1/transactions?limit=0', 400, 'limit'],
  ['unknown parameter', '/v1/analytics/breakdown?colour=red', 400, '(root)'],
  ['impossible date', '/v1/analytics/breakdown?date=2026-02-30', 400, 'date'],
  ['unknown dimension', '/v1/analytics/breakdown?by=colour', 400, 'by'],
  ['start day beyond 28', '/v1/analytics/breakdown?startDay=31', 400, 'startDay'],
  ['fractional amount', '/v1/transactions?minAmount=12.50', 400, 'minAmount'],
  ['inverted amount range', '/v1/transactions?minAmount=500&maxAmount=100', 400, 'maxAmount'],
  ['junk cursor', '/v1/transactions?cursor=!!!', 400, 'cursor'],
  [
    'a cursor of another sort',
    `/v1/transactions?sort=amount_asc&cursor=${Buffer.from(JSON.stringify({ s: 'date_desc', v: '2026-01-01T00:00:00.000Z', id: 'x' })).toString('base64url')}`,
    400,
    'cursor',
  ],
  ['unknown sort', '/v1/transactions?sort=random', 400, 'sort'],
  ['bad bucket', '/v1/analytics/time-series?bucket=hour', 400, 'bucket'],
  ['bad Last-Event-ID', '/v1/alerts/stream?lastEventId=abc', 400, 'Last-Event-ID'],
  ['bad boolean', '/v1/analytics/breakdown?byCurrency=yes', 400, 'byCurrency'],
  [
    'inverted alert range',
    '/v1/alerts?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    400,
    'to',
  ],
  ['a date whose month ends past 9999', '/v1/analytics/breakdown?date=9999-12-31', 400, 'date'],
  ['a search from year 1', '/v1/transactions?from=0001-01-01&to=0001-01-02', 400, 'from'],
  [
    'a date cursor holding no instant',
    `/v1/transactions?cursor=${Buffer.from(JSON.stringify({ s: 'date_desc', v: 'x', id: 'x' })).toString('base64url')}`,
    400,
    'cursor',
  ],
  [
    'an amount cursor holding no amount',
    `/v1/transactions?sort=amount_desc&cursor=${Buffer.from(JSON.stringify({ s: 'amount_desc', v: '1e5', id: 'x' })).toString('base64url')}`,
    400,
    'cursor',
  ],
];

for (const [name, path, status, field] of cases) {
  test(`${name} is a ${status} naming ${field}`, async (t) => {
    const response = await app.as('u-paris', path);
    t.is(response.status, status);
    t.is(response.headers.get('content-type'), 'application/problem+json');
    const problem = (await response.json()) as {
      code: string;
      field?: string;
      detail: string;
      errors: Array<{ path: string }>;
    };
    t.is(problem.code, 'validation_failed');
    t.true(
      problem.field === field || problem.errors.some((error) => error.path === field),
      `field ${problem.field} / ${JSON.stringify(problem.errors)}: ${problem.detail}`,
    );
  });
}

const budgetCases: Array<[string, unknown, string]> = [
  [
    'an unknown category',
    {
      name: 'B',
      limit: { amount: '100', currency: 'EUR' },
      period: { kind: 'month' },
      scope: { categories: ['nonsense'] },
    },
    'scope.categories',
  ],
  [
    'a fractional limit',
    { name: 'B', limit: { amount: '10.5', currency: 'EUR' }, period: { kind: 'month' } },
    'limit.amount',
  ],
  [
    'a limit in a foreign currency',
    { name: 'B', limit: { amount: '100', currency: 'USD' }, period: { kind: 'month' } },
    'limit.currency',
  ],
  [
    'a start day of 31',
    {
      name: 'B',
      limit: { amount: '100', currency: 'EUR' },
      period: { kind: 'month', startDay: 31 },
    },
    'period.startDay',
  ],
  [
    'descending thresholds',
    {
      name: 'B',
      limit: { amount: '100', currency: 'EUR' },
      period: { kind: 'week' },
      thresholds: [90, 50],
    },
    'thresholds',
  ],
  [
    'an unknown field',
    {
      name: 'B',
      limit: { amount: '100', currency: 'EUR' },
      period: { kind: 'week' },
      colour: 'red',
    },
    '(root)',
  ],
];

for (const [name, body, field] of budgetCases) {
  test(`a budget with ${name} is a 400 naming ${field}`, async (t) => {
    const response = await app.as('u-paris', '/v1/budgets', {
      method: 'POST',
      body: JSON.stringify(body),
    });
    t.is(response.status, 400);
    const problem = (await response.json()) as { field?: string; errors: Array<{ path: string }> };
    t.true(
      problem.field === field || problem.errors.some((error) => error.path === field),
      JSON.stringify(problem),
    );
  });
}

test('a budget change naming nothing is a 400 and publishes nothing', async (t) => {
  const user = 'u-budget-empty';
  const created = await app.as(user, '/v1/budgets', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Nothing to change',
      limit: { amount: '100', currency: 'EUR' },
      period: { kind: 'week' },
    }),
  });
  const { budgetId } = (await created.json()) as { budgetId: string };
  const publishedFor = () =>
    app.publisher.published.filter((entry) => (entry.event as { key: string }).key === user).length;
  const published = publishedFor();
  t.is(published, 1, 'the creation');
  const response = await app.as(user, `/v1/budgets/${budgetId}`, {
    method: 'PATCH',
    body: '{}',
  });
  t.is(response.status, 400);
  t.like(await response.json(), {
    code: 'validation_failed',
    detail: 'invalid body: (root): give at least one field to change',
  });
  t.is(publishedFor(), published);
});

test('an unknown budget id is a 404 naming the path id on every budget route', async (t) => {
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/v1/budgets/bud_none'],
    ['GET', '/v1/budgets/bud_none/status'],
    ['PATCH', '/v1/budgets/bud_none', { name: 'x' }],
    ['DELETE', '/v1/budgets/bud_none'],
  ];
  for (const [method, path, body] of routes) {
    const response = await app.as('u-paris', path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    t.is(response.status, 404, `${method} ${path}`);
    t.like(await response.json(), { code: 'not_found', field: 'id' }, `${method} ${path}`);
  }
});

test('a budget beyond the per-user limit is a 409 and stores nothing', async (t) => {
  const user = 'u-budget-limit';
  const create = (name: string) =>
    app.as(user, '/v1/budgets', {
      method: 'POST',
      body: JSON.stringify({
        name,
        limit: { amount: '100', currency: 'EUR' },
        period: { kind: 'week' },
      }),
    });
  for (let index = 0; index < budgetsPerUserMax; index += 1)
    t.is((await create(`B${index}`)).status, 201);
  const refused = await create('one too many');
  t.is(refused.status, 409);
  t.like(await refused.json(), {
    code: 'conflict',
    detail: `at most ${budgetsPerUserMax} budgets per user`,
  });
  const list = (await (await app.as(user, '/v1/budgets')).json()) as { items: unknown[] };
  t.is(list.items.length, budgetsPerUserMax);
});

test('malformed JSON in a budget body is a 400', async (t) => {
  const response = await app.as('u-paris', '/v1/budgets', { method: 'POST', body: '{"name":' });
  t.is(response.status, 400);
  t.like(await response.json(), { code: 'malformed_json' });
});

test('recategorizing to an unknown category is a 400 and publishes nothing', async (t) => {
  const response = await app.as('u-paris', '/v1/transactions/u-paris-t1/recategorize', {
    method: 'POST',
    body: JSON.stringify({ category: 'nonsense' }),
  });
  t.is(response.status, 400);
  t.is(
    app.publisher.published.filter((entry) => entry.topic === 'transactions.corrections').length,
    0,
  );
});

test('a malformed id in the path is a 400 naming it, on every route with an id', async (t) => {
  const bad = 'x'.repeat(300);
  const routes: Array<[string, string, unknown?]> = [
    ['GET', `/v1/budgets/${bad}`],
    ['GET', `/v1/budgets/${bad}/status`],
    ['PATCH', `/v1/budgets/${bad}`, { name: 'x' }],
    ['DELETE', `/v1/budgets/${bad}`],
    ['GET', `/v1/transactions/${bad}`],
    ['POST', `/v1/transactions/${bad}/recategorize`, { category: 'food' }],
    ['PATCH', `/v1/transactions/${bad}`, { note: 'x' }],
    ['POST', `/v1/alerts/${bad}/read`],
  ];
  for (const [method, path, body] of routes) {
    const response = await app.as('u-paris', path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const what = `${method} ${path.replace(bad, '<bad>')}`;
    t.is(response.status, 400, what);
    const problem = (await response.json()) as { code: string; errors: Array<{ path: string }> };
    t.is(problem.code, 'validation_failed', what);
    t.true(
      problem.errors.some((error) => error.path === 'id'),
      what,
    );
  }
});
