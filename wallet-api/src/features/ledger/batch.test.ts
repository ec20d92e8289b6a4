/**
 * The batch path decides each movement in arrival order against the running balance, refuses what
 * the single path refuses, stores keys only for what it applied, and replays duplicate keys.
 */
import test from 'ava';
import {
  ForbiddenError,
  IdempotencyConflictError,
  InsufficientFundsError,
  NotFoundError,
} from '@spendstream/core/errors';
import { createMovementBatcher } from '../../batcher.js';
import { createFakeUnitOfWork } from '../../fake-stores.js';
import { makeUser, makeWallet } from '../../../test/factories.js';
import { putMember } from '../wallets/service.js';
import { KeyRaceError, recordMovementBatch } from './batch.js';
import type { BatchMovement } from './batch.js';
import { verifyWalletBalance } from './service.js';

test('one batch applies, refuses and replays exactly as the single path would', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const viewer = await makeUser(uow);
  const stranger = await makeUser(uow);
  const wallet = await makeWallet(uow, alice, { balance: 100n, overdraftLimit: 10n });
  await uow.transaction((s) =>
    putMember(s, { userId: alice.id }, wallet.id, { userId: viewer.id, role: 'viewer' }),
  );
  const item = (
    userId: string,
    key: string,
    kind: 'income' | 'expense',
    amount: bigint,
  ): BatchMovement => ({
    actor: { userId },
    principal: userId,
    key,
    hash: `h-${key}`,
    body: { kind, walletId: wallet.id, amount, tags: [] },
  });
  const outcomes = await uow.transaction((s) =>
    recordMovementBatch(s, [
      item(alice.id, 'a', 'expense', 60n),
      item(alice.id, 'b', 'expense', 60n), // 40 - 60 = -20 < -10: refused
      item(alice.id, 'c', 'income', 30n),
      item(alice.id, 'd', 'expense', 60n), // 70 - 60 = 10: fits after the income
      item(alice.id, 'a', 'expense', 60n), // same key again in the batch: a replay
      item(viewer.id, 'v', 'expense', 1n),
      item(stranger.id, 's', 'expense', 1n),
    ]),
  );
  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['done', 'error', 'done', 'done', 'existing', 'error', 'error'],
  );
  t.true(outcomes[1]!.kind === 'error' && outcomes[1]!.error instanceof InsufficientFundsError);
  t.true(outcomes[5]!.kind === 'error' && outcomes[5]!.error instanceof ForbiddenError);
  t.true(outcomes[6]!.kind === 'error' && outcomes[6]!.error instanceof NotFoundError);
  const check = await verifyWalletBalance(uow.read, wallet.id);
  t.is(check.balance, 10n);
  t.is(check.postings, 10n);
  t.deepEqual([...uow.state().keys.values()].map((k) => [k.key, k.responseStatus]).sort(), [
    ['a', 201],
    ['c', 201],
    ['d', 201],
  ]);
  const sequences = uow
    .state()
    .outbox.filter((e) => e.topic === 'wallet.events' && e.payload.includes('balance_changed'))
    .map(
      (e) =>
        (JSON.parse(e.payload) as { payload: { sequence: number; balance: { amount: string } } })
          .payload,
    );
  t.deepEqual(
    sequences.map((p) => [p.sequence, p.balance.amount]),
    [
      [1, '100'],
      [2, '40'],
      [3, '70'],
      [4, '10'],
    ],
  );
});

test('a repeated key behind a refused request gets its error, or a 409 for another body', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const wallet = await makeWallet(uow, alice, { balance: 5n });
  const item = (key: string, amount: bigint, hash: string): BatchMovement => ({
    actor: { userId: alice.id },
    principal: alice.id,
    key,
    hash,
    body: { kind: 'expense', walletId: wallet.id, amount, tags: [] },
  });
  const outcomes = await uow.transaction((s) =>
    recordMovementBatch(s, [item('k', 50n, 'h1'), item('k', 50n, 'h1'), item('k', 1n, 'h2')]),
  );
  t.true(outcomes[0]!.kind === 'error' && outcomes[0]!.error instanceof InsufficientFundsError);
  t.true(outcomes[1]!.kind === 'error' && outcomes[1]!.error instanceof InsufficientFundsError);
  t.true(outcomes[2]!.kind === 'error' && outcomes[2]!.error instanceof IdempotencyConflictError);
  t.is(uow.state().keys.size, 0);
  t.is((await verifyWalletBalance(uow.read, wallet.id)).balance, 5n);
});

test('a key stored by another writer after the read rolls the batch back, and the batcher reruns it as a replay', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const wallet = await makeWallet(uow, alice, { balance: 100n });
  const item: BatchMovement = {
    actor: { userId: alice.id },
    principal: alice.id,
    key: 'raced',
    hash: 'h',
    body: { kind: 'expense', walletId: wallet.id, amount: 10n, tags: [] },
  };
  // The other writer's record, committed between this batch's key read and its insert.
  await uow.transaction((s) =>
    s.idempotency.insertMany([
      {
        principal: alice.id,
        key: 'raced',
        requestHash: 'h',
        responseStatus: 201,
        responseBody: '{}',
        createdAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      },
    ]),
  );
  await t.throwsAsync(
    uow.transaction((s) =>
      recordMovementBatch({ ...s, idempotency: { ...s.idempotency, findMany: async () => [] } }, [
        item,
      ]),
    ),
    { instanceOf: KeyRaceError },
  );
  t.is((await verifyWalletBalance(uow.read, wallet.id)).balance, 100n, 'rolled back');
  const outcome = await createMovementBatcher(uow).submit(item);
  t.deepEqual(outcome, { kind: 'existing' });
  t.is((await verifyWalletBalance(uow.read, wallet.id)).balance, 100n);
});
