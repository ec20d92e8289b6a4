/**
 * The group-commit batcher with two batches in flight, on SQLite and the real MariaDB: batches
 * overlap on disjoint wallets, no wallet is ever in two batches in flight, each wallet's movements
 * apply in arrival order (posting sequence = submit order), a hot wallet gets one batch at a time,
 * and the balances stay exact.
 */
import test from 'ava';
import { decodeEvent, eventTypes, topics } from '@spendstream/core/events';
import { createMovementBatcher } from '../src/batcher.js';
import type { BatchMovement } from '../src/features/ledger/batch.js';
import { verifyWalletBalance } from '../src/features/ledger/service.js';
import { createSqlUnitOfWork } from '../src/stores.js';
import type { UnitOfWork } from '../src/stores.js';
import type { MemberWallet } from '../src/features/wallets/store.js';
import { makeUser, makeWallet } from './factories.js';
import { openTestDb } from './test-db.js';

/**
 * The real unit of work, watched: which wallets each transaction in flight locked, the most
 * transactions in flight at once, and any wallet locked by two transactions in flight.
 */
function watched(real: UnitOfWork) {
  const held = new Map<number, string[]>();
  const seen = { inFlightMax: 0, overlaps: [] as string[] };
  let next = 0;
  const uow: UnitOfWork = {
    read: real.read,
    batch: (fns) => real.batch(fns),
    async transaction(fn) {
      const id = (next += 1);
      held.set(id, []);
      seen.inFlightMax = Math.max(seen.inFlightMax, held.size);
      try {
        return await real.transaction((stores) =>
          fn({
            ...stores,
            wallets: {
              ...stores.wallets,
              lockWithRoles: async (walletIds, userIds) => {
                for (const [other, wallets] of held)
                  if (other !== id)
                    seen.overlaps.push(...walletIds.filter((w) => wallets.includes(w)));
                held.set(id, walletIds);
                return stores.wallets.lockWithRoles(walletIds, userIds);
              },
            },
          }),
        );
      } finally {
        held.delete(id);
      }
    },
  };
  return { uow, seen };
}

for (const kind of ['sqlite', 'mariadb'] as const) {
  test.serial(
    `${kind}: two batches in flight on disjoint wallets keep each wallet's order`,
    async (t) => {
      const db = await openTestDb(kind);
      t.teardown(() => db.close());
      const real = createSqlUnitOfWork(db.knex);
      const alice = await makeUser(real);
      const wallets: MemberWallet[] = [];
      for (let i = 0; i < 12; i += 1)
        wallets.push(await makeWallet(real, alice, { balance: 10_000n }));
      const { uow, seen } = watched(real);
      const batcher = createMovementBatcher(uow, { lanes: 2, sizeMax: 16, busyStartMin: 4 });
      const items: BatchMovement[] = Array.from({ length: 240 }, (_, i) => ({
        actor: { userId: alice.id },
        principal: alice.id,
        key: `k-${i}`,
        hash: `h-${i}`,
        body: {
          kind: i % 5 === 0 ? 'income' : 'expense',
          walletId: wallets[(i * 7) % wallets.length]!.id,
          amount: BigInt(i + 1),
          tags: [],
        },
      }));
      // Submitted in waves, as requests arrive while batches run.
      const outcomes = [];
      for (let wave = 0; wave < items.length; wave += 40)
        outcomes.push(
          ...(await Promise.all(items.slice(wave, wave + 40).map((i) => batcher.submit(i)))),
        );
      t.true(outcomes.every((o) => o.kind === 'done'));
      if (kind === 'mariadb') t.is(seen.inFlightMax, 2, 'two batches were in flight at once');
      t.deepEqual(seen.overlaps, [], 'no wallet was in two batches in flight');

      // Per wallet, the posting sequence follows the submit order.
      const movementIds = outcomes.map((o) =>
        o.kind === 'done' ? (JSON.parse(o.body) as { id: string }).id : '',
      );
      const events = (await real.read.outbox.pending(100_000))
        .filter((r) => r.topic === topics.walletEvents)
        .map((r) => decodeEvent(topics.walletEvents, r.payload))
        .filter((e) => e.type === eventTypes.walletBalanceChanged);
      for (const wallet of wallets) {
        const submitted = items
          .map((item, i) => ({ item, id: movementIds[i] }))
          .filter((x) => x.item.body.walletId === wallet.id)
          .map((x) => x.id);
        const applied = events
          .flatMap((e) =>
            e.type === eventTypes.walletBalanceChanged && e.payload.walletId === wallet.id
              ? [{ sequence: e.payload.sequence, id: e.payload.transactionId }]
              : [],
          )
          .sort((a, b) => a.sequence - b.sequence)
          .map((x) => x.id)
          .filter((id) => submitted.includes(id));
        t.deepEqual(applied, submitted, `order on wallet ${wallet.id}`);
        const check = await verifyWalletBalance(real.read, wallet.id);
        t.is(check.balance, check.postings);
      }
      const total = items.reduce(
        (sum, i) => sum + (i.body.kind === 'income' ? i.body.amount : -i.body.amount),
        0n,
      );
      let balances = 0n;
      for (const wallet of wallets)
        balances += (await verifyWalletBalance(real.read, wallet.id)).balance;
      t.is(balances, 12n * 10_000n + total);
    },
  );

  test.serial(`${kind}: a hot wallet gets one batch at a time`, async (t) => {
    const db = await openTestDb(kind);
    t.teardown(() => db.close());
    const real = createSqlUnitOfWork(db.knex);
    const alice = await makeUser(real);
    const wallet = await makeWallet(real, alice, { balance: 1_000n });
    const { uow, seen } = watched(real);
    const batcher = createMovementBatcher(uow, { lanes: 2, sizeMax: 8, busyStartMin: 1 });
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        batcher.submit({
          actor: { userId: alice.id },
          principal: alice.id,
          key: `hot-${i}`,
          hash: `h-${i}`,
          body: { kind: 'expense', walletId: wallet.id, amount: 15n, tags: [] },
        }),
      ),
    );
    t.is(seen.inFlightMax, 1);
    // 1,000 / 15: the first 66 fit, in arrival order; the rest are refused.
    t.deepEqual(
      outcomes.map((o) => o.kind),
      [...Array<string>(66).fill('done'), ...Array<string>(34).fill('error')],
    );
    t.is((await verifyWalletBalance(real.read, wallet.id)).balance, 10n);
    t.true(batcher.stats().batches >= 100 / 8);
  });
}
