/**
 * One contract for the stores, run on the in-memory twin, on SQLite and on the real MariaDB: the
 * refusals the services rely on behave the same everywhere, so a unit test on the fake means what
 * it says.
 */
import test from 'ava';
import { createFakeUnitOfWork } from '../src/fake-stores.js';
import { newId } from '../src/ids.js';
import { createSqlUnitOfWork } from '../src/stores.js';
import type { UnitOfWork } from '../src/stores.js';
import { makeUser, makeWallet } from './factories.js';
import { openTestDb } from './test-db.js';

const backends: Array<[string, () => Promise<{ uow: UnitOfWork; close(): Promise<void> }>]> = [
  ['fake', async () => ({ uow: createFakeUnitOfWork(), close: async () => undefined })],
  ...(['sqlite', 'mariadb'] as const).map(
    (kind): [string, () => Promise<{ uow: UnitOfWork; close(): Promise<void> }>] => [
      kind,
      async () => {
        const db = await openTestDb(kind);
        return { uow: createSqlUnitOfWork(db.knex), close: () => db.close() };
      },
    ],
  ),
];

for (const [name, open] of backends) {
  test.serial(`${name}: the store contract holds`, async (t) => {
    const { uow, close } = await open();
    t.teardown(close);
    const alice = await makeUser(uow);
    t.false(
      await uow.transaction((s) => s.users.insert({ ...alice, id: newId(), passwordHash: 'x' })),
      'emails are unique',
    );
    const wallet = await makeWallet(uow, alice, { overdraftLimit: 50n });
    // The conditional balance update: applied down to the limit, refused past it, with the sequence.
    const r1 = await uow.transaction((s) => s.wallets.changeBalance(wallet.id, -50n, 1));
    t.deepEqual(r1, { outcome: 'applied', balance: -50n, sequence: 1 });
    t.deepEqual(await uow.transaction((s) => s.wallets.changeBalance(wallet.id, -1n, 2)), {
      outcome: 'insufficient_funds',
    });
    t.deepEqual(await uow.transaction((s) => s.wallets.changeBalance(newId(), 5n, 2)), {
      outcome: 'missing',
    });
    await uow.transaction((s) => s.wallets.update(wallet.id, { archivedAt: 3 }, 3));
    t.deepEqual(await uow.transaction((s) => s.wallets.changeBalance(wallet.id, 5n, 4)), {
      outcome: 'archived',
    });
    // Membership-scoped reads.
    const bob = await makeUser(uow);
    t.is(await uow.read.wallets.findForMember(bob.id, wallet.id), undefined);
    t.is((await uow.read.wallets.findForMember(alice.id, wallet.id))?.role, 'owner');
    // Idempotency claims are unique per (principal, key).
    const record = {
      principal: alice.id,
      key: 'k',
      requestHash: 'h',
      responseStatus: null,
      responseBody: null,
      createdAt: 1,
      expiresAt: 2,
    };
    t.true(await uow.transaction((s) => s.idempotency.claim(record)));
    t.false(await uow.transaction((s) => s.idempotency.claim(record)));
    t.true(await uow.transaction((s) => s.idempotency.claim({ ...record, principal: bob.id })));
    // A rolled-back transaction leaves nothing behind.
    await t.throwsAsync(() =>
      uow.transaction(async (s) => {
        await s.idempotency.claim({ ...record, key: 'rolled-back' });
        throw new Error('abort');
      }),
    );
    t.is(await uow.read.idempotency.find(alice.id, 'rolled-back'), undefined);
    // The outbox reads back in append order and forgets what was marked.
    const events = ['e1', 'e2', 'e3'].map((id) => ({
      eventId: `${id}-${newId()}`,
      topic: 'wallet.events',
      key: alice.id,
      payload: '{}',
      createdAt: 1,
    }));
    const before = (await uow.read.outbox.pending(1000)).length;
    await uow.transaction((s) => s.outbox.append(events));
    const pending = (await uow.read.outbox.pending(1000)).slice(before);
    t.deepEqual(
      pending.map((e) => e.eventId),
      events.map((e) => e.eventId),
    );
    await uow.transaction((s) => s.outbox.markPublished([pending[0]!.seq], 5));
    t.deepEqual(
      (await uow.read.outbox.pending(1000)).slice(before).map((e) => e.eventId),
      events.slice(1).map((e) => e.eventId),
    );
    // A batch: each write in its own savepoint; a failing one is rolled back alone, even a batch of one.
    const batchKey = (k: string) => ({ ...record, principal: bob.id, key: k });
    const results = await uow.batch([
      (s) => s.idempotency.claim(batchKey('b1')),
      async (s) => {
        await s.idempotency.claim(batchKey('b2'));
        throw new Error('refused');
      },
      (s) => s.idempotency.claim(batchKey('b3')),
    ]);
    t.deepEqual(
      results.map((r) => r.ok),
      [true, false, true],
    );
    t.truthy(await uow.read.idempotency.find(bob.id, 'b1'));
    t.is(await uow.read.idempotency.find(bob.id, 'b2'), undefined);
    t.truthy(await uow.read.idempotency.find(bob.id, 'b3'));
    const single = await uow.batch([
      async (s) => {
        await s.idempotency.claim(batchKey('b4'));
        throw new Error('refused');
      },
    ]);
    t.false(single[0]!.ok);
    t.is(await uow.read.idempotency.find(bob.id, 'b4'), undefined);
    // Expired keys are purged, live ones kept (record above expired at 2; this one lives).
    await uow.transaction((s) =>
      s.idempotency.claim({ ...record, principal: bob.id, key: 'live', expiresAt: 10 ** 13 }),
    );
    t.true((await uow.transaction((s) => s.idempotency.purgeExpired(1_000, 1000))) >= 2);
    t.is(await uow.read.idempotency.find(alice.id, 'k'), undefined);
    t.truthy(await uow.read.idempotency.find(bob.id, 'live'));
    // A refresh token is used at most once.
    const token = {
      id: newId(),
      familyId: newId(),
      userId: alice.id,
      tokenHash: newId(),
      createdAt: 1,
      expiresAt: 10,
      usedAt: null,
      revokedAt: null,
    };
    await uow.transaction((s) => s.refreshTokens.insert(token));
    t.true(await uow.transaction((s) => s.refreshTokens.markUsed(token.id, 2)));
    t.false(await uow.transaction((s) => s.refreshTokens.markUsed(token.id, 3)));
    // Rate-limit windows count within a window, start over after it, and purge once ended.
    const hit = (at: number) => uow.transaction((s) => s.rateLimits.hit('b', at, 100));
    t.deepEqual(await hit(1_000), { hits: 1, windowEndsAt: 1_100 });
    t.deepEqual(await hit(1_050), { hits: 2, windowEndsAt: 1_100 });
    t.deepEqual(await uow.read.rateLimits.get('b', 1_099), { hits: 2, windowEndsAt: 1_100 });
    t.is(await uow.read.rateLimits.get('b', 1_100), undefined, 'an ended window reads as none');
    t.deepEqual(await hit(1_100), { hits: 1, windowEndsAt: 1_200 }, 'a new window');
    await uow.transaction((s) => s.rateLimits.hit('other', 1_000, 10));
    t.is(await uow.transaction((s) => s.rateLimits.purgeEnded(1_150, 1000)), 1);
    t.truthy(await uow.read.rateLimits.get('b', 1_150));
    await uow.transaction((s) => s.rateLimits.remove('b'));
    t.is(await uow.read.rateLimits.get('b', 1_150), undefined);
    // A lease: one holder at a time, renewed by it, taken by another once expired, released.
    const acquire = (owner: string, at: number) =>
      uow.transaction((s) => s.leases.acquire('job', owner, at, 100));
    t.true(await acquire('a', 1_000));
    t.false(await acquire('b', 1_050), 'held by a');
    t.true(await acquire('a', 1_080), 'renewed by its holder');
    t.false(await acquire('b', 1_150), 'the renewal moved the expiry to 1180');
    t.true(await acquire('b', 1_180), 'expired: b takes it');
    t.deepEqual(await uow.read.leases.get('job'), { owner: 'b', expiresAt: 1_280 });
    await uow.transaction((s) => s.leases.release('job', 'a'));
    t.is((await uow.read.leases.get('job'))?.owner, 'b', 'only the holder releases');
    await uow.transaction((s) => s.leases.release('job', 'b'));
    t.true(await acquire('a', 1_200), 'released: free at once');
  });
}
