/** The query contract on the embedded SQL twin (SQLite in memory). */
import test from 'ava';
import knexFactory from 'knex';
import { registerAnalyticsContract } from './support/analytics-contract.js';
import { migrateToLatest } from '@spendstream/core/sql';
import { analyticsMigrations } from '../src/migrations.js';
import { loadSqlDocuments } from '../src/query/sql-loader.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';

registerAnalyticsContract(test, 'embedded', async (docs) => {
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  await migrateToLatest(db, analyticsMigrations);
  await loadSqlDocuments(db, docs);
  return {
    store: createSqlAnalyticsStore(db),
    close: () => db.destroy(),
  };
});
