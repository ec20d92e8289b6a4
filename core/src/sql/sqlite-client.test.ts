import test from 'ava';
import { createSql } from './create-sql.js';
import { preparedStatementsMax } from './sqlite-client.js';

test('a statement run again after a schema change sees the new columns and their BIGINT reads', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => knex.destroy());
  await knex.schema.createTable('items', (table) => {
    table.string('id').primary();
    table.bigInteger('amount').notNullable();
  });
  await knex('items').insert({ id: 'a', amount: 5n });
  t.deepEqual(await knex('items').select('*'), [{ id: 'a', amount: '5' }]);
  t.deepEqual(await knex('items').select('*'), [{ id: 'a', amount: '5' }]);
  await knex.schema.alterTable('items', (table) => {
    table.bigInteger('fee').notNullable().defaultTo(7);
  });
  // The same SQL text as before: a cached statement would not know `fee` is BIGINT.
  t.deepEqual(await knex('items').select('*'), [{ id: 'a', amount: '5', fee: '7' }]);
});

test('more distinct statements than the cache keeps still run and answer right', async (t) => {
  const knex = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => knex.destroy());
  await knex.schema.createTable('numbers', (table) => {
    table.integer('n').primary();
  });
  const count = preparedStatementsMax + 20;
  await knex('numbers').insert(Array.from({ length: 100 }, (_, n) => ({ n })));
  for (let round = 0; round < 2; round += 1) {
    for (let limit = 1; limit <= count; limit += 1) {
      const rows = await knex.raw(
        `select count(*) as c from (select n from numbers limit ${limit})`,
      );
      t.is((rows as { c: number }[])[0]!.c, Math.min(limit, 100));
    }
  }
});
