/**
 * `ref.wallets`: every wallet change writes, in its own transaction, the next `wallets.snapshot` of
 * every user it concerns (owner and members), with growing revisions; a removed member's next
 * snapshot no longer lists the wallet. On the in-memory twin, SQLite and the real MariaDB.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { ConflictError } from '@spendstream/core/errors';
import {
  decodeEvent,
  sharedWalletsPerUserMax,
  topics,
  walletMembersPerWalletMax,
  walletsPerUserMax,
} from '@spendstream/core/events';
import type { WalletsSnapshotV1 } from '@spendstream/core/events';
import { createFakeUnitOfWork } from '../src/fake-stores.js';
import { createKeyRing } from '../src/features/auth/keys.js';
import { createAuthService } from '../src/features/auth/service.js';
import { newId } from '../src/ids.js';
import { putMember, removeMember, updateWallet } from '../src/features/wallets/service.js';
import { createSqlUnitOfWork } from '../src/stores.js';
import type { UnitOfWork } from '../src/stores.js';
import type { User } from '../src/features/users/store.js';
import { makeUser, makeWallet } from './factories.js';
import { openTestDb } from './test-db.js';

type Backend = [string, () => Promise<{ uow: UnitOfWork; close(): Promise<void> }>];
const backends: Backend[] = [
  ['fake', async () => ({ uow: createFakeUnitOfWork(), close: async () => undefined })],
  ...(['sqlite', 'mariadb'] as const).map((kind): Backend => [
    kind,
    async () => {
      const db = await openTestDb(kind);
      return { uow: createSqlUnitOfWork(db.knex), close: () => db.close() };
    },
  ]),
];

/** Every `wallets.snapshot` in the outbox (in outbox order), decoded through the schema. */
async function snapshots(uow: UnitOfWork): Promise<WalletsSnapshotV1[]> {
  const rows = await uow.read.outbox.pending(100_000);
  return rows
    .filter((r) => r.topic === topics.refWallets)
    .map((r) => {
      const event = decodeEvent(topics.refWallets, r.payload);
      if (event.key !== r.key || r.eventId !== event.id) throw new Error('key or id differs');
      return event.payload;
    });
}

/** The snapshots written since `before` (a count of earlier ones), by user. */
async function newSnapshots(uow: UnitOfWork, before: number) {
  const all = await snapshots(uow);
  const byUser = new Map<string, WalletsSnapshotV1>();
  for (const s of all.slice(before)) byUser.set(s.userId, s);
  return { all, added: all.slice(before), byUser };
}

function revisionsGrow(t: ExecutionContext, all: WalletsSnapshotV1[]): void {
  const last = new Map<string, number>();
  for (const s of all) {
    t.is(s.revision, (last.get(s.userId) ?? 0) + 1, `revisions of ${s.userId} have no gap`);
    last.set(s.userId, s.revision);
  }
}

for (const [name, open] of backends) {
  test.serial(
    `${name}: each wallet and member change publishes the snapshots it concerns`,
    async (t) => {
      const { uow, close } = await open();
      t.teardown(close);
      const alice = await makeUser(uow);
      const bob = await makeUser(uow);
      const carol = await makeUser(uow);

      // Open: the owner's snapshot, the new wallet in it, no members.
      const wallet = await makeWallet(uow, alice, { name: 'Household' });
      let step = await newSnapshots(uow, 0);
      t.deepEqual(
        step.added.map((s) => s.userId),
        [alice.id],
      );
      t.deepEqual(step.byUser.get(alice.id)?.wallets, [
        {
          walletId: wallet.id,
          name: 'Household',
          kind: 'bank',
          currency: 'EUR',
          status: 'active',
          allowNegative: false,
          members: [],
        },
      ]);
      t.deepEqual(step.byUser.get(alice.id)?.shared, []);

      // Share with bob (editor): alice's lists bob, bob's lists the wallet as shared.
      await uow.transaction((s) =>
        putMember(s, { userId: alice.id }, wallet.id, { userId: bob.id, role: 'editor' }),
      );
      step = await newSnapshots(uow, step.all.length);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, bob.id].sort());
      t.deepEqual(step.byUser.get(alice.id)?.wallets[0]?.members, [
        { userId: bob.id, role: 'editor' },
      ]);
      t.deepEqual(step.byUser.get(bob.id)?.shared, [
        {
          walletId: wallet.id,
          ownerId: alice.id,
          role: 'editor',
          name: 'Household',
          currency: 'EUR',
          status: 'active',
        },
      ]);
      t.deepEqual(step.byUser.get(bob.id)?.wallets, []);

      // Carol by email as viewer: alice and carol only (bob's view does not change).
      await uow.transaction((s) =>
        putMember(s, { userId: alice.id }, wallet.id, { email: carol.email, role: 'viewer' }),
      );
      step = await newSnapshots(uow, step.all.length);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, carol.id].sort());
      t.is(step.byUser.get(carol.id)?.shared[0]?.role, 'viewer');
      t.is(step.byUser.get(alice.id)?.wallets[0]?.members?.length, 2);

      // Role change: bob becomes a viewer; the same role again publishes nothing.
      await uow.transaction((s) =>
        putMember(s, { userId: alice.id }, wallet.id, { userId: bob.id, role: 'viewer' }),
      );
      step = await newSnapshots(uow, step.all.length);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, bob.id].sort());
      t.is(step.byUser.get(bob.id)?.shared[0]?.role, 'viewer');
      await uow.transaction((s) =>
        putMember(s, { userId: alice.id }, wallet.id, { userId: bob.id, role: 'viewer' }),
      );
      step = await newSnapshots(uow, step.all.length);
      t.is(step.added.length, 0, 'an unchanged role publishes nothing');

      // Rename and archive: the owner and every member.
      await uow.transaction((s) =>
        updateWallet(s, { userId: alice.id }, wallet.id, { name: 'Home', archived: true }),
      );
      step = await newSnapshots(uow, step.all.length);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, bob.id, carol.id].sort());
      for (const id of [bob.id, carol.id]) {
        t.like(step.byUser.get(id)?.shared[0], { name: 'Home', status: 'closed' });
      }
      t.like(step.byUser.get(alice.id)?.wallets[0], { name: 'Home', status: 'closed' });

      // The owner removes bob: bob's next snapshot no longer has the wallet; alice's lists carol only.
      await uow.transaction((s) => removeMember(s, { userId: alice.id }, wallet.id, bob.id));
      step = await newSnapshots(uow, step.all.length);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, bob.id].sort());
      t.deepEqual(step.byUser.get(bob.id)?.shared, []);
      t.deepEqual(step.byUser.get(alice.id)?.wallets[0]?.members, [
        { userId: carol.id, role: 'viewer' },
      ]);

      // Carol leaves on her own.
      await uow.transaction((s) => removeMember(s, { userId: carol.id }, wallet.id, carol.id));
      step = await newSnapshots(uow, step.all.length);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, carol.id].sort());
      t.deepEqual(step.byUser.get(carol.id)?.shared, []);
      t.deepEqual(step.byUser.get(alice.id)?.wallets[0]?.members, []);

      revisionsGrow(t, step.all);
      t.deepEqual(
        step.all.filter((s) => s.userId === alice.id).map((s) => s.revision),
        [1, 2, 3, 4, 5, 6, 7],
      );
    },
  );

  test.serial(`${name}: a refused change publishes nothing`, async (t) => {
    const { uow, close } = await open();
    t.teardown(close);
    const alice = await makeUser(uow);
    const bob = await makeUser(uow);
    const wallet = await makeWallet(uow, alice);
    const before = (await snapshots(uow)).length;
    // A viewer cannot rename, and cannot remove someone else.
    await uow.transaction((s) =>
      putMember(s, { userId: alice.id }, wallet.id, { userId: bob.id, role: 'viewer' }),
    );
    const afterShare = (await snapshots(uow)).length;
    t.is(afterShare, before + 2);
    await t.throwsAsync(
      uow.transaction((s) => updateWallet(s, { userId: bob.id }, wallet.id, { name: 'Mine' })),
    );
    await t.throwsAsync(
      uow.transaction((s) => removeMember(s, { userId: bob.id }, wallet.id, alice.id)),
    );
    t.is((await snapshots(uow)).length, afterShare);
  });

  test.serial(
    `${name}: deleting an account publishes the snapshots of everyone sharing with it`,
    async (t) => {
      const { uow, close } = await open();
      t.teardown(close);
      const issuer = 'http://wallet.test';
      const audience = 'spendstream';
      const keys = await createKeyRing({
        uow,
        issuer,
        audience,
        secret: 'test secret for the keys',
      });
      const auth = createAuthService({ uow, keys, issuer, audience });
      const password = 'correct horse battery staple';
      const alice = await auth.register({
        email: `alice-${newId()}@example.test`,
        password,
        displayName: 'Alice',
        homeCurrency: 'EUR',
        timeZone: 'Europe/Paris',
      });
      const bob = await makeUser(uow);
      const carol = await makeUser(uow);
      const aliceWallet = await makeWallet(uow, alice);
      const carolWallet = await makeWallet(uow, carol);
      await uow.transaction((s) =>
        putMember(s, { userId: alice.id }, aliceWallet.id, { userId: bob.id, role: 'editor' }),
      );
      await uow.transaction((s) =>
        putMember(s, { userId: carol.id }, carolWallet.id, { userId: alice.id, role: 'viewer' }),
      );
      const before = (await snapshots(uow)).length;
      await auth.deleteAccount(alice.id, password);
      const step = await newSnapshots(uow, before);
      t.deepEqual([...step.byUser.keys()].sort(), [alice.id, bob.id, carol.id].sort());
      t.deepEqual(step.byUser.get(bob.id)?.shared, [], 'bob no longer shares the deleted wallet');
      t.deepEqual(step.byUser.get(carol.id)?.wallets[0]?.members, [], 'alice left carol’s wallet');
      t.like(step.byUser.get(alice.id), { shared: [] });
      t.is(step.byUser.get(alice.id)?.wallets[0]?.status, 'closed');
      revisionsGrow(t, step.all);
    },
  );
}

for (const [name, open] of backends.slice(1)) {
  test.serial(
    `${name}: concurrent shares with one member give consecutive revisions, the last holding all`,
    async (t) => {
      const { uow, close } = await open();
      t.teardown(close);
      const bob = await makeUser(uow);
      const owners = await Promise.all(Array.from({ length: 8 }, () => makeUser(uow)));
      const wallets = await Promise.all(owners.map((o) => makeWallet(uow, o)));
      await Promise.all(
        wallets.map((w) =>
          uow.transaction((s) =>
            putMember(s, { userId: w.ownerId }, w.id, { userId: bob.id, role: 'editor' }),
          ),
        ),
      );
      const bobs = (await snapshots(uow)).filter((s) => s.userId === bob.id);
      t.deepEqual(
        bobs.map((s) => s.revision),
        [1, 2, 3, 4, 5, 6, 7, 8],
        'in outbox (commit) order',
      );
      t.deepEqual(
        bobs.map((s) => s.shared.length),
        [1, 2, 3, 4, 5, 6, 7, 8],
        'each snapshot includes every earlier change',
      );
      t.deepEqual(
        bobs
          .at(-1)
          ?.shared.map((w) => w.walletId)
          .sort(),
        wallets.map((w) => w.id).sort(),
      );
    },
  );
}

test('the limits of the snapshot are enforced where the data is written', async (t) => {
  const uow = createFakeUnitOfWork();
  const owner = await makeUser(uow);
  for (let i = 0; i < walletsPerUserMax; i += 1) await makeWallet(uow, owner);
  const error = await t.throwsAsync(makeWallet(uow, owner), { instanceOf: ConflictError });
  t.regex(error.message, new RegExp(`at most ${walletsPerUserMax} wallets`));

  const wallet = (await uow.read.wallets.listForMember(owner.id, undefined, 1))[0]!;
  const members: User[] = [];
  for (let i = 0; i < walletMembersPerWalletMax; i += 1) members.push(await makeUser(uow));
  for (const m of members)
    await uow.transaction((s) =>
      putMember(s, { userId: owner.id }, wallet.id, { userId: m.id, role: 'viewer' }),
    );
  const extra = await makeUser(uow);
  await t.throwsAsync(
    uow.transaction((s) =>
      putMember(s, { userId: owner.id }, wallet.id, { userId: extra.id, role: 'viewer' }),
    ),
    { instanceOf: ConflictError, message: /members besides its owner/ },
  );

  // One member of as many wallets of others as allowed, then refused.
  const wallets = await uow.read.wallets.listForMember(owner.id, undefined, walletsPerUserMax);
  const sharer = await makeUser(uow);
  const others = [];
  for (let i = 0; i < sharedWalletsPerUserMax - walletsPerUserMax + 1; i += 1) {
    const other = await makeUser(uow);
    others.push(await makeWallet(uow, other));
  }
  const targets = [...wallets.slice(1), ...others].slice(0, sharedWalletsPerUserMax + 1);
  t.is(targets.length, sharedWalletsPerUserMax);
  for (const w of targets.slice(0, -1))
    await uow.transaction((s) =>
      putMember(s, { userId: w.ownerId }, w.id, { userId: sharer.id, role: 'editor' }),
    );
  const last = targets.at(-1)!;
  await t.notThrowsAsync(
    uow.transaction((s) =>
      putMember(s, { userId: last.ownerId }, last.id, { userId: sharer.id, role: 'editor' }),
    ),
  );
  const oneMore = await makeWallet(uow, await makeUser(uow));
  await t.throwsAsync(
    uow.transaction((s) =>
      putMember(s, { userId: oneMore.ownerId }, oneMore.id, { userId: sharer.id, role: 'editor' }),
    ),
    { instanceOf: ConflictError, message: /member of at most/ },
  );
  // The largest snapshot still fits an event.
  const snapshot = (await snapshots(uow)).filter((s) => s.userId === sharer.id).at(-1);
  t.is(snapshot?.shared.length, sharedWalletsPerUserMax);
});
