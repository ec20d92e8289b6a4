import test from 'ava';
import { createSql } from '@spendstream/core/sql/create-sql';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { amountFields, transactionCellsOf, type Contribution } from '../rollups/contributions.js';
import { cellsFromJson, cellsToJson, createSqlDocumentStore } from './sql-store.js';
import { documentStoreContract, rollupDifferences } from './store-contract.js';
import { applyItemOf, monthlyBudget, rawTransaction, userContext } from './test-documents.js';

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
        'alert_batches',
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

/** An alert record of `user-1` with the id `id`. */
function alertRecord(id: string) {
  return {
    alertId: id,
    identity: `large_transaction:transaction:${id}:2026-11-25:a1000NZD`,
    userId: 'user-1',
    payload: { alertId: id },
    createdAt: '2026-11-25T10:00:00.000Z',
    publishedAt: null,
  };
}

test("publishing all the alerts of one recording marks their batch's row, not theirs; a part of a batch is marked alert by alert", async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  t.teardown(() => knex.destroy());
  await store.init();
  t.deepEqual((await store.insertAlerts([alertRecord('a-1'), alertRecord('a-2')])).fresh, [
    true,
    true,
  ]);
  t.deepEqual((await store.insertAlerts([alertRecord('b-1'), alertRecord('b-2')])).fresh, [
    true,
    true,
  ]);
  t.deepEqual((await store.insertAlerts([alertRecord('a-1')])).fresh, [false]);
  await store.markAlertsPublished(['a-2', 'a-1', 'a-1'], '2026-11-25T10:00:01.000Z');
  await store.markAlertsPublished(['b-2'], '2026-11-25T10:00:02.000Z');
  const rowMarks = async () =>
    Object.fromEntries(
      (
        (await knex('sj_alerts').orderBy('alert_id').select('alert_id', 'published_at')) as {
          alert_id: string;
          published_at: string | null;
        }[]
      ).map((row) => [row.alert_id, row.published_at]),
    );
  // The whole first batch: one batch row written, the alerts' rows untouched.
  t.deepEqual(await rowMarks(), {
    'a-1': null,
    'a-2': null,
    'b-1': null,
    'b-2': '2026-11-25T10:00:02.000Z',
  });
  t.deepEqual(
    (await knex('sj_alert_batches').orderBy('batch_id').select('size', 'published_at')).map(
      (row: { size: unknown; published_at: unknown }) => [Number(row.size), row.published_at],
    ),
    [
      [2, '2026-11-25T10:00:01.000Z'],
      [2, null],
    ],
  );
  const published = async () =>
    Object.fromEntries(
      (await store.listAlerts({ limit: 10 })).map((alert) => [alert.alertId, alert.publishedAt]),
    );
  t.deepEqual(await published(), {
    'a-1': '2026-11-25T10:00:01.000Z',
    'a-2': '2026-11-25T10:00:01.000Z',
    'b-1': null,
    'b-2': '2026-11-25T10:00:02.000Z',
  });
  t.deepEqual(
    (await store.listAlerts({ unpublishedOnly: true, limit: 10 })).map((alert) => alert.alertId),
    ['b-1'],
  );
  // A mark again changes nothing: neither a batch's time nor an alert's.
  await store.markAlertsPublished(['a-1', 'a-2', 'b-2'], '2026-11-25T11:00:00.000Z');
  await store.markAlertsPublished(['b-1'], '2026-11-25T10:00:03.000Z');
  t.deepEqual(await published(), {
    'a-1': '2026-11-25T10:00:01.000Z',
    'a-2': '2026-11-25T10:00:01.000Z',
    'b-1': '2026-11-25T10:00:03.000Z',
    'b-2': '2026-11-25T10:00:02.000Z',
  });
  t.deepEqual(await store.listAlerts({ unpublishedOnly: true, limit: 10 }), []);
});

test("the pipeline's mark of a recorded batch is one update of the batch's row, no read", async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  t.teardown(() => knex.destroy());
  await store.init();
  const { batch } = await store.insertAlerts([alertRecord('a-1'), alertRecord('a-2')]);
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', onQuery);
  await store.markAlertBatchPublished(batch!, '2026-11-25T10:00:01.000Z');
  knex.off('query', onQuery);
  t.is(statements.length, 1);
  t.regex(statements[0]!, /^update `sj_alert_batches`/);
  t.deepEqual(
    (await store.listAlerts({ limit: 10 })).map((alert) => alert.publishedAt),
    ['2026-11-25T10:00:01.000Z', '2026-11-25T10:00:01.000Z'],
  );
  t.deepEqual(
    (await knex('sj_alerts').select('published_at')).map(
      (row: { published_at: unknown }) => row.published_at,
    ),
    [null, null],
  );
});

test('a store whose alerts table predates the batch marks gets the column and keeps its marks', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => knex.destroy());
  // The alerts table as stores before 2026-11-27 (session 14) had it: no batch column or table.
  await createSqlDocumentStore({ knex, closeKnex: false }).init();
  await knex.schema.alterTable('sj_alerts', (table) => table.dropColumn('batch_id'));
  await knex.schema.dropTable('sj_alert_batches');
  for (const [id, publishedAt] of [
    ['old-1', '2026-11-25T09:00:00.000Z'],
    ['old-2', null],
  ] as const)
    await knex('sj_alerts').insert({
      alert_id: id,
      identity: alertRecord(id).identity,
      user_id: 'user-1',
      payload: JSON.stringify({ alertId: id }),
      created_at: '2026-11-25T08:00:00.000Z',
      published_at: publishedAt,
    });
  t.false(await knex.schema.hasColumn('sj_alerts', 'batch_id'));
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  await store.init();
  t.true(await knex.schema.hasColumn('sj_alerts', 'batch_id'));
  t.deepEqual(
    (await store.listAlerts({ unpublishedOnly: true, limit: 10 })).map((alert) => alert.alertId),
    ['old-2'],
  );
  t.deepEqual((await store.insertAlerts([alertRecord('new-1'), alertRecord('old-2')])).fresh, [
    true,
    false,
  ]);
  await store.markAlertsPublished(['old-2', 'new-1'], '2026-11-25T10:00:00.000Z');
  t.deepEqual(
    (await store.listAlerts({ limit: 10 })).map((alert) => [alert.alertId, alert.publishedAt]),
    [
      ['new-1', '2026-11-25T10:00:00.000Z'],
      ['old-1', '2026-11-25T09:00:00.000Z'],
      ['old-2', '2026-11-25T10:00:00.000Z'],
    ],
  );
  // A second init changes nothing.
  await store.init();
  t.is((await store.listAlerts({ limit: 10 })).length, 3);
});

for (const dialect of testDialects()) {
  test(`on ${dialect}, init drops the documents' by-user index that stores before session 14 had (nothing reads it)`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    const indexNames = async (): Promise<string[]> => {
      if (dialect === 'sqlite')
        return (
          (await db
            .knex('sqlite_master')
            .where({ type: 'index', tbl_name: 'sj_transactions' })
            .whereNotNull('sql')
            .select('name')) as { name: string }[]
        ).map((row) => row.name);
      const [rows] = (await db.knex.raw(
        'select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = ? and index_name <> ?',
        ['sj_transactions', 'PRIMARY'],
      )) as [{ name: string }[]];
      return rows.map((row) => row.name);
    };
    const store = createSqlDocumentStore({ knex: db.knex, closeKnex: false });
    await store.init();
    t.deepEqual(await indexNames(), []);
    await db.knex.schema.alterTable('sj_transactions', (table) => {
      table.index(['user_id', 'occurred_at_utc'], 'sj_tx_user_time');
    });
    t.deepEqual(await indexNames(), ['sj_tx_user_time']);
    await store.init();
    t.deepEqual(await indexNames(), []);
    const a = applyItemOf(rawTransaction({ transactionId: 'a' }));
    t.deepEqual(await store.apply([a]), ['applied']);
    t.is((await store.getTransactions(['a'])).get('a')?.id, 'a');
  });
}

/** The `rollup_txs.cells` form written before 2026-11-27: one array per cell, key then amounts. */
function earlierCellsJson(contributions: Contribution[]): string {
  return JSON.stringify(
    contributions.map((c) => [c.cellKey, ...amountFields.map((f) => c.amounts[f].toString())]),
  );
}

test("a transaction's contributions are stored compactly and read back as the same cells and amounts", (t) => {
  const { doc, cells, contributions } = applyItemOf(
    rawTransaction({
      transactionId: 'a|b',
      userId: 'user 1|x',
      tags: ['x.y', 'café', 'say "hi" \\ 50%'],
    }),
    userContext({ budgets: [monthlyBudget('b "1"', 10_000n, ['food'])] }),
  );
  const text = cellsToJson(cells);
  // The text written by hand is the JSON of the compact form (quotes and backslashes are encoded).
  const middle = (key: string) => key.slice(cells.prefix.length, key.length - cells.suffix.length);
  t.is(
    text,
    JSON.stringify({
      p: cells.prefix,
      s: cells.suffix,
      a: amountFields.map((f) => cells.amounts[f].toString()),
      k: contributions.map((c) => middle(c.cellKey)),
    }),
  );
  t.true(text.length < earlierCellsJson(contributions).length * 0.6, `${text.length} bytes`);
  t.deepEqual(
    cellsFromJson(text),
    contributions.map((c) => [c.cellKey, c.amounts]),
  );
  // The earlier form, cells of different amounts included, reads back the same way.
  const mixed = [
    contributions[0]!,
    { ...contributions[1]!, amounts: { ...contributions[1]!.amounts, count: 2n } },
  ];
  t.deepEqual(
    cellsFromJson(earlierCellsJson(mixed)),
    mixed.map((c) => [c.cellKey, c.amounts]),
  );
  t.is(cellsToJson(transactionCellsOf({ ...doc, status: 'reversed' })), '[]');
  t.deepEqual(cellsFromJson('[]'), []);
});

test('cells of one period and key in other dimensions are summed apart, in a batch and when taken back', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  t.teardown(() => knex.destroy());
  await store.init();
  // The tag "food" is also a category, the day 2026-11-01 also the budget's period start; two
  // transactions of the user share every cell of the batch but the tags'.
  const user = userContext({ budgets: [monthlyBudget('b1', 10_000n)] });
  const at = '2026-11-01T10:00:00+13:00';
  const a = applyItemOf(
    rawTransaction({ transactionId: 'a', occurredAt: at, tags: ['food'] }),
    user,
  );
  const b = applyItemOf(
    rawTransaction({ transactionId: 'b', occurredAt: at, tags: ['groceries', 'all'] }),
    user,
  );
  t.true(a.contributions.some((c) => c.dimension === 'tag' && c.key === 'food'));
  t.true(a.contributions.some((c) => c.grain === 'budget' && c.period === '2026-11-01'));
  t.deepEqual(await store.apply([a, b]), ['applied', 'applied']);
  t.deepEqual(await rollupDifferences(store), []);
  const row = async (grain: string, dimension: string, key: string) =>
    (await store.queryRollups({ userId: 'user-1', period: '2026-11-01' })).find(
      (r) => r.grain === grain && r.dimension === dimension && r.key === key,
    );
  t.is((await row('day', 'category', 'food'))?.amounts.count, 2n);
  t.is((await row('day', 'tag', 'food'))?.amounts.count, 1n);
  const budget = await row('budget', 'budget', 'b1');
  t.is(budget?.amounts.count, 2n);
  t.is(budget?.periodEnd, '2026-12-01');
  // A correction of one and a new version of the other in one batch take back and add again.
  const a2 = applyItemOf(
    rawTransaction({ transactionId: 'a', version: 2, occurredAt: at, tags: ['all'] }),
    user,
  );
  const b2 = applyItemOf(
    rawTransaction({
      transactionId: 'b',
      version: 2,
      occurredAt: at,
      tags: ['food'],
      amount: { amount: 99n, currency: 'NZD' },
    }),
    user,
  );
  t.deepEqual(await store.apply([a2, b2]), ['applied', 'applied']);
  t.deepEqual(await rollupDifferences(store), []);
  t.is((await row('day', 'total', 'all'))?.amounts.expense, 1250n + 99n);
  t.is((await row('day', 'tag', 'all'))?.amounts.count, 1n);
  t.is((await row('day', 'tag', 'groceries'))?.amounts.count, 0n);
  t.is((await row('budget', 'budget', 'b1'))?.amounts.expense, 1250n + 99n);
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

test("an alert's payload text given with it is what the store writes (not the payload stringified again)", async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  t.teardown(() => knex.destroy());
  await store.init();
  // A text that differs from `JSON.stringify(payload)` in its spacing alone shows which was written.
  const withText = (id: string) => {
    const record = alertRecord(id);
    return { ...record, payloadText: JSON.stringify(record.payload, null, 1) };
  };
  t.deepEqual((await store.insertAlerts([withText('t-1'), alertRecord('t-2')])).fresh, [
    true,
    true,
  ]);
  t.true(await store.insertAlert(withText('t-3')));
  const texts = Object.fromEntries(
    (
      (await knex('sj_alerts').orderBy('alert_id').select('alert_id', 'payload')) as {
        alert_id: string;
        payload: string;
      }[]
    ).map((row) => [row.alert_id, row.payload]),
  );
  t.deepEqual(texts, {
    't-1': withText('t-1').payloadText,
    't-2': JSON.stringify(alertRecord('t-2').payload),
    't-3': withText('t-3').payloadText,
  });
  // Read back, each is its payload.
  const listed = await store.listAlerts({ unpublishedOnly: true, limit: 10 });
  t.deepEqual(
    listed.map((alert) => alert.payload),
    ['t-1', 't-2', 't-3'].map((id) => alertRecord(id).payload),
  );
});
