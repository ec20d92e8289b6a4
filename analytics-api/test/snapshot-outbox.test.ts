/**
 * The outbox of the reference snapshots (budgets here; category rules share the code), on every
 * test dialect (SQLite, and MariaDB once infra:up has run):
 * - a send that fails leaves the change stored and owed, and the sweep publishes the newest set
 *   once, then nothing more;
 * - publishers of one user in two instances leave the newest set as the last message of the key
 *   (what compaction keeps), even when the older send is slower;
 * - concurrent first publishes of a user (adding its publisher lock row) keep that order;
 * - on MariaDB, a change does not wait for the send of the previous snapshot (the publishers'
 *   lock is their own row);
 * - over HTTP, a change whose send fails is still stored and answered.
 */
import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import type { Knex } from 'knex';
import { migrateToLatest } from '@spendstream/core/sql';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { createMemoryLogger } from '@spendstream/core/log';
import type { Budget, TopicEvent } from '@spendstream/core/events';
import { analyticsMigrations } from '../src/migrations.js';
import { budgetTables, createSqlBudgetStore } from '../src/features/budgets/budget-store.js';
import { createSnapshotOutboxes } from '../src/snapshots.js';
import { categoryRuleTables } from '../src/features/category-rules/category-rule-store.js';
import { startTestApp } from './support/test-app.js';
import { makeBudget, testUsers } from './support/factories.js';
import type { EventPublisher } from '../src/domain/event-publisher.js';
import {
  publishedRevisionColumn,
  snapshotPublishLocksTable,
  snapshotSweepUsersMax,
} from '../src/domain/snapshot-outbox.js';

type BudgetsEvent = TopicEvent<'ref.budgets'>;

const budget = (budgetId: string, name: string): Budget => makeBudget(budgetId, { name });

/** A publisher that records what it took, fails while `failing`, and waits `delayMs()` first. */
function recordingPublisher(delayMs: () => number = () => 0) {
  const taken: BudgetsEvent[] = [];
  const state = { failing: false, attempts: 0 };
  const publisher: EventPublisher = {
    async publish(topic, event) {
      state.attempts += 1;
      await delay(delayMs());
      if (state.failing) throw new Error('the event log is down');
      if (topic === 'ref.budgets') taken.push(event as BudgetsEvent);
    },
  };
  return { publisher, taken, state };
}

function outboxes(db: Knex, publisher: EventPublisher) {
  return createSnapshotOutboxes({
    sql: db,
    publisher,
    log: createMemoryLogger('analytics-api').log,
    clock: () => new Date('2026-03-01T00:00:00Z'),
  });
}

async function publishedRevision(db: Knex, userId: string): Promise<number> {
  const row = (await db(budgetTables.revisions).where({ user_id: userId }).first()) as Record<
    string,
    number | bigint
  >;
  return Number(row[publishedRevisionColumn]);
}

/**
 * Two instances' outboxes of one database: the user `u1` saves budget b1 (revision 1) and instance
 * A starts publishing it; A's send is held (`releaseA` lets it go). Instance B sends at once.
 */
async function instanceAHoldsItsSend(db: Knex, store: ReturnType<typeof createSqlBudgetStore>) {
  let releaseA!: () => void;
  const gateA = new Promise<void>((resolve) => (releaseA = resolve));
  let sendingA!: () => void;
  const startedA = new Promise<void>((resolve) => (sendingA = resolve));
  const taken: BudgetsEvent[] = [];
  const publisherOf = (held: boolean): EventPublisher => ({
    async publish(_topic, event) {
      if (held) {
        sendingA();
        await gateA;
      }
      taken.push(event as BudgetsEvent);
    },
  });
  const a = outboxes(db, publisherOf(true)).budgets;
  const b = outboxes(db, publisherOf(false)).budgets;
  await store.save('u1', budget('b1', 'Food'));
  const publishedA = a.publish('u1');
  await startedA;
  return { b, taken, publishedA, releaseA };
}

for (const dialect of testDialects()) {
  test(`${dialect}: a failed send leaves the change stored and owed; the sweep publishes the newest set once`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, analyticsMigrations);
    const store = createSqlBudgetStore(db.knex);
    const { publisher, taken, state } = recordingPublisher();
    const { budgets: outbox } = outboxes(db.knex, publisher);

    state.failing = true;
    await store.save('u1', budget('b1', 'Food'));
    t.false(await outbox.publish('u1'));
    await store.save('u1', budget('b2', 'Rent'));
    t.false(await outbox.publish('u1'));
    t.is(taken.length, 0);
    t.is(await publishedRevision(db.knex, 'u1'), 0);
    t.deepEqual(await outbox.sweep(), { published: 0, failed: 1 });

    state.failing = false;
    t.deepEqual(await outbox.sweep(), { published: 1, failed: 0 });
    t.is(taken.length, 1);
    t.like(taken[0]!, { key: 'u1', payload: { userId: 'u1', revision: 2 } });
    t.deepEqual(
      taken[0]!.payload.budgets.map((item) => item.name),
      ['Food', 'Rent'],
    );
    t.is(await publishedRevision(db.knex, 'u1'), 2);

    // Nothing owed: neither the sweep nor another publish sends it again.
    const attempts = state.attempts;
    t.deepEqual(await outbox.sweep(), { published: 0, failed: 0 });
    t.true(await outbox.publish('u1'));
    t.is(state.attempts, attempts);
    t.is(taken.length, 1);
  });

  test(`${dialect}: two instances publishing one user's changes leave the newest set last`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, analyticsMigrations);
    const store = createSqlBudgetStore(db.knex);
    // Instance A's send of revision 1 is held until released; instance B publishes revision 2
    // meanwhile. Without the per-user lock B's newer set would be taken first and A's older one
    // would land last (what compaction would keep).
    const { b, taken, publishedA, releaseA } = await instanceAHoldsItsSend(db.knex, store);
    const publishedB = store.save('u1', budget('b2', 'Rent')).then(() => b.publish('u1'));
    // B finishes first unless the lock makes it wait for A.
    await Promise.race([publishedB, delay(500)]);
    releaseA();
    t.deepEqual(await Promise.all([publishedA, publishedB]), [true, true]);
    t.deepEqual(
      taken.map((event) => event.payload.revision),
      [1, 2],
    );
    t.deepEqual(
      taken.at(-1)!.payload.budgets.map((item) => item.name),
      ['Food', 'Rent'],
    );
    t.is(await publishedRevision(db.knex, 'u1'), 2);
  });
}

for (const dialect of testDialects()) {
  test(`${dialect}: concurrent first changes and publishes of a user send in revision order, the newest last`, async (t) => {
    const db = await createTestDatabase(dialect);
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, analyticsMigrations);
    const store = createSqlBudgetStore(db.knex);
    const { publisher, taken } = recordingPublisher(() => Math.floor(Math.random() * 20));
    const instances = [1, 2, 3].map(() => outboxes(db.knex, publisher).budgets);
    const changes = 9;
    await Promise.all(
      Array.from({ length: changes }, async (_, index) => {
        await store.save('u-first', budget(`b${index}`, `B${index}`));
        t.true(await instances[index % instances.length]!.publish('u-first'));
      }),
    );
    const revisions = taken.map((event) => event.payload.revision);
    t.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
      'never an older set after a newer one',
    );
    t.is(revisions.at(-1), changes);
    t.is(taken.at(-1)!.payload.budgets.length, changes);
    t.is(await publishedRevision(db.knex, 'u-first'), changes);
    t.deepEqual(await db.knex(snapshotPublishLocksTable).select('outbox', 'user_id'), [
      { outbox: budgetTables.revisions, user_id: 'u-first' },
    ]);
  });
}

if (testDialects().includes('mysql')) {
  test('mysql: a change of a user does not wait for the send of their previous snapshot', async (t) => {
    const db = await createTestDatabase('mysql');
    t.teardown(() => db.destroy());
    await migrateToLatest(db.knex, analyticsMigrations);
    const store = createSqlBudgetStore(db.knex);
    const { b, taken, publishedA, releaseA } = await instanceAHoldsItsSend(db.knex, store);
    // A's send of revision 1 is in flight; the next change commits without waiting for it.
    const saved = store.save('u1', budget('b2', 'Rent'));
    const first = await Promise.race([
      saved.then(() => 'saved'),
      delay(3_000).then(() => 'waited'),
    ]);
    releaseA();
    t.is(await saved, 2);
    t.is(first, 'saved');
    // Its publish still comes after A's: the publishers' lock, not the change, orders them.
    t.deepEqual(await Promise.all([publishedA, b.publish('u1')]), [true, true]);
    t.deepEqual(
      taken.map((event) => event.payload.revision),
      [1, 2],
    );
    t.is(await publishedRevision(db.knex, 'u1'), 2);
  });
}

test('a sweep publishes at most snapshotSweepUsersMax users; the next one takes the rest', async (t) => {
  const db = await createTestDatabase('sqlite');
  t.teardown(() => db.destroy());
  await migrateToLatest(db.knex, analyticsMigrations);
  const store = createSqlBudgetStore(db.knex);
  const users = snapshotSweepUsersMax + 3;
  for (let index = 0; index < users; index += 1) {
    await store.save(`u${String(index).padStart(4, '0')}`, budget(`b${index}`, 'Food'));
  }
  const { publisher, taken } = recordingPublisher();
  const { budgets: outbox } = outboxes(db.knex, publisher);
  t.deepEqual(await outbox.sweep(), { published: snapshotSweepUsersMax, failed: 0 });
  t.deepEqual(await outbox.sweep(), { published: 3, failed: 0 });
  t.deepEqual(await outbox.sweep(), { published: 0, failed: 0 });
  t.is(new Set(taken.map((event) => event.key)).size, users);
});

test('start sweeps at once and on its interval; stop ends it', async (t) => {
  const db = await createTestDatabase('sqlite');
  t.teardown(() => db.destroy());
  await migrateToLatest(db.knex, analyticsMigrations);
  const store = createSqlBudgetStore(db.knex);
  await store.save('u1', budget('b1', 'Food'));
  const { publisher, taken } = recordingPublisher();
  const { budgets: outbox } = outboxes(db.knex, publisher);
  outbox.start(20);
  for (let waited = 0; taken.length < 1 && waited < 2_000; waited += 10) await delay(10);
  t.is(taken.length, 1, 'the start sweep published the owed set');
  await store.save('u1', budget('b2', 'Rent'));
  for (let waited = 0; taken.length < 2 && waited < 2_000; waited += 10) await delay(10);
  t.is(taken.length, 2, 'a later sweep published the next change');
  await outbox.stop();
  await store.save('u1', budget('b3', 'Fun'));
  await delay(100);
  t.is(taken.length, 2, 'nothing after stop');
});

test('over HTTP, a change whose snapshot cannot be sent is stored and answered, and stays owed', async (t) => {
  const failing: EventPublisher = {
    publish: () => Promise.reject(new Error('the event log is down')),
  };
  const app = await startTestApp({ publishTo: failing, now: '2026-03-10T12:00:00Z' });
  t.teardown(() => app.close());
  const user = testUsers[3]!;
  const created = await app.as(user.userId, '/v1/budgets', {
    method: 'POST',
    body: JSON.stringify({
      name: 'Food',
      limit: { amount: '50000', currency: user.homeCurrency },
      period: { kind: 'month' },
    }),
  });
  t.is(created.status, 201);
  const { budgetId } = (await created.json()) as { budgetId: string };
  t.is((await app.as(user.userId, `/v1/budgets/${budgetId}`)).status, 200);
  const category = await app.as(user.userId, '/v1/categories/custom', {
    method: 'POST',
    body: JSON.stringify({ id: 'pets', name: 'Pets' }),
  });
  t.is(category.status, 201);
  // The new category is usable at once in this instance, though not yet published.
  const listed = (await (await app.as(user.userId, '/v1/categories')).json()) as {
    items: Array<{ id: string }>;
  };
  t.true(JSON.stringify(listed).includes('"pets"'));
  for (const table of [budgetTables.revisions, categoryRuleTables.revisions]) {
    const row = (await app.sql(table).where({ user_id: user.userId }).first()) as Record<
      string,
      number | bigint
    >;
    t.is(Number(row.revision), 1, table);
    t.is(Number(row[publishedRevisionColumn]), 0, `${table}: owed`);
  }
});
