import test, { type ExecutionContext } from 'ava';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createMongoDocumentStore, dropMongoDatabase, type MongoApplyStep } from './mongo-store.js';
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
