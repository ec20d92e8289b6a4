/**
 * Unit tests of the ledger and idempotency services on the in-memory stores: refusals roll back
 * everything, conversion and reversal post balanced entries, roles are enforced, keys replay.
 */
import test from 'ava';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyConflictError,
  InsufficientFundsError,
  NotFoundError,
  ValidationError,
} from '@spendstream/core/errors';
import { createFakeUnitOfWork } from '../../fake-stores.js';
import { makeUser, makeWallet } from '../../../test/factories.js';
import { idempotencyRetentionMs, purgeExpiredKeys, runIdempotent } from '../idempotency/service.js';
import { updateWallet, putMember } from '../wallets/service.js';
import {
  assertBalanced,
  recordMovement,
  recordTransfer,
  reverseMovement,
  verifyWalletBalance,
} from './service.js';

test('an expense beyond the overdraft limit is refused and writes nothing', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const wallet = await makeWallet(uow, alice, { balance: 1_000n, overdraftLimit: 200n });
  const before = {
    movements: uow.state().movements.size,
    outbox: uow.state().outbox.length,
    postings: uow.state().postings.length,
  };
  await t.throwsAsync(
    () =>
      uow.transaction((s) =>
        recordMovement(
          s,
          { userId: alice.id },
          { kind: 'expense', walletId: wallet.id, amount: 1_201n, tags: [] },
        ),
      ),
    { instanceOf: InsufficientFundsError },
  );
  t.deepEqual(
    {
      movements: uow.state().movements.size,
      outbox: uow.state().outbox.length,
      postings: uow.state().postings.length,
    },
    before,
  );
  await uow.transaction((s) =>
    recordMovement(
      s,
      { userId: alice.id },
      { kind: 'expense', walletId: wallet.id, amount: 1_200n, tags: [] },
    ),
  );
  const check = await verifyWalletBalance(uow.read, wallet.id);
  t.is(check.balance, -200n, 'exactly down to the limit is allowed');
  t.is(check.postings, -200n);
});

test('a cross-currency transfer posts through the exchange account and balances per currency', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const eur = await makeWallet(uow, alice, { balance: 10_000n });
  const chf = await makeWallet(uow, alice, { currency: 'CHF' });
  const m = await uow.transaction((s) =>
    recordTransfer(
      s,
      { userId: alice.id },
      {
        fromWalletId: eur.id,
        to: { walletId: chf.id },
        amount: 2_500n,
        rate: '0.93375',
        rounding: 'half-even',
        tags: [],
      },
    ),
  );
  // 25.00 EUR * 0.93375 = 23.34375 CHF -> 2334 (half-even and half-up agree here).
  t.is(m.counterAmount, 2_334n);
  const postings = uow.state().postings.filter((p) => p.movementId === m.id);
  t.deepEqual(
    postings.map((p) => [p.account, p.currency, p.amount]),
    [
      ['wallet', 'EUR', -2_500n],
      ['fx', 'EUR', 2_500n],
      ['fx', 'CHF', -2_334n],
      ['wallet', 'CHF', 2_334n],
    ],
  );
  t.notThrows(() => assertBalanced(postings));
  t.throws(() => assertBalanced([...postings, { ...postings[0]!, amount: 1n }]), {
    message: /sum to/,
  });
  await t.throwsAsync(
    () =>
      uow.transaction((s) =>
        recordTransfer(
          s,
          { userId: alice.id },
          {
            fromWalletId: eur.id,
            to: { walletId: chf.id },
            amount: 100n,
            rounding: 'half-even',
            tags: [],
          },
        ),
      ),
    { instanceOf: ValidationError, message: /rate/ },
  );
});

test('a reversal negates the postings once; a second one is a conflict', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const a = await makeWallet(uow, alice, { balance: 1_000n });
  const b = await makeWallet(uow, alice);
  const transfer = await uow.transaction((s) =>
    recordTransfer(
      s,
      { userId: alice.id },
      { fromWalletId: a.id, to: { walletId: b.id }, amount: 300n, rounding: 'half-even', tags: [] },
    ),
  );
  const reversal = await uow.transaction((s) =>
    reverseMovement(s, { userId: alice.id }, transfer.id, 'oops'),
  );
  t.is(reversal.reversesId, transfer.id);
  t.is((await verifyWalletBalance(uow.read, a.id)).balance, 1_000n);
  t.is((await verifyWalletBalance(uow.read, b.id)).balance, 0n);
  await t.throwsAsync(
    () => uow.transaction((s) => reverseMovement(s, { userId: alice.id }, transfer.id, undefined)),
    { instanceOf: ConflictError },
  );
  await t.throwsAsync(
    () => uow.transaction((s) => reverseMovement(s, { userId: alice.id }, reversal.id, undefined)),
    { instanceOf: ConflictError },
  );
});

test('roles: viewers cannot spend, strangers see nothing, archived wallets take no money', async (t) => {
  const uow = createFakeUnitOfWork();
  const owner = await makeUser(uow);
  const viewer = await makeUser(uow);
  const stranger = await makeUser(uow);
  const wallet = await makeWallet(uow, owner, { balance: 500n });
  await uow.transaction((s) =>
    putMember(s, { userId: owner.id }, wallet.id, { userId: viewer.id, role: 'viewer' }),
  );
  const spend = (userId: string) =>
    uow.transaction((s) =>
      recordMovement(s, { userId }, { kind: 'expense', walletId: wallet.id, amount: 1n, tags: [] }),
    );
  await t.throwsAsync(() => spend(viewer.id), { instanceOf: ForbiddenError });
  await t.throwsAsync(() => spend(stranger.id), { instanceOf: NotFoundError });
  await uow.transaction((s) =>
    updateWallet(s, { userId: owner.id }, wallet.id, { archived: true }),
  );
  await t.throwsAsync(() => spend(owner.id), { instanceOf: ConflictError });
  t.is((await verifyWalletBalance(uow.read, wallet.id)).balance, 500n);
});

test('an Idempotency-Key replays its first response, refuses another body, and frees up after 24 hours', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const wallet = await makeWallet(uow, alice, { balance: 100n });
  let clock = Date.now();
  const write =
    (amount: bigint) => async (s: Parameters<Parameters<typeof uow.transaction>[0]>[0]) => {
      const m = await recordMovement(
        s,
        { userId: alice.id },
        { kind: 'expense', walletId: wallet.id, amount, tags: [] },
      );
      return { status: 201, body: m.id };
    };
  const first = await runIdempotent(
    uow,
    { principal: alice.id, key: 'k', hash: 'h1' },
    write(10n),
    () => clock,
  );
  const again = await runIdempotent(
    uow,
    { principal: alice.id, key: 'k', hash: 'h1' },
    write(10n),
    () => clock,
  );
  t.false(first.replayed);
  t.true(again.replayed);
  t.is(again.body, first.body);
  await t.throwsAsync(
    () =>
      runIdempotent(uow, { principal: alice.id, key: 'k', hash: 'h2' }, write(20n), () => clock),
    { instanceOf: IdempotencyConflictError },
  );
  t.is((await verifyWalletBalance(uow.read, wallet.id)).balance, 90n);
  clock += idempotencyRetentionMs + 1;
  const later = await runIdempotent(
    uow,
    { principal: alice.id, key: 'k', hash: 'h2' },
    write(20n),
    () => clock,
  );
  t.false(later.replayed, 'an expired key is new again');
  t.is((await verifyWalletBalance(uow.read, wallet.id)).balance, 70n);
  // A refused write stores no key: the same key may succeed later.
  await t.throwsAsync(
    () =>
      runIdempotent(
        uow,
        { principal: alice.id, key: 'big', hash: 'h' },
        write(1_000n),
        () => clock,
      ),
    { instanceOf: InsufficientFundsError },
  );
  t.is(await uow.read.idempotency.find(alice.id, 'big'), undefined);
});

test('expired idempotency keys are purged, live ones kept', async (t) => {
  const uow = createFakeUnitOfWork();
  const alice = await makeUser(uow);
  const at = Date.now();
  const record = (key: string, expiresAt: number) => ({
    principal: alice.id,
    key,
    requestHash: 'h',
    responseStatus: 201,
    responseBody: '{}',
    createdAt: at,
    expiresAt,
  });
  await uow.transaction(async (s) => {
    await s.idempotency.claim(record('old', at - 1));
    await s.idempotency.claim(record('live', at + idempotencyRetentionMs));
  });
  t.is(await purgeExpiredKeys(uow, at), 1);
  t.is(await uow.read.idempotency.find(alice.id, 'old'), undefined);
  t.truthy(await uow.read.idempotency.find(alice.id, 'live'));
});
