import test, { type ExecutionContext } from 'ava';
import { MongoClient } from 'mongodb';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import {
  createMongoDocumentStore,
  dropMongoDatabase,
  bareIdReadsMax,
  bucketOf,
  bucketCollectionName,
  bucketDatabaseName,
  bucketDatabasesCount,
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

for (const step of ['pending', 'cells'] as const) {
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

for (const step of ['pending', 'cells'] as const) {
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

/** A document without its undefined fields (as stored: the driver leaves them out). */
function definedFields<T extends object>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([, value]) => value !== undefined)) as T;
}

/** A store on a fresh database whose client counts the commands it sends, by name and collection. */
function monitoredStore(t: ExecutionContext, prefix: string) {
  const url = realServers(['MONGODB_URL']).MONGODB_URL;
  const dbName = uniqueName(prefix);
  const client = new MongoClient(url, { useBigInt64: true, monitorCommands: true });
  const commands: Array<{ name: string; collection: unknown; db: string; filter: unknown }> = [];
  client.on('commandStarted', (event) =>
    commands.push({
      name: event.commandName,
      collection: (event.command as Record<string, unknown>)[event.commandName],
      db: event.databaseName,
      filter: (event.command as Record<string, unknown>).filter,
    }),
  );
  const store = createMongoDocumentStore({ url, dbName, client });
  t.teardown(async () => {
    await client.close();
    await dropMongoDatabase(url, dbName);
  });
  return { store, client, commands, dbName };
}

test('a batch of new transactions writes each transaction bucket once and its month documents once, and nothing else', async (t) => {
  const { store, commands } = monitoredStore(t, 'sj_apply_commands');
  await store.init();
  const items = Array.from({ length: 12 }, (_, i) =>
    applyItemOf(rawTransaction({ transactionId: `tx-${i}`, userId: `user-${i % 3}` })),
  );
  commands.length = 0;
  t.deepEqual(
    await store.apply(items),
    items.map(() => 'applied'),
  );
  const buckets = new Set(items.map((item) => bucketOf(item.doc.id)));
  // One insert per transaction bucket: the document carries its rollup state (no second write).
  const inserts = commands.filter((c) => c.name === 'insert');
  t.is(inserts.length, buckets.size);
  t.true(inserts.every((c) => /^transactions_\d{3}$/.test(String(c.collection))));
  // One update per rollup bucket (the users' November month documents), and no read at all.
  const updates = commands.filter((c) => c.name === 'update');
  t.is(updates.length, new Set(['user-0', 'user-1', 'user-2'].map(bucketOf)).size);
  t.true(updates.every((c) => /^rollup_months_\d{3}$/.test(String(c.collection))));
  t.deepEqual(
    commands.filter((c) => c.name !== 'insert' && c.name !== 'update').map((c) => c.name),
    [],
  );
  // Readers never see the rollup state.
  const stored = (await store.getTransactions(['tx-0'])).get('tx-0');
  t.deepEqual(stored, definedFields(items[0]!.doc));
  t.false(Object.keys((await store.scanTransactions({ limit: 1 }))[0]!).includes('rollupState'));
  t.deepEqual(await rollupDifferences(store), []);
});

test('a later version replaces the whole document: a field it no longer has is gone', async (t) => {
  // The store's own client (it leaves undefined fields out, as in production).
  const { store, cleanup } = freshMongoDocumentStore('sj_replace');
  t.teardown(cleanup);
  await store.init();
  await store.apply([applyItemOf(rawTransaction({ transactionId: 'a', note: 'team lunch' }))]);
  t.is((await store.getTransactions(['a'])).get('a')?.note, 'team lunch');
  // The user cleared the note: the next version has none.
  const cleared = applyItemOf(
    rawTransaction({ transactionId: 'a', note: 'team lunch' }),
    userContext({ annotation: { note: null, revision: 1 } }),
  );
  t.is(cleared.doc.note, undefined);
  t.deepEqual(await store.apply([cleared]), ['applied']);
  const stored = (await store.getTransactions(['a'])).get('a');
  t.is(stored?.version, cleared.doc.version);
  t.is(stored?.note, undefined);
  t.deepEqual(stored, definedFields(cleared.doc));
  t.deepEqual(await rollupDifferences(store), []);
});

test('a document without its rollup state (the layout before 2026-11-26 14:53) is refused, not miscounted', async (t) => {
  const { store, client, dbName } = monitoredStore(t, 'sj_old_layout');
  await store.init();
  await store.apply([applyItemOf(rawTransaction({ transactionId: 'a' }))]);
  // What the old layout left in the document bucket: the document alone (its state was elsewhere).
  const bucket = bucketOf('a');
  await client
    .db(bucketDatabaseName(dbName, bucket % bucketDatabasesCount))
    .collection(bucketCollectionName('transactions', bucket))
    .updateOne({ _id: 'a' as never }, { $unset: { rollupState: '' } });
  const v2 = applyItemOf(
    rawTransaction({ transactionId: 'a', version: 2, amount: { amount: 5_000n, currency: 'NZD' } }),
  );
  await t.throwsAsync(() => store.apply([v2]), { message: /older layout/ });
  const [total] = await store.queryRollups({
    userId: 'user-1',
    grain: 'month',
    dimension: 'total',
  });
  t.is(total?.amounts.expense, 1_250n);
  t.is(total?.amounts.count, 1n);
});

test('a few ids of one bucket are read with a bare _id filter each, more with one $in', async (t) => {
  const { store, commands } = monitoredStore(t, 'sj_bare_reads');
  await store.init();
  // Transaction ids that share one bucket: one more than bareIdReadsMax.
  const bucket = bucketOf('tx-0');
  const same = Array.from({ length: 5_000 }, (_, i) => `tx-${i}`)
    .filter((id) => bucketOf(id) === bucket)
    .slice(0, bareIdReadsMax + 1);
  t.is(same.length, bareIdReadsMax + 1);
  await store.apply(same.map((id) => applyItemOf(rawTransaction({ transactionId: id }))));
  const finds = () => commands.filter((c) => c.name === 'find');
  commands.length = 0;
  const few = await store.getTransactions([...same.slice(0, bareIdReadsMax), 'absent']);
  t.deepEqual([...few.keys()].sort(), same.slice(0, bareIdReadsMax).sort());
  // The absent id falls in another bucket (or this one): either way no $in for these few.
  t.true(finds().every((c) => typeof (c.filter as { _id: unknown })._id === 'string'));
  t.is(finds().length, bareIdReadsMax + 1);
  commands.length = 0;
  const many = await store.getTransactions(same);
  t.deepEqual([...many.keys()].sort(), [...same].sort());
  t.is(finds().length, 1);
  t.deepEqual((finds()[0]!.filter as { _id: { $in: string[] } })._id.$in.sort(), [...same].sort());
  // State entries by key alone (overrides of two transactions): bare reads too, each found.
  await store.putState({ kind: 'override', key: 'tx-0', userId: 'user-1', order: '1', value: 1 });
  commands.length = 0;
  const overrides = await store.getStates('override', ['tx-0', 'tx-1']);
  t.deepEqual([...overrides.keys()], ['tx-0']);
  t.true(finds().every((c) => typeof (c.filter as { _id: unknown })._id === 'string'));
  t.is(finds().length, 2);
});

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
