import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createSqlDocumentStore, sqlDocumentsTable } from '../documents/sql-store.js';
import { documentOf, rawTransaction } from '../documents/test-documents.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import { transactionCellsOf } from '../rollups/contributions.js';
import { createSqlSearchIndex } from './sql-index.js';
import { searchIndexContract } from './search-contract.js';
import type { SearchIndex } from './search-index.js';

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

/** The embedded default: the store and the index in one SQLite database, the index keeping no copy. */
function besideTheStore() {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  const index = createSqlSearchIndex({
    knex,
    closeKnex: false,
    documentsTable: sqlDocumentsTable(),
  });
  return { knex, store, index };
}

searchIndexContract(test, 'embedded index beside the documents table on SQLite', async () => {
  const { knex, store, index } = besideTheStore();
  await store.init();
  // As the pipeline does: the store applies a batch, then the index takes what it holds.
  const written: SearchIndex = {
    ...index,
    async index(docs: TransactionDocument[]) {
      await store.apply(docs.map((doc) => ({ doc, cells: transactionCellsOf(doc) })));
      await index.index(docs);
    },
  };
  return { index: written, cleanup: () => knex.destroy() };
});

test('beside the documents table the index keeps no copy of a document; a row indexed with its copy is read from it; an index not given the table says what to do', async (t) => {
  const { knex, store, index } = besideTheStore();
  t.teardown(() => knex.destroy());
  await store.init();
  await index.init();
  const a = documentOf(rawTransaction({ transactionId: 'a', occurredAt: '2026-11-01T10:00:00Z' }));
  const b = documentOf(rawTransaction({ transactionId: 'b', occurredAt: '2026-11-02T10:00:00Z' }));
  // `a` indexed by an index keeping copies (a store written before 2026-11-27, session 15).
  await createSqlSearchIndex({ knex, closeKnex: false }).index([a]);
  await store.apply([a, b].map((doc) => ({ doc, cells: transactionCellsOf(doc) })));
  await index.index([b]);
  const copies = Object.fromEntries(
    ((await knex('sj_search').select('id', 'doc')) as { id: string; doc: string }[]).map((row) => [
      row.id,
      row.doc.length,
    ]),
  );
  t.is(copies.b, 0);
  t.true(copies.a! > 100);
  const found = await index.search({ userId: a.userId });
  t.deepEqual(
    found.map((doc) => [doc.id, doc.version, doc.homeAmountMinor, doc.merchantKey]),
    [b, a].map((doc) => [doc.id, doc.version, doc.homeAmountMinor, doc.merchantKey]),
  );
  const apart = createSqlSearchIndex({ knex, closeKnex: false });
  await t.throwsAsync(apart.search({ userId: a.userId }), {
    message: /holds no copy of document b .*rebuild the index/,
  });
});
