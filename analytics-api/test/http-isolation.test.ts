/**
 * Invariant 6 at every route: another user's ids, wallets, budgets and alerts are never visible or
 * changeable. Each test also shows the owner getting the data, so it fails if scoping broke.
 */
import test from 'ava';
import { generateDocs, testUsers } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const owner = testUsers[3]!; // u-paris, wallets w-f1, w-f2
const intruder = testUsers[1]!; // u-newyork
const docs = generateDocs(7, 200);
const ownerDoc = docs.find((doc) => doc.userId === owner.userId && doc.flow === 'spend')!;
let app: TestApp;

test.before(async () => {
  app = await startTestApp({ docs, now: '2026-06-15T12:00:00Z' });
});
test.after.always(async () => {
  await app?.close();
});

const analyticsRoutes = [
  '/v1/analytics/breakdown?period=year&date=2025-06-01',
  '/v1/analytics/top-merchants?period=year&date=2025-06-01',
  '/v1/analytics/time-series?period=year&date=2025-06-01&bucket=month',
  '/v1/analytics/comparison?period=year&date=2026-01-01',
  '/v1/analytics/cash-flow?period=year&date=2025-06-01',
];

for (const route of analyticsRoutes) {
  test(`${route.split('?')[0]}: another user's id is refused and their wallet shows nothing`, async (t) => {
    const forOwner = await app.as(owner.userId, `${route}&walletId=w-f1`);
    t.is(forOwner.status, 200);
    const ownerText = await forOwner.text();
    t.regex(ownerText, /"amount":"[1-9]/, 'the owner sees money in their wallet');

    const asOther = await app.as(intruder.userId, `${route}&userId=${owner.userId}`);
    t.is(asOther.status, 403);
    t.is(asOther.headers.get('content-type'), 'application/problem+json');

    const walletProbe = await app.as(intruder.userId, `${route}&walletId=w-f1`);
    t.is(walletProbe.status, 200);
    t.notRegex(await walletProbe.text(), /"amount":"[1-9]/, "nothing of the owner's wallet leaks");
  });
}

test('GET /v1/transactions: another user id is refused, their wallet and ids match nothing', async (t) => {
  const mine = (await (await app.as(owner.userId, '/v1/transactions?walletId=w-f1')).json()) as {
    total: number;
  };
  t.true(mine.total > 0);
  t.is((await app.as(intruder.userId, `/v1/transactions?userId=${owner.userId}`)).status, 403);
  const probe = (await (
    await app.as(intruder.userId, '/v1/transactions?walletId=w-f1&facets=true')
  ).json()) as {
    total: number;
    items: unknown[];
  };
  t.deepEqual([probe.total, probe.items], [0, []]);
});

test('GET /v1/transactions/export: another user gets only the header', async (t) => {
  const mine = await (await app.as(owner.userId, '/v1/transactions/export?walletId=w-f1')).text();
  t.true(mine.split('\r\n').length > 2);
  const probe = await (
    await app.as(intruder.userId, '/v1/transactions/export?walletId=w-f1')
  ).text();
  t.is(probe.split('\r\n').filter(Boolean).length, 1);
  t.is(
    (await app.as(intruder.userId, `/v1/transactions/export?userId=${owner.userId}`)).status,
    403,
  );
});

test("GET /v1/transactions/:id: another user's transaction is not found", async (t) => {
  t.is((await app.as(owner.userId, `/v1/transactions/${ownerDoc.id}`)).status, 200);
  const probe = await app.as(intruder.userId, `/v1/transactions/${ownerDoc.id}`);
  t.is(probe.status, 404);
  t.like(await probe.json(), { code: 'not_found' });
});

test("POST /v1/transactions/:id/recategorize: another user's transaction cannot be recategorized", async (t) => {
  const corrections = () =>
    app.publisher.published.filter((entry) => entry.topic === 'transactions.corrections');
  const before = corrections().length;
  const probe = await app.as(intruder.userId, `/v1/transactions/${ownerDoc.id}/recategorize`, {
    method: 'POST',
    body: JSON.stringify({ category: 'shopping' }),
  });
  t.is(probe.status, 404);
  t.is(corrections().length, before, 'nothing published');
  const mine = await app.as(owner.userId, `/v1/transactions/${ownerDoc.id}/recategorize`, {
    method: 'POST',
    body: JSON.stringify({ category: 'shopping', scope: 'merchant' }),
  });
  t.is(mine.status, 202);
  const published = corrections().at(-1) as {
    topic: string;
    event: { key: string; payload: Record<string, unknown> };
  };
  t.is(published.topic, 'transactions.corrections');
  t.like(published.event, {
    key: owner.userId,
    payload: { transactionId: ownerDoc.id, category: 'shopping', applyToMerchant: true },
  });
});

test('budgets: another user can neither see, read, change, delete nor get the status of a budget', async (t) => {
  const created = await app.as(owner.userId, '/v1/budgets', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Food',
      limit: { amount: '50000', currency: 'EUR' },
      period: { kind: 'month' },
      scope: { categories: ['food'] },
    }),
  });
  t.is(created.status, 201);
  const budget = (await created.json()) as { budgetId: string; name: string };
  const id = budget.budgetId;

  t.deepEqual(
    ((await (await app.as(intruder.userId, '/v1/budgets')).json()) as { items: unknown[] }).items,
    [],
  );
  t.deepEqual(
    ((await (await app.as(intruder.userId, '/v1/budgets/status')).json()) as { items: unknown[] })
      .items,
    [],
  );
  t.is((await app.as(intruder.userId, `/v1/budgets?userId=${owner.userId}`)).status, 403);
  t.is((await app.as(intruder.userId, `/v1/budgets/${id}`)).status, 404);
  t.is((await app.as(intruder.userId, `/v1/budgets/${id}/status`)).status, 404);
  const patch = await app.as(intruder.userId, `/v1/budgets/${id}`, {
    method: 'PATCH',
    body: JSON.stringify({ name: 'Hijacked' }),
  });
  t.is(patch.status, 404);
  t.is((await app.as(intruder.userId, `/v1/budgets/${id}`, { method: 'DELETE' })).status, 404);
  const post = await app.as(intruder.userId, `/v1/budgets?userId=${owner.userId}`, {
    method: 'POST',
    body: JSON.stringify({
      name: 'X',
      limit: { amount: '1', currency: 'EUR' },
      period: { kind: 'week' },
    }),
  });
  t.is(post.status, 403);

  const still = (await (await app.as(owner.userId, `/v1/budgets/${id}`)).json()) as {
    name: string;
  };
  t.is(still.name, 'Food', 'unchanged');
  t.is((await app.as(owner.userId, `/v1/budgets/${id}/status`)).status, 200);
});

test("alerts: another user's alerts are not listed and cannot be marked read", async (t) => {
  const now = new Date().toISOString();
  await app.alerts.insert({
    alertId: 'alert_iso_1',
    userId: owner.userId,
    rule: 'low_balance',
    subject: { kind: 'wallet', id: 'w-f1' },
    period: { kind: 'day', start: '2026-06-15', end: '2026-06-16', timeZone: owner.timeZone },
    threshold: { kind: 'amount', amount: { amount: 1000n, currency: 'EUR' } },
    severity: 'critical',
    late: false,
    amounts: { observed: { amount: 10n, currency: 'EUR' } },
    message: 'Low balance',
    firedAt: now,
  });
  const mine = (await (await app.as(owner.userId, '/v1/alerts')).json()) as {
    items: Array<{ alertId: string }>;
  };
  t.true(mine.items.some((item) => item.alertId === 'alert_iso_1'));
  const theirs = (await (await app.as(intruder.userId, '/v1/alerts')).json()) as {
    items: unknown[];
  };
  t.deepEqual(theirs.items, []);
  t.is(
    (await app.as(intruder.userId, '/v1/alerts/alert_iso_1/read', { method: 'POST' })).status,
    404,
  );
  t.is((await app.as(intruder.userId, `/v1/alerts/stream?userId=${owner.userId}`)).status, 403);
  const unread = (await (await app.as(owner.userId, '/v1/alerts?unread=true')).json()) as {
    items: Array<{ alertId: string }>;
  };
  t.true(
    unread.items.some((item) => item.alertId === 'alert_iso_1'),
    'still unread',
  );
});

test('a machine client acts only for the users its token lists', async (t) => {
  const token = await app.issuer.clientToken('bank-app', [owner.userId], ['analytics:read']);
  const headers = { authorization: `Bearer ${token}` };
  t.is(
    (await fetch(`${app.url}/v1/analytics/cash-flow?userId=${owner.userId}`, { headers })).status,
    200,
  );
  t.is(
    (await fetch(`${app.url}/v1/analytics/cash-flow?userId=${intruder.userId}`, { headers }))
      .status,
    403,
  );
  t.is((await fetch(`${app.url}/v1/analytics/cash-flow`, { headers })).status, 400);
});

test('every route refuses a request without a token', async (t) => {
  for (const path of [
    '/v1/analytics/breakdown',
    '/v1/transactions',
    '/v1/budgets',
    '/v1/alerts',
    '/v1/alerts/stream',
    '/v1/transactions/export',
  ]) {
    const response = await fetch(`${app.url}${path}`);
    t.is(response.status, 401, path);
  }
});
