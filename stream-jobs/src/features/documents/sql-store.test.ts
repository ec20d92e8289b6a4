import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createSqlDocumentStore } from './sql-store.js';
import { documentStoreContract } from './store-contract.js';

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
      for (const table of ['transactions', 'rollups', 'rollup_cells', 'alerts', 'state']) {
        await knex.schema.dropTableIfExists(`${prefix}${table}`);
      }
      await store.close();
    },
  };
});
