import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createSqlDocumentStore } from './sql-store.js';
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
