import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { createSql } from '@spendstream/core/sql/create-sql';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import {
  insertRows,
  rowsPerStatementMax,
  selectByKeys,
  statementSizes,
  type OnConflict,
} from './sql-rows.js';

test('rows are cut into full statements and the rest into descending powers of two', (t) => {
  t.deepEqual(statementSizes(0), []);
  t.deepEqual(statementSizes(1), [1]);
  t.deepEqual(statementSizes(rowsPerStatementMax), [rowsPerStatementMax]);
  t.deepEqual(statementSizes(rowsPerStatementMax * 2 + 45), [
    rowsPerStatementMax,
    rowsPerStatementMax,
    32,
    8,
    4,
    1,
  ]);
  for (const count of [3, 127, 255, 1_000])
    t.is(
      statementSizes(count).reduce((a, b) => a + b, 0),
      count,
    );
});

/** A fresh table `(id, total, label)` of a unique name, dropped (and the connection closed) after `t`. */
async function rowsTable(t: ExecutionContext, open: () => Knex) {
  const knex = open();
  const table = uniqueName('sj_rows');
  t.teardown(async () => {
    await knex.schema.dropTableIfExists(table);
    await knex.destroy();
  });
  await knex.schema.createTable(table, (tb) => {
    tb.string('id', 32).primary();
    tb.bigInteger('total').notNullable();
    tb.string('label', 32).notNullable();
  });
  return { knex, table, columns: ['id', 'total', 'label'] };
}

for (const [name, open] of [
  ['SQLite', () => createSql({}, { sqliteFilename: ':memory:' })],
  ['MariaDB', () => createSql({ DATABASE_URL: realServers(['DATABASE_URL']).DATABASE_URL })],
] as const) {
  test(`${name}: every row is inserted once, an upsert adds or replaces per column, and a rollback takes the rows back`, async (t) => {
    const { knex, table, columns } = await rowsTable(t, open);
    const conflict: OnConflict = { key: 'id', columns: { total: 'add', label: 'replace' } };
    const rows = Array.from({ length: 300 }, (_, i) => [`k${i}`, BigInt(i) + 2n ** 60n, 'first']);
    await knex.transaction((trx) => insertRows(trx, table, columns, rows, conflict));
    await knex.transaction((trx) =>
      insertRows(trx, table, columns, [['k7', 5n, 'second']], conflict),
    );
    const stored = (await knex(table).orderBy('id')) as {
      id: string;
      total: string;
      label: string;
    }[];
    t.is(stored.length, 300);
    const k7 = stored.find((row) => row.id === 'k7')!;
    t.is(BigInt(k7.total), 2n ** 60n + 12n);
    t.is(k7.label, 'second');
    t.is(BigInt(stored.find((row) => row.id === 'k299')!.total), 2n ** 60n + 299n);
    // Without a conflict clause a stored key is an error, and the statement adds nothing.
    const error = await t.throwsAsync(
      knex.transaction((trx) =>
        insertRows(trx, table, columns, [
          ['k1', 1n, 'x'],
          ['new', 1n, 'x'],
        ]),
      ),
      { any: true },
    );
    t.regex(String((error as { code?: unknown }).code), /PRIMARYKEY|DUP_ENTRY/);
    t.is(Number((await knex(table).count({ n: '*' }))[0]!.n), 300);
    // Rows written (and sums added) in a transaction that then fails are taken back with it.
    await t.throwsAsync(
      knex.transaction(async (trx) => {
        await insertRows(
          trx,
          table,
          columns,
          [
            ['k8', 1n, 'rolled back'],
            ['n1', 1n, 'x'],
          ],
          conflict,
        );
        t.is(Number((await trx(table).count({ n: '*' }))[0]!.n), 301);
        throw new Error('fails after the insert');
      }),
      { message: 'fails after the insert' },
    );
    t.is(Number((await knex(table).count({ n: '*' }))[0]!.n), 300);
    const k8 = (await knex(table).where({ id: 'k8' }).first()) as {
      total: string;
      label: string;
    };
    t.is(BigInt(k8.total), 2n ** 60n + 8n);
    t.is(k8.label, 'first');
  });

  test(`${name}: a key repeated in one upsert, stored or not, adds up in order`, async (t) => {
    const { knex, table, columns } = await rowsTable(t, open);
    const conflict: OnConflict = { key: 'id', columns: { total: 'add', label: 'replace' } };
    await knex.transaction((trx) => insertRows(trx, table, columns, [['old', 1n, 'a']], conflict));
    await knex.transaction((trx) =>
      insertRows(
        trx,
        table,
        columns,
        [
          ['new', 1n, 'a'],
          ['old', 2n, 'b'],
          ['other', 7n, 'x'],
          ['new', 2n, 'b'],
          ['old', 4n, 'c'],
          ['new', 4n, 'c'],
        ],
        conflict,
      ),
    );
    const stored = (await knex(table).orderBy('id')) as {
      id: string;
      total: string;
      label: string;
    }[];
    t.deepEqual(
      stored.map((row) => [row.id, BigInt(row.total), row.label]),
      [
        ['new', 7n, 'c'],
        ['old', 7n, 'c'],
        ['other', 7n, 'x'],
      ],
    );
  });
}

for (const [name, open] of [
  ['SQLite', () => createSql({}, { sqliteFilename: ':memory:' })],
  ['MariaDB', () => createSql({ DATABASE_URL: realServers(['DATABASE_URL']).DATABASE_URL })],
] as const) {
  test(`${name}: rows selected by key come back once each, in a transaction and out of one, with exact integers`, async (t) => {
    const { knex, table, columns } = await rowsTable(t, open);
    const rows = Array.from({ length: 300 }, (_, i) => [`k${i}`, BigInt(i) + 2n ** 60n, 'x']);
    await knex.transaction((trx) => insertRows(trx, table, columns, rows));
    // 300 keys wanted (one absent): statements of 256, 32, 8 and 4 keys on SQLite.
    const keys = [...Array.from({ length: 299 }, (_, i) => `k${i + 1}`), 'absent'];
    const totals = (found: Record<string, unknown>[]) =>
      found
        .map((row) => [row.id as string, BigInt(row.total as bigint | string)] as const)
        .sort(([a], [b]) => a.localeCompare(b));
    const expected = keys
      .slice(0, 299)
      .map((key, i) => [key, BigInt(i + 1) + 2n ** 60n] as const)
      .sort(([a], [b]) => a.localeCompare(b));
    const inTransaction = await knex.transaction((trx) => selectByKeys(trx, table, 'id', keys));
    t.is(inTransaction.length, 299);
    t.deepEqual(totals(inTransaction), expected);
    if (name === 'SQLite') t.is(typeof inTransaction[0]!.total, 'bigint');
    t.deepEqual(totals(await selectByKeys(knex, table, 'id', keys)), expected);
    t.deepEqual(await selectByKeys(knex, table, 'id', []), []);
  });
}

test('a row with the wrong number of values is refused before anything is written', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => knex.destroy());
  await knex.schema.createTable('t', (tb) => {
    tb.string('id', 32).primary();
    tb.string('label', 32);
  });
  const rows = [...Array.from({ length: 300 }, (_, i) => [`k${i}`, 'x']), ['b']];
  await t.throwsAsync(
    knex.transaction((trx) => insertRows(trx, 't', ['id', 'label'], rows)),
    { instanceOf: TypeError, message: /has 1 values for 2/ },
  );
  t.deepEqual(await knex('t'), []);
});
