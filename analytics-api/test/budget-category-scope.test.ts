/**
 * A budget's scope and the user's custom categories live in one SQL database and are checked
 * against each other in the same transactions, on every test dialect (SQLite, and MariaDB once
 * infra:up has run): a budget naming a custom category that is not there is refused, a category
 * still named by a budget is not deleted, and a save racing a delete never leaves a budget naming
 * a deleted category. On MariaDB the two interleavings are forced: another transaction holds a
 * row one side needs while the other side starts, and each side must wait for the other's commit
 * (the user's rule revision row, locked by both) rather than decide on what it read before.
 */
import test from 'ava';
import type { Knex } from 'knex';
import { migrateToLatest } from '@spendstream/core/sql';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { ConflictError, ValidationError } from '@spendstream/core/errors';
import type { Budget } from '@spendstream/core/events';
import { analyticsMigrations } from '../src/migrations.js';
import { budgetTables, createSqlBudgetStore } from '../src/features/budgets/budget-store.js';
import {
  categoryRuleTables,
  createSqlCategoryRuleStore,
} from '../src/features/category-rules/category-rule-store.js';

function budget(budgetId: string, categories: string[]): Budget {
  return {
    budgetId,
    name: `Budget ${budgetId}`,
    limit: { amount: 10_000n, currency: 'EUR' },
    period: { kind: 'month', startDay: 1 },
    scope: { categories, walletIds: [], tags: [], merchantKeys: [] },
    thresholds: [80, 100],
    rollover: false,
    active: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

async function open(dialect: 'sqlite' | 'mysql') {
  const db = await createTestDatabase(dialect);
  await migrateToLatest(db.knex, analyticsMigrations);
  const budgets = createSqlBudgetStore(db.knex);
  const categories = createSqlCategoryRuleStore(db.knex);
  const addCategory = (userId: string, id: string) =>
    categories.change(userId, () => ({
      kind: 'put_category',
      category: { id, name: id },
      createdAt: '2026-01-01T00:00:00.000Z',
    }));
  const deleteCategory = (userId: string, id: string) =>
    categories.change(userId, () => ({ kind: 'delete_category', categoryId: id }));
  return { db, budgets, categories, addCategory, deleteCategory };
}

const budgetRevision = async (db: Knex, userId: string) =>
  Number(
    (
      (await db(budgetTables.revisions).where({ user_id: userId }).first()) as
        { revision: number } | undefined
    )?.revision ?? 0,
  );

for (const dialect of testDialects()) {
  test(`${dialect}: a budget names only existing custom categories, and a named one is not deleted`, async (t) => {
    const { db, budgets, categories, addCategory, deleteCategory } = await open(dialect);
    t.teardown(() => db.destroy());
    const user = 'u-scope';
    await t.throwsAsync(budgets.save(user, budget('b1', ['pets']), ['pets']), {
      instanceOf: ValidationError,
      message: /unknown category "pets"/,
    });
    t.deepEqual(await budgets.list(user), [], 'nothing stored');
    t.is(await budgetRevision(db.knex, user), 0, 'the bump rolled back');
    await addCategory(user, 'pets');
    await addCategory('u-other', 'fish');
    t.is(await budgets.save(user, budget('b1', ['food', 'pets']), ['pets']), 1);
    // Another user's category of the same id space is not this user's.
    await t.throwsAsync(budgets.save(user, budget('b2', ['fish']), ['fish']), {
      instanceOf: ValidationError,
    });
    const refused = await t.throwsAsync(deleteCategory(user, 'pets'), {
      instanceOf: ConflictError,
    });
    t.is(refused?.field, 'id');
    t.regex(refused?.message ?? '', /b1 \("Budget b1"\)/);
    t.is((await categories.read(user)).revision, 1, 'the refused delete rolled back its bump');
    // u-other's budgets do not hold u-scope's category, and vice versa.
    await deleteCategory('u-other', 'fish');
    // Once the scope no longer names it, the delete goes through.
    await budgets.save(user, budget('b1', ['food']), []);
    await deleteCategory(user, 'pets');
    t.deepEqual((await categories.read(user)).categories, []);
  });

  test(`${dialect}: concurrent saves and deletes of one user never leave a budget naming a deleted category`, async (t) => {
    const { db, budgets, categories, addCategory, deleteCategory } = await open(dialect);
    t.teardown(() => db.destroy());
    const user = 'u-scope-race';
    const rounds = 8;
    for (let round = 0; round < rounds; round += 1) {
      const id = `c${round}`;
      await addCategory(user, id);
      const [saved, deleted] = await Promise.allSettled([
        budgets.save(user, budget(`b${round}`, [id]), [id]),
        deleteCategory(user, id),
      ]);
      // Exactly one of them wins, whichever ran first.
      t.not(saved.status, deleted.status, `round ${round}`);
      const stored = await budgets.get(user, `b${round}`);
      const exists = (await categories.read(user)).categories.some((c) => c.id === id);
      t.is(stored !== null, exists, `round ${round}: a stored budget's category exists`);
    }
  });
}

/**
 * Wait until `count` statements of this test's database wait for a lock (or `timeoutMs` passes:
 * code that does not wait then fails on its outcome rather than hanging here).
 */
async function lockWaits(db: Knex, count: number, timeoutMs = 5_000): Promise<number> {
  const database = db.client.config.connection.database as string;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A statement of this tiny database still running after 200 ms is waiting for a lock (the
    // server's INNODB_TRX view lags, so the process list is asked).
    const [rows] = (await db.raw(
      `SELECT COUNT(*) AS waiting FROM information_schema.PROCESSLIST
        WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO IS NOT NULL AND TIME_MS > 200`,
      [database],
    )) as [Array<{ waiting: number | string }>];
    const waiting = Number(rows[0]?.waiting ?? 0);
    if (waiting >= count || Date.now() > deadline) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

if (testDialects().includes('mysql')) {
  test('mysql: a delete starting while a budget save that passed its check is held waits for it, then refuses', async (t) => {
    const { db, budgets, categories, addCategory, deleteCategory } = await open('mysql');
    t.teardown(() => db.destroy());
    const user = 'u-save-first';
    await addCategory(user, 'pets');
    await budgets.save(user, budget('b1', []), []);
    // Another transaction holds the budget row: the save checks its category, then waits here.
    const holder = await db.knex.transaction();
    await holder(budgetTables.budgets).where({ budget_id: 'b1' }).forUpdate().select('budget_id');
    const save = budgets.save(user, budget('b1', ['pets']), ['pets']);
    const saveWaits = await lockWaits(db.knex, 1);
    const removal = deleteCategory(user, 'pets');
    const bothWait = await lockWaits(db.knex, 2);
    // Released before any assertion: a failed one ends the test, and the teardown would then wait
    // for this transaction.
    await holder.commit();
    const [saved, removed] = await Promise.allSettled([save, removal]);
    t.is(saveWaits, 1, 'the save waits for the held budget row');
    t.is(bothWait, 2, 'the delete waits for the save');
    t.like(saved, { status: 'fulfilled', value: 2 });
    t.is(removed.status, 'rejected');
    const error = (removed as PromiseRejectedResult).reason as unknown;
    t.true(error instanceof ConflictError, String(error));
    t.regex((error as Error).message, /b1/);
    t.deepEqual((await budgets.get(user, 'b1'))?.scope.categories, ['pets']);
    t.deepEqual(
      (await categories.read(user)).categories.map((c) => c.id),
      ['pets'],
    );
  });

  test('mysql: a budget save starting while a delete that passed its check is held waits for it, then refuses', async (t) => {
    const { db, budgets, categories, addCategory, deleteCategory } = await open('mysql');
    t.teardown(() => db.destroy());
    const user = 'u-delete-first';
    await addCategory(user, 'pets');
    // Another transaction holds the category row: the delete checks the budgets, then waits here.
    const holder = await db.knex.transaction();
    await holder(categoryRuleTables.categories)
      .where({ user_id: user, category_id: 'pets' })
      .forUpdate()
      .select('category_id');
    const removal = deleteCategory(user, 'pets');
    const deleteWaits = await lockWaits(db.knex, 1);
    const save = budgets.save(user, budget('b1', ['pets']), ['pets']);
    const bothWait = await lockWaits(db.knex, 2);
    await holder.commit();
    const [removed, saved] = await Promise.allSettled([removal, save]);
    t.is(deleteWaits, 1, 'the delete waits for the held category row');
    t.is(bothWait, 2, 'the save waits for the delete');
    t.like(removed, { status: 'fulfilled', value: { revision: 2 } });
    t.is(saved.status, 'rejected');
    const error = (saved as PromiseRejectedResult).reason as unknown;
    t.true(error instanceof ValidationError, String(error));
    t.regex((error as Error).message, /unknown category "pets"/);
    t.is(await budgets.get(user, 'b1'), null);
    t.is(await budgetRevision(db.knex, user), 0);
    t.deepEqual((await categories.read(user)).categories, []);
  });
}
