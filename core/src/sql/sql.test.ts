import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTsx } from '../http/test-process.js';
import {
  createSql,
  int64,
  isUniqueViolation,
  migrateToLatest,
  migrationTableName,
  pendingMigrations,
  rollbackAll,
  sqlDialect,
  toBigInt,
  withTransaction,
  type Migration,
} from '../sql.js';
import { createTestDatabase, testDialects } from './test-database.js';

const twoTo62 = 2n ** 62n;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

const ledgerMigrations: Migration[] = [
  {
    name: '0001-postings',
    up: (knex) =>
      knex.schema.createTable('postings', (t) => {
        t.string('id', 36).primary();
        t.bigInteger('amount').notNullable();
        t.integer('line').notNullable();
      }),
    down: (knex) => knex.schema.dropTable('postings'),
  },
  {
    name: '0002-notes',
    up: (knex) =>
      knex.schema.createTable('notes', (t) => {
        t.string('posting_id', 36).notNullable().references('id').inTable('postings');
        t.text('body').notNullable();
      }),
    down: (knex) => knex.schema.dropTable('notes'),
  },
];
const ledger = { scope: 'sql-test', migrations: ledgerMigrations };

/**
 * What a promise rejects with. (ava's throwsAsync does not hand back better-sqlite3's SqliteError,
 * which is not a native Error object.)
 */
async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

for (const dialect of testDialects()) {
  test(`${dialect}: 2^62 and the int64 bounds round-trip exactly through a BIGINT column`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    t.is(sqlDialect(db.knex), dialect);
    await migrateToLatest(db.knex, ledger);
    await db.knex('postings').insert([
      { id: 'a', amount: twoTo62, line: 1 },
      { id: 'b', amount: int64Min, line: 2 },
      { id: 'c', amount: int64Max, line: 3 },
      { id: 'd', amount: twoTo62 + 1n, line: 4 },
    ]);
    const rows = await db.knex('postings').select('id', 'amount', 'line').orderBy('line');
    t.deepEqual(
      rows.map((r: { amount: unknown }) => r.amount),
      [twoTo62.toString(), int64Min.toString(), int64Max.toString(), (twoTo62 + 1n).toString()],
    );
    // Small integer columns stay numbers on both dialects.
    t.deepEqual(
      rows.map((r: { line: unknown }) => r.line),
      [1, 2, 3, 4],
    );
    // A bigint binding compares exactly (no rounding through a double: 2^62 + 1 is not 2^62).
    const exact = await db
      .knex('postings')
      .where('amount', int64(twoTo62 + 1n))
      .select('id');
    t.deepEqual(exact, [{ id: 'd' }]);
    // An aggregate over BIGINT is exact too, read through toBigInt (SQLite sums in int64, so
    // stay within it: 2^62 + (-2^63) = -2^62).
    const [sum] = await db.knex('postings').whereIn('id', ['a', 'b']).sum({ total: 'amount' });
    t.is(toBigInt((sum as { total: unknown }).total), twoTo62 + int64Min);
  });

  test(`${dialect}: withTransaction commits on success and rolls back on error`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, ledger);
    await withTransaction(db.knex, async (trx) => {
      await trx('postings').insert({ id: 'kept', amount: 1n, line: 1 });
    });
    await t.throwsAsync(
      withTransaction(db.knex, async (trx) => {
        await trx('postings').insert({ id: 'undone', amount: 2n, line: 2 });
        throw new Error('business rule failed');
      }),
      { message: 'business rule failed' },
    );
    t.deepEqual(await db.knex('postings').pluck('id'), ['kept']);
  });

  test(`${dialect}: a nested withTransaction joins the outer one`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, ledger);
    await t.throwsAsync(
      withTransaction(db.knex, async (outer) => {
        await withTransaction(outer, async (inner) => {
          t.is(inner, outer);
          await inner('postings').insert({ id: 'inner', amount: 1n, line: 1 });
        });
        throw new Error('outer fails after inner returned');
      }),
    );
    t.deepEqual(await db.knex('postings').pluck('id'), []);
  });

  test(`${dialect}: a duplicate key is recognised as a unique violation`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, ledger);
    await db.knex('postings').insert({ id: 'x', amount: 1n, line: 1 });
    const error = await rejectionOf(db.knex('postings').insert({ id: 'x', amount: 2n, line: 2 }));
    t.true(isUniqueViolation(error));
  });

  test(`${dialect}: foreign keys are enforced`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, ledger);
    const error = await rejectionOf(db.knex('notes').insert({ posting_id: 'missing', body: 'x' }));
    t.regex(
      String((error as { code?: unknown }).code),
      /^(ER_NO_REFERENCED_ROW_2|SQLITE_CONSTRAINT_FOREIGNKEY)$/,
    );
  });

  test(`${dialect}: migrations apply once, keep a history table per scope and roll back`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    t.deepEqual(await pendingMigrations(db.knex, ledger), ['0001-postings', '0002-notes']);
    t.deepEqual(await migrateToLatest(db.knex, ledger), ['0001-postings', '0002-notes']);
    t.deepEqual(await migrateToLatest(db.knex, ledger), []);
    t.true(await db.knex.schema.hasTable(migrationTableName('sql-test')));
    t.is(migrationTableName('sql-test'), 'sql_test_migrations');
    // Another scope in the same database has its own history.
    const other = { scope: 'other', migrations: [{ name: '0001-x', up: async () => undefined }] };
    t.deepEqual(await migrateToLatest(db.knex, other), ['0001-x']);
    t.deepEqual((await rollbackAll(db.knex, ledger)).sort(), ['0001-postings', '0002-notes']);
    t.false(await db.knex.schema.hasTable('postings'));
    t.deepEqual(await pendingMigrations(db.knex, other), []);
  });
}

test('sqlite: the embedded file lives in DATA_DIR with WAL, synchronous FULL, foreign keys and a busy timeout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spendstream-sql-'));
  const knex = createSql({ DATA_DIR: dir });
  t.teardown(async () => {
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const [journal] = (await knex.raw('PRAGMA journal_mode')) as { journal_mode: string }[];
  const [fk] = (await knex.raw('PRAGMA foreign_keys')) as { foreign_keys: number }[];
  const [busy] = (await knex.raw('PRAGMA busy_timeout')) as { timeout: number }[];
  const [file] = (await knex.raw('PRAGMA database_list')) as { file: string }[];
  const [sync] = (await knex.raw('PRAGMA synchronous')) as { synchronous: number }[];
  t.is(sync?.synchronous, 2, 'synchronous = FULL');
  t.is(journal?.journal_mode, 'wal');
  t.is(fk?.foreign_keys, 1);
  t.is(busy?.timeout, 5_000);
  t.is(file?.file, join(dir, 'spendstream.sqlite'));
});

test('sqlite: a writer in another process makes a read-modify-write transaction wait, not fail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spendstream-sql-'));
  const knex = createSql({ DATA_DIR: dir });
  t.teardown(async () => {
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  await knex.schema.createTable('counter', (table) => {
    table.integer('id').primary();
    table.integer('n').notNullable();
  });
  await knex('counter').insert({ id: 1, n: 0 });
  const holder = spawnTsx(
    fileURLToPath(new URL('./fixtures/hold-write-lock.ts', import.meta.url)),
    {
      DATA_DIR: dir,
      HOLD_MS: '500',
    },
  );
  t.teardown(() => holder.stop('SIGKILL'));
  await holder.waitForRecord((r) => r.msg === 'holding');
  // Read then write while the other process is inside its read-modify-write. With a plain BEGIN
  // both would read n = 0 and one update would be lost or fail with SQLITE_BUSY_SNAPSHOT;
  // BEGIN IMMEDIATE makes this side wait for the other's commit and then read n = 1.
  const seen = await withTransaction(
    knex,
    async (trx) => {
      const row = (await trx('counter').where({ id: 1 }).first()) as { n: number };
      await trx('counter')
        .where({ id: 1 })
        .update({ n: row.n + 1 });
      return row.n;
    },
    { retriesMax: 0 },
  );
  t.is(seen, 1);
  t.is(((await knex('counter').where({ id: 1 }).first()) as { n: number }).n, 2);
  t.is((await holder.exited).code, 0);
});

test('sqlite: handles opened twice on one file in one process share a connection and close with the last', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spendstream-sql-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = createSql({ DATA_DIR: dir });
  const b = createSql({ DATA_DIR: dir });
  await a.schema.createTable('counter', (table) => {
    table.integer('id').primary();
    table.integer('n').notNullable();
  });
  await a('counter').insert({ id: 1, n: 0 });
  // A transaction that awaits between its read and its write, while the other handle writes:
  // with two connections the second writer's synchronous busy wait would stall the loop for the
  // 5 s busy timeout and then fail; on one shared connection it simply queues.
  const started = Date.now();
  await Promise.all([
    withTransaction(a, async (trx) => {
      const row = (await trx('counter').where({ id: 1 }).first()) as { n: number };
      await new Promise((resolve) => setTimeout(resolve, 100));
      await trx('counter')
        .where({ id: 1 })
        .update({ n: row.n + 1 });
    }),
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await b('counter').where({ id: 1 }).increment('n', 10);
    })(),
  ]);
  t.true(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  t.is(((await b('counter').where({ id: 1 }).first()) as { n: number }).n, 11);
  await a.destroy();
  t.is(((await b('counter').where({ id: 1 }).first()) as { n: number }).n, 11);
  await b.destroy();
  await t.throwsAsync(b('counter').select());
  // A later createSql opens the file afresh.
  const c = createSql({ DATA_DIR: dir });
  t.is(((await c('counter').where({ id: 1 }).first()) as { n: number }).n, 11);
  await c.destroy();
});

test('toBigInt accepts exact forms and refuses a rounded number', (t) => {
  t.is(toBigInt('-9223372036854775808'), int64Min);
  t.is(toBigInt(42), 42n);
  t.is(toBigInt(7n), 7n);
  t.throws(() => toBigInt(2 ** 62));
  t.throws(() => toBigInt('1.5'));
});
