import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { createSqlDocumentStore } from './sql-store.js';
import { getRollupsInParts, rollupKeysMax } from './store.js';
import { applyItemOf, rawTransaction } from './test-documents.js';

test('rollup reads of more keys than one getRollups call takes are split and merged', async (t) => {
  const store = createSqlDocumentStore({ knex: createSql({}, { sqliteFilename: ':memory:' }) });
  t.teardown(() => store.close());
  await store.init();
  const item = applyItemOf(rawTransaction({ transactionId: 'a' }));
  await store.apply([item]);
  const stored = item.contributions.map((c) => c.cellKey);
  // The stored keys sit in the first, second and last part.
  const keys = Array.from({ length: rollupKeysMax * 2 + 10 }, (_, i) => `absent|${i}`);
  keys.splice(3, 0, stored[0]!);
  keys.splice(rollupKeysMax + 5, 0, stored[1]!);
  keys.push(...stored.slice(2));
  await t.throwsAsync(store.getRollups(keys), { message: /at most/ });
  const calls: number[] = [];
  const rows = await getRollupsInParts(
    {
      getRollups: (part) => {
        calls.push(part.length);
        return store.getRollups(part);
      },
    },
    keys,
  );
  t.deepEqual(calls, [rollupKeysMax, rollupKeysMax, keys.length - 2 * rollupKeysMax]);
  t.deepEqual([...rows.keys()].sort(), [...stored].sort());
  t.is(rows.get(stored[0]!)?.amounts.count, 1n);
});
