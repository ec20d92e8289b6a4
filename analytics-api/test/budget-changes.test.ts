/**
 * Budget changes that race each other, on every test dialect (SQLite, and MariaDB once infra:up
 * has run): a change racing a deletion does not bring the budget back (404); two changes of
 * different fields of one budget both stay (the later one is made again from the newer budget);
 * concurrent creations never pass the per-user limit. Each interleaving is forced by a store
 * wrapper that lets the other request commit between the service's read and its save.
 */
import test from 'ava';
import { migrateToLatest } from '@spendstream/core/sql';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { createMemoryLogger } from '@spendstream/core/log';
import { ConflictError, NotFoundError } from '@spendstream/core/errors';
import type { Budget } from '@spendstream/core/events';
import { analyticsMigrations } from '../src/migrations.js';
import {
  BudgetChangedError,
  createSqlBudgetStore,
  type BudgetStore,
} from '../src/features/budgets/budget-store.js';
import {
  budgetUpdateAttemptsMax,
  createBudgetService,
  type BudgetDraft,
} from '../src/features/budgets/budget-service.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';
import { createMemoryUserSettingsStore } from '../src/domain/user-settings.js';
import { createDefaultCategoryCatalog } from '../src/domain/categories.js';
import { createMemoryPublisher } from '../src/domain/event-publisher.js';
import { createSnapshotOutboxes } from '../src/snapshots.js';
import { makeBudget } from './support/factories.js';

const user = 'u-budget-race';
/** A budget as a client sends it. */
function draft(name: string): BudgetDraft {
  const {
    budgetId: _id,
    createdAt: _created,
    updatedAt: _updated,
    ...fields
  } = makeBudget('-', {
    name,
  });
  return fields;
}

async function open(dialect: 'sqlite' | 'mysql') {
  const db = await createTestDatabase(dialect);
  await migrateToLatest(db.knex, analyticsMigrations);
  const stored = createSqlBudgetStore(db.knex);
  /** Runs once between the service's read of a budget and its save (the racing request). */
  let betweenReadAndSave: (() => Promise<void>) | undefined;
  const budgets: BudgetStore = {
    ...stored,
    async get(userId, budgetId) {
      const found = await stored.get(userId, budgetId);
      const racing = betweenReadAndSave;
      betweenReadAndSave = undefined;
      await racing?.();
      return found;
    },
  };
  const clock = () => new Date('2026-06-20T12:00:00Z');
  const service = createBudgetService({
    budgets,
    store: createSqlAnalyticsStore(db.knex),
    settings: createMemoryUserSettingsStore({ timeZone: 'UTC', homeCurrency: 'EUR' }),
    categories: createDefaultCategoryCatalog(),
    snapshots: createSnapshotOutboxes({
      sql: db.knex,
      publisher: createMemoryPublisher(),
      log: createMemoryLogger('analytics-api').log,
      clock,
    }),
    clock,
  });
  return {
    db,
    stored,
    service,
    race: (fn: () => Promise<void>) => {
      betweenReadAndSave = fn;
    },
  };
}

for (const dialect of testDialects()) {
  test(`${dialect}: a change racing a deletion is a 404 and does not bring the budget back`, async (t) => {
    const { db, stored, service, race } = await open(dialect);
    t.teardown(() => db.destroy());
    const { budgetId } = await service.create(user, draft('Food'));
    race(async () => {
      await service.remove(user, budgetId);
    });
    await t.throwsAsync(service.update(user, budgetId, { name: 'Food and drink' }), {
      instanceOf: NotFoundError,
    });
    t.is(await stored.get(user, budgetId), null);
    t.deepEqual(await stored.list(user), []);
  });

  test(`${dialect}: two changes of different fields of one budget both stay`, async (t) => {
    const { db, stored, service, race } = await open(dialect);
    t.teardown(() => db.destroy());
    const { budgetId } = await service.create(user, draft('Food'));
    race(async () => {
      await service.update(user, budgetId, { thresholds: [50, 90] });
    });
    const answered = await service.update(user, budgetId, { name: 'Food and drink' });
    t.like(answered, { name: 'Food and drink', thresholds: [50, 90] });
    t.like(await stored.get(user, budgetId), { name: 'Food and drink', thresholds: [50, 90] });
  });

  test(`${dialect}: a budget changed by another request each time it is read is a 409 after ${budgetUpdateAttemptsMax} attempts`, async (t) => {
    const { db, stored, service, race } = await open(dialect);
    t.teardown(() => db.destroy());
    const { budgetId } = await service.create(user, draft('Food'));
    let others = 0;
    const another = async () => {
      others += 1;
      const current = (await stored.get(user, budgetId)) as Budget;
      await stored.save(user, { ...current, thresholds: [others] });
      race(another);
    };
    race(another);
    await t.throwsAsync(service.update(user, budgetId, { name: 'Never' }), {
      instanceOf: BudgetChangedError,
    });
    race(async () => undefined);
    t.is(others, budgetUpdateAttemptsMax);
    t.like(await stored.get(user, budgetId), { name: 'Food', thresholds: [others] });
  });

  test(`${dialect}: concurrent creations never pass the per-user budget limit`, async (t) => {
    const { db, stored } = await open(dialect);
    t.teardown(() => db.destroy());
    const budgetsMax = 3;
    const budget = (index: number) => makeBudget(`bud_${index}`);
    await stored.save(user, budget(0), [], { kind: 'create', budgetsMax });
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map((index) =>
        stored.save(user, budget(index), [], { kind: 'create', budgetsMax }),
      ),
    );
    const refused = results.filter((result) => result.status === 'rejected');
    t.is(refused.length, 4);
    for (const result of refused)
      t.true(result.reason instanceof ConflictError, `${result.reason}`);
    t.is((await stored.list(user)).length, budgetsMax);
  });
}
