/**
 * The ledger's invariants under concurrency, on SQLite and on the real MariaDB: exact balances that
 * never pass the overdraft limit, conservation across a chain of concurrent transfers, and
 * idempotent replay that changes nothing.
 */
import test from 'ava';
import { InsufficientFundsError } from '@spendstream/core/errors';
import { createSqlUnitOfWork } from '../src/stores.js';
import type { Knex } from 'knex';
import {
  recordMovement,
  recordTransfer,
  verifyWalletBalance,
} from '../src/features/ledger/service.js';
import { presentMovement } from '../src/features/ledger/presenter.js';
import { requestHash, runIdempotent } from '../src/features/idempotency/service.js';
import { makeUser, makeWallet } from './factories.js';
import { openTestDb } from './test-db.js';
import type { MemberWallet } from '../src/features/wallets/store.js';
import type { TestDbKind } from './test-db.js';

const kinds: TestDbKind[] = ['sqlite', 'mariadb'];
const concurrentDebits = 200;

async function countRows(knex: Knex, table: string): Promise<number> {
  const row = (await knex(table).count({ n: '*' }).first()) as { n: unknown };
  return Number(row.n);
}

for (const kind of kinds) {
  test.serial(
    `${kind}: 200 concurrent debits leave the exact balance and never pass the overdraft limit`,
    async (t) => {
      const db = await openTestDb(kind);
      t.teardown(() => db.close());
      const uow = createSqlUnitOfWork(db.knex);
      const user = await makeUser(uow);
      const wallet = await makeWallet(uow, user, { balance: 10_000n, overdraftLimit: 500n });
      const debit = 60n;
      const results = await Promise.allSettled(
        Array.from({ length: concurrentDebits }, () =>
          uow.transaction((stores) =>
            recordMovement(
              stores,
              { userId: user.id },
              { kind: 'expense', walletId: wallet.id, amount: debit, tags: [] },
            ),
          ),
        ),
      );
      const applied = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r) => r.status === 'rejected');
      t.true(
        refused.every((r) => r.status === 'rejected' && r.reason instanceof InsufficientFundsError),
        'every refusal is insufficient funds',
      );
      // 10,000 + 500 of room at 60 each: exactly 175 fit, whatever the interleaving.
      t.is(applied, 175);
      const check = await verifyWalletBalance(uow.read, wallet.id);
      t.is(check.balance, 10_000n - BigInt(applied) * debit);
      t.true(check.balance >= -500n);
      t.is(check.postings, check.balance, 'balance equals the sum of its postings');
      t.is(await countRows(db.knex, 'movements'), 1 + applied);
    },
  );

  test.serial(
    `${kind}: a chain of concurrent transfers conserves money and each transfer's postings sum to zero`,
    async (t) => {
      const db = await openTestDb(kind);
      t.teardown(() => db.close());
      const uow = createSqlUnitOfWork(db.knex);
      const users = [await makeUser(uow), await makeUser(uow), await makeUser(uow)];
      const wallets: MemberWallet[] = [];
      for (let i = 0; i < 9; i += 1)
        wallets.push(await makeWallet(uow, users[i % 3]!, { balance: 1_000n }));
      const totalBefore = 9_000n;
      // Every pair in both directions, so crossing transfers contend for the same two rows.
      const transfers = Array.from({ length: 200 }, (_, i) => {
        const from = wallets[i % 9]!;
        const to = wallets[(i * 7 + 1) % 9 === i % 9 ? (i + 1) % 9 : (i * 7 + 1) % 9]!;
        return { from, to, amount: BigInt(50 + ((i * 37) % 400)) };
      });
      const results = await Promise.allSettled(
        transfers.map(({ from, to, amount }) =>
          uow.transaction((stores) =>
            recordTransfer(
              stores,
              { userId: from.ownerId },
              {
                fromWalletId: from.id,
                to: { walletId: to.id },
                amount,
                rounding: 'half-even',
                tags: [],
              },
            ),
          ),
        ),
      );
      const failures = results.filter((r) => r.status === 'rejected');
      t.true(
        failures.every(
          (r) => r.status === 'rejected' && r.reason instanceof InsufficientFundsError,
        ),
        'the only refusals are insufficient funds',
      );
      t.true(results.some((r) => r.status === 'fulfilled'));
      let totalAfter = 0n;
      for (const w of wallets) {
        const check = await verifyWalletBalance(uow.read, w.id);
        t.is(check.postings, check.balance, `wallet ${w.id} balance equals its postings`);
        t.true(check.balance >= 0n);
        totalAfter += check.balance;
      }
      t.is(totalAfter, totalBefore);
      const perMovement = (await db
        .knex('postings')
        .select('movement_id', 'currency')
        .sum({ total: 'amount' })
        .groupBy('movement_id', 'currency')) as Array<{ total: unknown }>;
      t.true(perMovement.length > 0);
      const unbalanced = perMovement.filter(
        (r) => BigInt(String(r.total).replace(/\.0+$/, '')) !== 0n,
      );
      // Income movements balance against the external account, transfers among wallets: none may be off.
      t.deepEqual(unbalanced, []);
    },
  );

  test.serial(
    `${kind}: replaying every request with its Idempotency-Key changes nothing`,
    async (t) => {
      const db = await openTestDb(kind);
      t.teardown(() => db.close());
      const uow = createSqlUnitOfWork(db.knex);
      const user = await makeUser(uow);
      const wallet = await makeWallet(uow, user, { balance: 5_000n });
      const body = (i: number) => ({
        kind: 'expense' as const,
        walletId: wallet.id,
        amount: BigInt(10 + (i % 5)),
        tags: [],
      });
      const send = (i: number) =>
        runIdempotent(
          uow,
          {
            principal: user.id,
            key: `debit-${i}`,
            hash: requestHash('POST', '/v1/movements', JSON.stringify({ i })),
          },
          async (stores) => {
            const movement = await recordMovement(stores, { userId: user.id }, body(i));
            return { status: 201, body: JSON.stringify(presentMovement(movement)) };
          },
        );
      const requests = 100;
      const first = await Promise.all(Array.from({ length: requests }, (_, i) => send(i)));
      const afterFirst = await verifyWalletBalance(uow.read, wallet.id);
      const outboxAfterFirst = await countRows(db.knex, 'outbox');
      // Replay everything twice over, concurrently, including duplicates racing each other.
      const replays = await Promise.all([
        ...Array.from({ length: requests }, (_, i) => send(i)),
        ...Array.from({ length: requests }, (_, i) => send(i)),
      ]);
      t.true(first.every((r) => !r.replayed));
      t.true(replays.every((r) => r.replayed));
      for (let i = 0; i < requests; i += 1) {
        t.is(replays[i]!.body, first[i]!.body);
        t.is(replays[i + requests]!.body, first[i]!.body);
      }
      const afterReplay = await verifyWalletBalance(uow.read, wallet.id);
      t.is(afterReplay.balance, afterFirst.balance);
      t.is(afterReplay.postings, afterReplay.balance);
      t.is(await countRows(db.knex, 'movements'), 1 + requests);
      t.is(await countRows(db.knex, 'outbox'), outboxAfterFirst);
    },
  );
}
