/**
 * The SQL rule store on every test dialect (SQLite, and MariaDB once infra:up has run): a change
 * bumps the user's revision by one in the same transaction as its edit, a refused plan rolls both
 * back, and concurrent changes of one user queue behind each other, so each sees the set the one
 * before it left (no lost update, no revision twice, the limit check sees every row).
 */
import test from 'ava';
import { migrateToLatest } from '@spendstream/core/sql';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { ConflictError, InvariantError } from '@spendstream/core/errors';
import type { CategoryRule } from '@spendstream/core/events';
import { analyticsMigrations } from '../src/migrations.js';
import { createSqlCategoryRuleStore } from '../src/features/category-rules/category-rule-store.js';

function rule(ruleId: string, priority: number): CategoryRule {
  return {
    ruleId,
    priority,
    match: { merchantContains: `m${priority}`, amountMin: { amount: 1234n, currency: 'EUR' } },
    category: 'food',
    addTags: [],
    origin: 'user',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, priority)).toISOString(),
  };
}

async function openStore(dialect: 'sqlite' | 'mysql') {
  const db = await createTestDatabase(dialect);
  await migrateToLatest(db.knex, analyticsMigrations);
  return { db, store: createSqlCategoryRuleStore(db.knex) };
}

for (const dialect of testDialects()) {
  test(`${dialect}: each change bumps the revision with its edit; a refused plan changes nothing`, async (t) => {
    const { db, store } = await openStore(dialect);
    t.teardown(() => db.destroy());
    t.deepEqual(await store.read('u1'), { revision: 0, rules: [], categories: [] });
    const first = await store.change('u1', () => ({ kind: 'put_rule', rule: rule('r1', 1) }));
    t.is(first.revision, 1);
    t.deepEqual(first.rules, [rule('r1', 1)]);
    const second = await store.change('u1', (current) => {
      t.is(current.revision, 1, 'plan sees the set before the change');
      return {
        kind: 'put_category',
        category: { id: 'pets', name: 'Pets', parentId: 'health' },
        createdAt: '2026-01-02T00:00:00.000Z',
      };
    });
    t.deepEqual(second, {
      revision: 2,
      rules: [rule('r1', 1)],
      categories: [{ id: 'pets', name: 'Pets', parentId: 'health' }],
    });
    await t.throwsAsync(
      store.change('u1', () => {
        throw new ConflictError('no');
      }),
      { instanceOf: ConflictError },
    );
    // An edit failing after the bump (a planned row that is gone) rolls the bump back too.
    await t.throwsAsync(
      store.change('u1', () => ({ kind: 'delete_rule', ruleId: 'missing' })),
      { instanceOf: InvariantError },
    );
    t.is((await store.read('u1')).revision, 2);
    await store.change('u1', () => ({
      kind: 'put_category',
      category: { id: 'pets', name: 'Renamed' },
      createdAt: '2026-12-31T00:00:00.000Z',
    }));
    const renamed = await store.read('u1');
    t.deepEqual(
      renamed.categories,
      [{ id: 'pets', name: 'Renamed' }],
      'an update replaces the body',
    );
    t.is(renamed.revision, 3);
    const removed = await store.change('u1', () => ({ kind: 'delete_rule', ruleId: 'r1' }));
    t.deepEqual([removed.revision, removed.rules], [4, []]);
    // Another user's set is apart.
    t.deepEqual(await store.read('u2'), { revision: 0, rules: [], categories: [] });
  });

  test(`${dialect}: concurrent changes of one user queue: every rule kept, revisions 1..n once each`, async (t) => {
    const { db, store } = await openStore(dialect);
    t.teardown(() => db.destroy());
    const changes = 12;
    const seen: number[] = [];
    const results = await Promise.all(
      Array.from({ length: changes }, (_, index) =>
        store
          .change('u-busy', (current) => {
            seen.push(current.rules.length);
            // A limit of 8 checked on the set as it is: never exceeded however they interleave.
            if (current.rules.length >= 8) throw new ConflictError('full');
            return { kind: 'put_rule', rule: rule(`r${index}`, index) };
          })
          .catch((error: unknown) => error),
      ),
    );
    const applied = results.filter((result) => !(result instanceof Error));
    t.is(applied.length, 8);
    t.is(results.filter((result) => result instanceof ConflictError).length, changes - 8);
    const final = await store.read('u-busy');
    t.is(final.rules.length, 8);
    t.deepEqual(
      applied.map((result) => (result as { revision: number }).revision).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    t.is(final.revision, 8, 'refused changes left no revision behind');
    // Each plan saw the rows of the ones before it (a deadlock retry may run a plan twice).
    t.deepEqual(
      [...new Set(seen)].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
  });
}
