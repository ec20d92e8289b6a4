import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { amountFields, type Contribution } from '../rollups/contributions.js';
import { cellsFromJson, cellsToJson, createSqlDocumentStore } from './sql-store.js';
import { documentStoreContract, rollupDifferences } from './store-contract.js';
import { applyItemOf, rawTransaction } from './test-documents.js';

documentStoreContract(test, 'embedded store on SQLite', async () => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex });
  return { store, cleanup: () => store.close() };
});

documentStoreContract(test, 'embedded store on MariaDB', async () => {
  const knex = createSql({ DATABASE_URL: realServers(['DATABASE_URL']).DATABASE_URL });
  const prefix = `${uniqueName('sj')}_`;
  const store = createSqlDocumentStore({ knex, tablePrefix: prefix });
  return {
    store,
    cleanup: async () => {
      for (const table of [
        'transactions',
        'rollups',
        'rollup_txs',
        'rollup_cells',
        'alerts',
        'state',
      ]) {
        await knex.schema.dropTableIfExists(`${prefix}${table}`);
      }
      await store.close();
    },
  };
});

test('a store written with one row per (transaction, cell) is converted by init and stays exact', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const first = createSqlDocumentStore({ knex, closeKnex: false });
  t.teardown(() => knex.destroy());
  await first.init();
  const a = applyItemOf(rawTransaction({ transactionId: 'a' }));
  const b = applyItemOf(rawTransaction({ transactionId: 'b', tags: ['x.y'] }));
  await first.apply([a, b]);
  // The earlier layout: the same contributions as one row per (transaction, cell).
  await knex.schema.createTable('sj_rollup_cells', (table) => {
    table.string('tx_id', 128).notNullable();
    table.string('cell_key', 512).notNullable();
    table.bigInteger('version').notNullable();
    for (const column of ['expense', 'refund', 'income', 'transfer_in', 'transfer_out', 'tx_count'])
      table.bigInteger(column).notNullable().defaultTo(0);
    table.primary(['tx_id', 'cell_key']);
  });
  for (const item of [a, b]) {
    await knex('sj_rollup_cells').insert(
      item.contributions.map((c) => ({
        tx_id: item.doc.id,
        cell_key: c.cellKey,
        version: item.doc.version,
        expense: c.amounts.expense,
        tx_count: c.amounts.count,
      })),
    );
  }
  await knex.schema.dropTable('sj_rollup_txs');
  const converted = createSqlDocumentStore({ knex, closeKnex: false });
  await converted.init();
  t.false(await knex.schema.hasTable('sj_rollup_cells'));
  // A correction of `a` takes back exactly what the converted row says it gave.
  const corrected = applyItemOf(
    rawTransaction({ transactionId: 'a', version: 2, amount: { amount: 100n, currency: 'NZD' } }),
  );
  t.deepEqual(await converted.apply([corrected]), ['applied']);
  t.deepEqual(await rollupDifferences(converted), []);
  const [total] = await converted.queryRollups({
    userId: 'user-1',
    grain: 'month',
    dimension: 'total',
  });
  t.is(total?.amounts.expense, 1_350n);
  t.is(total?.amounts.count, 2n);
});

/** The `rollup_txs.cells` form written before 2026-11-27: one array per cell, key then amounts. */
function earlierCellsJson(contributions: Contribution[]): string {
  return JSON.stringify(
    contributions.map((c) => [c.cellKey, ...amountFields.map((f) => c.amounts[f].toString())]),
  );
}

test("a transaction's contributions are stored compactly and read back as the same cells and amounts", (t) => {
  const { contributions } = applyItemOf(
    rawTransaction({ transactionId: 'a|b', userId: 'user 1|x', tags: ['x.y', 'café'] }),
  );
  const text = cellsToJson(contributions);
  t.true(text.startsWith('{'));
  t.true(text.length < earlierCellsJson(contributions).length * 0.6, `${text.length} bytes`);
  const back = cellsFromJson(text);
  t.deepEqual(
    back.map(([key, amounts]) => [key, amounts]),
    contributions.map((c) => [c.cellKey, c.amounts]),
  );
  // Cells with different amounts keep the earlier form, which reads back the same way.
  const mixed = [
    contributions[0]!,
    { ...contributions[1]!, amounts: { ...contributions[1]!.amounts, count: 2n } },
  ];
  t.is(cellsToJson(mixed), earlierCellsJson(mixed));
  t.deepEqual(
    cellsFromJson(cellsToJson(mixed)),
    mixed.map((c) => [c.cellKey, c.amounts]),
  );
  t.is(cellsToJson([]), '[]');
  t.deepEqual(cellsFromJson('[]'), []);
});

test('a row of rollup_txs in the earlier form is taken back exactly by a later version', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  t.teardown(() => knex.destroy());
  await store.init();
  const a = applyItemOf(rawTransaction({ transactionId: 'a', tags: ['x'] }));
  await store.apply([a]);
  const stored = (await knex('sj_rollup_txs').where({ tx_id: 'a' }).first()) as { cells: string };
  t.true(stored.cells.startsWith('{'));
  await knex('sj_rollup_txs')
    .where({ tx_id: 'a' })
    .update({ cells: earlierCellsJson(a.contributions) });
  const corrected = applyItemOf(
    rawTransaction({
      transactionId: 'a',
      version: 2,
      tags: [],
      amount: { amount: 100n, currency: 'NZD' },
    }),
  );
  t.deepEqual(await store.apply([corrected]), ['applied']);
  t.deepEqual(await rollupDifferences(store), []);
  const [tag] = await store.queryRollups({ userId: 'user-1', grain: 'month', dimension: 'tag' });
  t.is(tag?.amounts.count ?? 0n, 0n);
  const [total] = await store.queryRollups({
    userId: 'user-1',
    grain: 'month',
    dimension: 'total',
  });
  t.is(total?.amounts.expense, 100n);
});
