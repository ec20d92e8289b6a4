import test, { type ExecutionContext } from 'ava';
import { MongoClient } from 'mongodb';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import {
  createMongoDocumentStore,
  dropMongoDatabase,
  bucketOf,
  stateOwnerCandidatesOf,
  stateOwnerOf,
  type MongoApplyStep,
} from './mongo-store.js';
import { documentStoreContract, rollupDifferences } from './store-contract.js';
import {
  applyItemOf,
  freshMongoDocumentStore,
  rawTransaction,
  userContext,
} from './test-documents.js';

documentStoreContract(
  test,
  'MongoDB store on FerretDB',
  async () => freshMongoDocumentStore('sj'),
  { historySize: 12 },
);

/** Two stores on one fresh database: one that dies after `step` of `apply`, one healthy. */
function storesCrashingAfter(t: ExecutionContext, step: MongoApplyStep, prefix: string) {
  const url = realServers(['MONGODB_URL']).MONGODB_URL;
  const dbName = uniqueName(`${prefix}_${step}`);
  const crashing = createMongoDocumentStore({
    url,
    dbName,
    afterStep: (at) => {
      if (at === step) throw new Error(`simulated crash after ${at}`);
    },
  });
  const healthy = createMongoDocumentStore({ url, dbName });
  t.teardown(async () => {
    await crashing.close();
    await healthy.close();
    await dropMongoDatabase(url, dbName);
  });
  return { crashing, healthy };
}

for (const step of ['pending', 'document', 'cells'] as const) {
  test(`a crash after the ${step} step is finished by the redelivery and the rollups stay exact`, async (t) => {
    const { crashing, healthy } = storesCrashingAfter(t, step, 'sj_crash');
    await healthy.init();
    await crashing.init();
    await healthy.apply([
      applyItemOf(rawTransaction({ transactionId: 'a' })),
      applyItemOf(rawTransaction({ transactionId: 'b' })),
    ]);
    // Version 2 of `a` moves it to another category and amount; the writer dies mid-way.
    const moved = userContext({
      categoryRevision: 1,
      categorization: { ...userContext().categorization, transactionOverride: 'restaurants' },
    });
    const v2 = applyItemOf(
      rawTransaction({ transactionId: 'a', amount: { amount: 9_999n, currency: 'NZD' } }),
      moved,
    );
    await t.throwsAsync(() => crashing.apply([v2]), { message: /simulated crash/ });
    // The redelivery (same item) through a healthy writer finishes the work exactly once.
    await healthy.apply([v2]);
    await healthy.apply([v2]);
    t.deepEqual(await rollupDifferences(healthy), []);
    const month = await healthy.queryRollups({
      userId: 'user-1',
      grain: 'month',
      dimension: 'category',
      period: '2026-11',
    });
    t.is(month.find((r) => r.key === 'restaurants')?.amounts.expense, 9_999n);
    t.is(month.find((r) => r.key === 'groceries')?.amounts.expense, 1_250n);
    t.is(month.find((r) => r.key === 'food')?.amounts.count, 2n);
  });
}

for (const step of ['pending', 'document', 'cells'] as const) {
  test(`a crash after the ${step} step of a first version is finished by the redelivery`, async (t) => {
    const { crashing, healthy } = storesCrashingAfter(t, step, 'sj_crash1');
    await healthy.init();
    await healthy.apply([applyItemOf(rawTransaction({ transactionId: 'a' }))]);
    const first = applyItemOf(rawTransaction({ transactionId: 'b' }));
    await t.throwsAsync(() => crashing.apply([first]), { message: /simulated crash/ });
    // The redelivery finishes the pending version first, so it finds its own version stored.
    t.deepEqual(await healthy.apply([first]), ['stale']);
    t.deepEqual(await rollupDifferences(healthy), []);
    t.is((await healthy.getTransactions(['b'])).get('b')?.version, first.doc.version);
    const [total] = await healthy.queryRollups({
      userId: 'user-1',
      grain: 'month',
      dimension: 'total',
    });
    t.is(total?.amounts.count, 2n);
    t.is(total?.amounts.expense, 2_500n);
  });
}

/** A store on a fresh database whose client counts the commands it sends, by name and collection. */
function monitoredStore(t: ExecutionContext, prefix: string) {
  const url = realServers(['MONGODB_URL']).MONGODB_URL;
  const dbName = uniqueName(prefix);
  const client = new MongoClient(url, { useBigInt64: true, monitorCommands: true });
  const commands: Array<{ name: string; collection: unknown; db: string }> = [];
  client.on('commandStarted', (event) =>
    commands.push({
      name: event.commandName,
      collection: (event.command as Record<string, unknown>)[event.commandName],
      db: event.databaseName,
    }),
  );
  const store = createMongoDocumentStore({ url, dbName, client });
  t.teardown(async () => {
    await client.close();
    await dropMongoDatabase(url, dbName);
  });
  return { store, client, commands };
}

test('a state entry lives in the bucket of its user when its key is the user id or starts with it, else of its key', (t) => {
  t.is(stateOwnerOf({ key: 'u1', userId: 'u1' }), 'u1');
  t.is(stateOwnerOf({ key: 'u1|countdown', userId: 'u1' }), 'u1');
  t.is(stateOwnerOf({ key: 'a|b|raw:x', userId: 'a|b' }), 'a|b');
  t.is(stateOwnerOf({ key: 'tx-9', userId: 'u1' }), 'tx-9');
  t.is(stateOwnerOf({ key: 'u10|m', userId: 'u1' }), 'u10|m');
  t.deepEqual(stateOwnerCandidatesOf('tx-9'), ['tx-9']);
  t.deepEqual(stateOwnerCandidatesOf('a|b|raw:x'), ['a|b|raw:x', 'a', 'a|b']);
});

test('state entries of users whose id holds | and of transactions are found by key and listed by user', async (t) => {
  const { store } = monitoredStore(t, 'sj_state_keys');
  await store.init();
  // Users chosen so that the cut before the first | falls in another bucket than the user.
  const users = ['a|b', 'c|d|e', 'plain'];
  t.true(users.some((u) => bucketOf(u) !== bucketOf(u.slice(0, u.indexOf('|')))));
  for (const userId of users) {
    t.true(
      await store.putState({
        kind: 'merchant-correction',
        key: `${userId}|raw:blue|bottle`,
        userId,
        order: '1',
        value: { category: 'coffee' },
      }),
    );
    t.true(
      await store.putState({
        kind: 'settings',
        key: userId,
        userId,
        order: '1',
        value: { userId },
      }),
    );
  }
  // The second replaces the first in place (its own bucket), not stored twice.
  for (const [order, category] of [
    ['1', 'gifts'],
    ['2', 'books'],
  ] as const)
    t.true(
      await store.putState({
        kind: 'override',
        key: 'tx|7',
        userId: 'a|b',
        order,
        value: { category },
      }),
    );
  t.deepEqual((await store.getState('override', 'tx|7'))?.value, { category: 'books' });
  t.deepEqual((await store.getState('merchant-correction', 'c|d|e|raw:blue|bottle'))?.value, {
    category: 'coffee',
  });
  t.is(await store.getState('merchant-correction', 'c|d|raw:blue|bottle'), null);
  t.deepEqual(
    (await store.listStatesOfUsers('merchant-correction', users)).map((e) => e.key),
    users.map((u) => `${u}|raw:blue|bottle`).sort(),
  );
  t.deepEqual(
    (await store.listStatesOfUsers('merchant-correction', ['c|d'])).map((e) => e.key),
    [],
  );
  t.deepEqual(
    (await store.listStates('merchant-correction', 'a|b')).map((e) => e.key),
    ['a|b|raw:blue|bottle'],
  );
  const settings = await store.getStates('settings', [...users, 'nobody']);
  t.deepEqual([...settings.keys()].sort(), [...users].sort());
  t.deepEqual(
    await store.putStates([
      { kind: 'settings', key: 'a|b', userId: 'a|b', order: '0', value: {} },
      { kind: 'settings', key: 'c|d|e', userId: 'c|d|e', order: '2', value: { v: 2 } },
      { kind: 'settings', key: 'x|y', userId: 'x|y', order: '1', value: { v: 1 } },
    ]),
    [false, true, true],
  );
  t.deepEqual((await store.getState('settings', 'c|d|e'))?.value, { v: 2 });
  t.deepEqual((await store.getState('settings', 'x|y'))?.value, { v: 1 });
});

test('state reads started together share one find per state bucket they touch', async (t) => {
  const { store, commands } = monitoredStore(t, 'sj_state_reads');
  await store.init();
  const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  await store.putStates(
    users.map((userId) => ({ kind: 'settings', key: userId, userId, order: '1', value: {} })),
  );
  await store.putState({
    kind: 'merchant-correction',
    key: 'user-3|countdown',
    userId: 'user-3',
    order: '1',
    value: { category: 'groceries' },
  });
  commands.length = 0;
  const [settings, budgets, corrections] = await Promise.all([
    store.getStates('settings', users),
    store.getStates('budgets', users),
    store.listStatesOfUsers('merchant-correction', users),
  ]);
  t.is(settings.size, 40);
  t.is(budgets.size, 0);
  t.deepEqual(
    corrections.map((e) => e.key),
    ['user-3|countdown'],
  );
  const finds = commands.filter((c) => c.name === 'find');
  t.is(finds.length, new Set(users.map(bucketOf)).size);
  t.true(finds.every((c) => /^state_\d{3}$/.test(String(c.collection))));
  t.is(new Set(finds.map((c) => `${c.db}.${String(c.collection)}`)).size, finds.length);
});
