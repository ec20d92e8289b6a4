/**
 * Budgets over HTTP: CRUD publishes the user's whole set to ref.budgets with a growing revision;
 * status in a custom month starting on the 25th (with a boundary transaction at 00:30 local),
 * rollover of the previous period's unspent amount, every-n-days periods, projection and days
 * left; all checked against values worked out by hand below.
 */
import test from 'ava';
import { makeDoc, testUsers } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const paris = testUsers[3]!; // Europe/Paris, EUR
const food = { category: 'food', subcategory: 'groceries', merchant: 'Fresh Foods Store' };
const docs = [
  // Previous period (2026-01-25 .. 2026-02-25): 5000 + 20000 of food; one just before it.
  makeDoc(paris, {
    id: 'b-prev-out',
    occurredAt: '2026-01-24T22:00:00Z',
    amountMinor: 7777n,
    ...food,
  }),
  makeDoc(paris, {
    id: 'b-prev-1',
    occurredAt: '2026-01-24T23:30:00Z',
    amountMinor: 5000n,
    ...food,
  }),
  makeDoc(paris, {
    id: 'b-prev-2',
    occurredAt: '2026-02-24T12:00:00Z',
    amountMinor: 20000n,
    ...food,
  }),
  // Current period: 00:30 on the 25th in Paris is still the 24th in UTC.
  makeDoc(paris, {
    id: 'b-cur-1',
    occurredAt: '2026-02-24T23:30:00Z',
    amountMinor: 10000n,
    ...food,
  }),
  makeDoc(paris, {
    id: 'b-cur-2',
    occurredAt: '2026-03-09T10:00:00Z',
    amountMinor: 30000n,
    ...food,
  }),
  makeDoc(paris, {
    id: 'b-cur-shop',
    occurredAt: '2026-03-01T10:00:00Z',
    amountMinor: 99999n,
    category: 'shopping',
  }),
  makeDoc(paris, {
    id: 'b-cur-income',
    occurredAt: '2026-03-02T10:00:00Z',
    amountMinor: 500000n,
    kind: 'income',
    flow: 'income',
    category: 'income',
  }),
];
let app: TestApp;

test.before(async () => {
  app = await startTestApp({ docs, now: '2026-03-10T12:00:00Z' });
});
test.after.always(async () => {
  await app?.close();
});

async function createBudget(body: unknown) {
  const response = await app.as(paris.userId, '/v1/budgets', {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (response.status !== 201)
    throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { budgetId: string };
}

test.serial(
  'a payday budget with rollover reports spent, carried, remaining, percent, projection and days left',
  async (t) => {
    const { budgetId } = await createBudget({
      name: 'Food from payday',
      limit: { amount: '50000', currency: 'EUR' },
      period: { kind: 'month', startDay: 25 },
      scope: { categories: ['food'] },
      thresholds: [50, 80, 100],
      rollover: true,
    });
    const status = (await (
      await app.as(paris.userId, `/v1/budgets/${budgetId}/status`)
    ).json()) as Record<string, unknown>;
    t.like(status, {
      period: { from: '2026-02-25', to: '2026-03-25' },
      limit: { amount: '50000', currency: 'EUR' },
      carried: { amount: '25000' },
      available: { amount: '75000' },
      spent: { amount: '40000' },
      remaining: { amount: '35000' },
      percentUsed: 53.33,
      // 40000 over 14 elapsed days of 28.
      projected: { amount: '80000' },
      daysLeft: 15,
      thresholdsReached: [50],
    });
  },
);

test.serial(
  'an every-14-days budget without scope counts every outgoing transaction of the window',
  async (t) => {
    const { budgetId } = await createBudget({
      name: 'Fortnight',
      limit: { amount: '100000', currency: 'EUR' },
      period: { kind: 'every_n_days', anchorDate: '2026-01-01', lengthDays: 14 },
    });
    const status = (await (
      await app.as(paris.userId, `/v1/budgets/${budgetId}/status`)
    ).json()) as Record<string, unknown>;
    t.like(status, {
      period: { from: '2026-02-26', to: '2026-03-12' },
      spent: { amount: '129999' },
      remaining: { amount: '-29999' },
      carried: { amount: '0' },
      thresholdsReached: [80, 100],
      daysLeft: 2,
    });
  },
);

test.serial(
  'a budget in a period with no spending reports zero spent and the full limit left',
  async (t) => {
    const { budgetId } = await createBudget({
      name: 'Travel',
      limit: { amount: '30000', currency: 'EUR' },
      period: { kind: 'week' },
      scope: { categories: ['travel'] },
    });
    const status = (await (
      await app.as(paris.userId, `/v1/budgets/${budgetId}/status`)
    ).json()) as Record<string, unknown>;
    t.like(status, {
      period: { from: '2026-03-09', to: '2026-03-16' },
      spent: { amount: '0' },
      remaining: { amount: '30000' },
      percentUsed: 0,
      projected: { amount: '0' },
      thresholdsReached: [],
    });
  },
);

test.serial(
  'create, update and delete publish the whole set to ref.budgets with a growing revision',
  async (t) => {
    const snapshots = () =>
      app.publisher.published
        .filter((entry) => entry.topic === 'ref.budgets')
        .map(
          (entry) =>
            entry.event as {
              key: string;
              payload: { revision: number; budgets: Array<{ budgetId: string; name: string }> };
            },
        );
    const before = snapshots().length;
    const { budgetId } = await createBudget({
      name: 'Coffee',
      limit: { amount: '4000', currency: 'EUR' },
      period: { kind: 'week' },
      scope: { categories: ['food'] },
    });
    const patched = await app.as(paris.userId, `/v1/budgets/${budgetId}`, {
      method: 'PATCH',
      body: JSON.stringify({ name: 'Coffee and tea', thresholds: [90] }),
    });
    t.is(patched.status, 200);
    t.like(await patched.json(), {
      name: 'Coffee and tea',
      thresholds: [90],
      limit: { amount: '4000' },
    });
    t.is((await app.as(paris.userId, `/v1/budgets/${budgetId}`, { method: 'DELETE' })).status, 204);
    t.is((await app.as(paris.userId, `/v1/budgets/${budgetId}`)).status, 404);

    const published = snapshots().slice(before);
    t.is(published.length, 3);
    t.true(published.every((event) => event.key === paris.userId));
    const revisions = published.map((event) => event.payload.revision);
    t.deepEqual(revisions, [revisions[0]!, revisions[0]! + 1, revisions[0]! + 2]);
    t.true(published[0]!.payload.budgets.some((budget) => budget.name === 'Coffee'));
    t.true(published[1]!.payload.budgets.some((budget) => budget.name === 'Coffee and tea'));
    t.false(published[2]!.payload.budgets.some((budget) => budget.budgetId === budgetId));
    const listed = (await (await app.as(paris.userId, '/v1/budgets')).json()) as {
      items: Array<{ budgetId: string }>;
    };
    t.deepEqual(
      listed.items.map((item) => item.budgetId).sort(),
      published[2]!.payload.budgets.map((budget) => budget.budgetId).sort(),
    );
  },
);

test.serial('a PATCH keeps every field it does not name (no defaults filled in)', async (t) => {
  const { budgetId } = await createBudget({
    name: 'Dining',
    limit: { amount: '20000', currency: 'EUR' },
    period: { kind: 'month', startDay: 25 },
    scope: { categories: ['food'], tags: ['eat-out'] },
    thresholds: [25, 60],
    rollover: true,
    active: false,
  });
  const patched = await app.as(paris.userId, `/v1/budgets/${budgetId}`, {
    method: 'PATCH',
    body: JSON.stringify({ name: 'Dining out' }),
  });
  t.is(patched.status, 200);
  const read = await (await app.as(paris.userId, `/v1/budgets/${budgetId}`)).json();
  t.like(read, {
    name: 'Dining out',
    limit: { amount: '20000', currency: 'EUR' },
    period: { kind: 'month', startDay: 25 },
    scope: { categories: ['food'], tags: ['eat-out'] },
    thresholds: [25, 60],
    rollover: true,
    active: false,
  });
  // A scope given replaces the old one whole; what it leaves out is empty.
  const rescoped = await app.as(paris.userId, `/v1/budgets/${budgetId}`, {
    method: 'PATCH',
    body: JSON.stringify({ scope: { categories: ['travel'] } }),
  });
  t.like(await rescoped.json(), {
    scope: { categories: ['travel'], tags: [] },
    thresholds: [25, 60],
    rollover: true,
  });
});
