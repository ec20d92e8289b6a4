import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createSqlSearchIndex } from './sql-index.js';
import { searchIndexContract } from './search-contract.js';

searchIndexContract(test, 'embedded index on SQLite', async () => {
  const index = createSqlSearchIndex({ knex: createSql({}, { sqliteFilename: ':memory:' }) });
  return { index, cleanup: () => index.close() };
});

searchIndexContract(test, 'embedded index on MariaDB', async () => {
  const knex = createSql({ DATABASE_URL: realServers(['DATABASE_URL']).DATABASE_URL });
  const prefix = `${uniqueName('sj')}_`;
  const index = createSqlSearchIndex({ knex, tablePrefix: prefix });
  return {
    index,
    cleanup: async () => {
      await knex.schema.dropTableIfExists(`${prefix}search`);
      await index.close();
    },
  };
});
