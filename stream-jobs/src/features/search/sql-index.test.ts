import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { createSqlSearchIndex } from './sql-index.js';
import { searchIndexContract } from './search-contract.js';

searchIndexContract(test, 'embedded index on SQLite', async () => {
  const index = createSqlSearchIndex({ knex: createSql({}, { sqliteFilename: ':memory:' }) });
  return { index, cleanup: () => index.close() };
});
