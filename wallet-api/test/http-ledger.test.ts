/**
 * Money movements end to end over HTTP with auth, on SQLite and on the real MariaDB: concurrent
 * debits and idempotent replay through the API, conversion with a stored rate, reversals,
 * pagination, and the outbox events each movement writes.
 */
import test from 'ava';
import { decodeEvent, topics } from '@spendstream/core/events';
import { startHarness } from './http-harness.js';
import type { TestDbKind } from './test-db.js';

for (const kind of ['sqlite', 'mariadb'] as TestDbKind[]) {
  test.serial(
    `${kind}: 200 concurrent debits over HTTP, then a full replay with the same keys, change the balance exactly once`,
    async (t) => {
      const h = await startHarness(t, kind);
      const alice = await h.signUp();
      const wallet = await h.call('POST', '/v1/wallets', {
        token: alice.accessToken,
        body: { name: 'Main', type: 'bank', currency: 'EUR', overdraftLimit: '300' },
      });
      const w = wallet.json.id as string;
      await h.call('POST', '/v1/movements', {
        token: alice.accessToken,
        idempotencyKey: 'salary',
        body: { kind: 'income', walletId: w, amount: '5000' },
      });
      const debit = (i: number) =>
        h.call('POST', '/v1/movements', {
          token: alice.accessToken,
          idempotencyKey: `debit-${i}`,
          body: { kind: 'expense', walletId: w, amount: '30', merchant: `Shop ${i}` },
        });
      const first = await Promise.all(Array.from({ length: 200 }, (_, i) => debit(i)));
      const applied = first.filter((r) => r.status === 201).length;
      t.true(
        first.every(
          (r) => r.status === 201 || (r.status === 422 && r.json.code === 'insufficient_funds'),
        ),
      );
      t.is(applied, Math.floor((5000 + 300) / 30));
      const after = await h.call('GET', `/v1/wallets/${w}`, { token: alice.accessToken });
      t.is(after.json.balance, String(5000 - applied * 30));
      const movementsAfter = await h.count('movements');
      const outboxAfter = await h.count('outbox');
      const replay = await Promise.all(Array.from({ length: 200 }, (_, i) => debit(i)));
      for (let i = 0; i < 200; i += 1) {
        if (first[i]!.status === 201) {
          t.is(replay[i]!.status, 201);
          t.is(replay[i]!.text, first[i]!.text, 'the first response, byte for byte');
          t.is(replay[i]!.headers.get('idempotent-replayed'), 'true');
        }
      }
      t.is(
        (await h.call('GET', `/v1/wallets/${w}`, { token: alice.accessToken })).json.balance,
        after.json.balance,
      );
      t.is(await h.count('movements'), movementsAfter);
      t.is(await h.count('outbox'), outboxAfter);
      const conflict = await h.call('POST', '/v1/movements', {
        token: alice.accessToken,
        idempotencyKey: 'debit-0',
        body: { kind: 'expense', walletId: w, amount: '26' },
      });
      t.is(conflict.status, 409);
      t.is(conflict.json.code, 'idempotency_conflict');
      // Another user may use the same key: keys are per principal.
      const bob = await h.signUp();
      const bobWallet = await h.call('POST', '/v1/wallets', {
        token: bob.accessToken,
        body: { name: 'B', type: 'cash', currency: 'EUR' },
      });
      t.is(
        (
          await h.call('POST', '/v1/movements', {
            token: bob.accessToken,
            idempotencyKey: 'debit-0',
            body: { kind: 'income', walletId: bobWallet.json.id, amount: '1' },
          })
        ).status,
        201,
      );
    },
  );
}

test('a transfer across currencies converts at the given rate, stores it, and balances per currency through the exchange account', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const bob = await h.signUp({ homeCurrency: 'USD' });
  const eur = await h.call('POST', '/v1/wallets', {
    token: alice.accessToken,
    body: { name: 'EUR', type: 'bank', currency: 'EUR' },
  });
  const usd = await h.call('POST', '/v1/wallets', {
    token: bob.accessToken,
    body: { name: 'USD', type: 'bank', currency: 'USD' },
  });
  const jpy = await h.call('POST', '/v1/wallets', {
    token: alice.accessToken,
    body: { name: 'JPY', type: 'cash', currency: 'JPY' },
  });
  await h.call('POST', '/v1/movements', {
    token: alice.accessToken,
    idempotencyKey: 'in',
    body: { kind: 'income', walletId: eur.json.id, amount: '100000' },
  });
  const noRate = await h.call('POST', '/v1/transfers', {
    token: alice.accessToken,
    idempotencyKey: 'x0',
    body: { fromWalletId: eur.json.id, to: { email: bob.email }, amount: '1000' },
  });
  t.is(noRate.status, 400, 'bob has only USD: a rate is needed');
  t.is(noRate.json.field, 'rate');
  // 10.00 EUR at 1.08250 = 10.825 USD: half-even gives 10.82, half-up 10.83.
  const even = await h.call('POST', '/v1/transfers', {
    token: alice.accessToken,
    idempotencyKey: 'x1',
    body: {
      fromWalletId: eur.json.id,
      to: { email: bob.email },
      amount: '1000',
      rate: '1.08250',
      category: 'gifts',
    },
  });
  t.is(even.status, 201);
  t.like(even.json, {
    kind: 'transfer',
    amount: '1000',
    currency: 'EUR',
    counterWalletId: usd.json.id,
    counterAmount: '1082',
    counterCurrency: 'USD',
    rate: '1.08250',
    rounding: 'half-even',
  });
  const up = await h.call('POST', '/v1/transfers', {
    token: alice.accessToken,
    idempotencyKey: 'x2',
    body: {
      fromWalletId: eur.json.id,
      to: { userId: bob.userId },
      amount: '1000',
      rate: '1.08250',
      rounding: 'half-up',
    },
  });
  t.is(up.json.counterAmount, '1083');
  // EUR (2 decimals) to JPY (0 decimals): 12.34 EUR at 161.5 = 1992.91 JPY -> 1993.
  const yen = await h.call('POST', '/v1/transfers', {
    token: alice.accessToken,
    idempotencyKey: 'x3',
    body: {
      fromWalletId: eur.json.id,
      to: { walletId: jpy.json.id },
      amount: '1234',
      rate: '161.5',
    },
  });
  t.is(yen.json.counterAmount, '1993');
  const postings = (await h.db
    .knex('postings')
    .where('movement_id', even.json.id)
    .select('account', 'amount', 'currency')) as Array<{
    account: string;
    amount: unknown;
    currency: string;
  }>;
  const sums = new Map<string, bigint>();
  for (const p of postings)
    sums.set(p.currency, (sums.get(p.currency) ?? 0n) + BigInt(String(p.amount)));
  t.deepEqual([...sums.entries()].sort(), [
    ['EUR', 0n],
    ['USD', 0n],
  ]);
  t.true(postings.some((p) => p.account === 'fx'));
  t.is(
    (await h.call('GET', `/v1/wallets/${usd.json.id}`, { token: bob.accessToken })).json.balance,
    '2165',
  );
  // Bob sees the incoming transfer; a third user does not.
  t.is(
    (await h.call('GET', `/v1/movements/${even.json.id}`, { token: bob.accessToken })).status,
    200,
  );
  const carol = await h.signUp();
  t.is(
    (await h.call('GET', `/v1/movements/${even.json.id}`, { token: carol.accessToken })).status,
    404,
  );
  // The outbox carries both legs for their owners, valid against the event schemas.
  const rows = (await h.db.knex('outbox').where('topic', topics.transactionsRaw)) as Array<{
    payload: string;
    msg_key: string;
  }>;
  const legs = rows
    .map((r) => decodeEvent(topics.transactionsRaw, r.payload))
    .filter((e) => e.payload.transfer?.transferId === even.json.id);
  t.deepEqual(
    legs
      .map((e) => [e.payload.kind, e.key, e.payload.amount.amount, e.payload.amount.currency])
      .sort(),
    [
      ['transfer_in', bob.userId, 1082n, 'USD'],
      ['transfer_out', alice.userId, 1000n, 'EUR'],
    ],
  );
});

test('a reversal is a new compensating movement, once; the original stays', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const wallet = await h.call('POST', '/v1/wallets', {
    token: alice.accessToken,
    body: { name: 'Main', type: 'card', currency: 'EUR' },
  });
  const w = wallet.json.id as string;
  await h.call('POST', '/v1/movements', {
    token: alice.accessToken,
    idempotencyKey: 'in',
    body: { kind: 'income', walletId: w, amount: '1000' },
  });
  const expense = await h.call('POST', '/v1/movements', {
    token: alice.accessToken,
    idempotencyKey: 'e',
    body: { kind: 'expense', walletId: w, amount: '400', merchant: 'Cafe', tags: ['coffee'] },
  });
  const reversal = await h.call('POST', `/v1/movements/${expense.json.id}/reversal`, {
    token: alice.accessToken,
    idempotencyKey: 'r',
    body: { note: 'charged twice' },
  });
  t.is(reversal.status, 201);
  t.like(reversal.json, {
    kind: 'reversal',
    reversesId: expense.json.id,
    amount: '400',
    note: 'charged twice',
  });
  t.is(
    (await h.call('GET', `/v1/wallets/${w}`, { token: alice.accessToken })).json.balance,
    '1000',
  );
  const again = await h.call('POST', `/v1/movements/${expense.json.id}/reversal`, {
    token: alice.accessToken,
    idempotencyKey: 'r2',
  });
  t.is(again.status, 409);
  t.is(
    (
      await h.call('POST', `/v1/movements/${reversal.json.id}/reversal`, {
        token: alice.accessToken,
        idempotencyKey: 'r3',
      })
    ).status,
    409,
  );
  t.is(
    (await h.call('GET', `/v1/movements/${expense.json.id}`, { token: alice.accessToken })).json
      .amount,
    '400',
    'the original is kept',
  );
  // Reversing the income now would overdraw: refused like any debit.
  await h.call('POST', '/v1/movements', {
    token: alice.accessToken,
    idempotencyKey: 'e2',
    body: { kind: 'expense', walletId: w, amount: '900' },
  });
  const overdraw = await h.call(
    'POST',
    `/v1/movements/${(await h.call('GET', `/v1/wallets/${w}/movements?limit=200`, { token: alice.accessToken })).json.items.at(-1).id}/reversal`,
    { token: alice.accessToken, idempotencyKey: 'r4' },
  );
  t.is(overdraw.status, 422);
  const raw = (
    (await h.db.knex('outbox').where('topic', topics.transactionsRaw)) as Array<{ payload: string }>
  ).map((r) => decodeEvent(topics.transactionsRaw, r.payload));
  const versions = raw
    .filter((e) => e.payload.transactionId === expense.json.id)
    .map((e) => [e.payload.version, e.payload.status]);
  t.deepEqual(versions, [
    [1, 'booked'],
    [2, 'reversed'],
  ]);
  const balances = (
    (await h.db.knex('outbox').where('topic', topics.walletEvents)) as Array<{ payload: string }>
  )
    .map((r) => decodeEvent(topics.walletEvents, r.payload))
    .filter((e) => e.type === 'wallet.balance_changed')
    .map((e) => (e.payload as { sequence: number; balance: { amount: bigint } }).sequence);
  t.deepEqual(balances, [1, 2, 3, 4], 'gap-free posting sequence per wallet');
});

test('movement lists page with a cursor: every movement once, newest first', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const wallet = await h.call('POST', '/v1/wallets', {
    token: alice.accessToken,
    body: { name: 'Main', type: 'cash', currency: 'EUR' },
  });
  const ids: string[] = [];
  for (let i = 0; i < 7; i += 1) {
    const r = await h.call('POST', '/v1/movements', {
      token: alice.accessToken,
      idempotencyKey: `p${i}`,
      body: { kind: 'income', walletId: wallet.json.id, amount: String(i + 1) },
    });
    ids.push(r.json.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = `?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
    const page = await h.call('GET', `/v1/wallets/${wallet.json.id}/movements${query}`, {
      token: alice.accessToken,
    });
    t.is(page.status, 200);
    seen.push(...page.json.items.map((m: { id: string }) => m.id));
    cursor = page.json.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 10);
  t.is(pages, 3);
  t.deepEqual(seen, [...ids].reverse());
  // Wallet lists page the same way.
  for (let i = 0; i < 4; i += 1)
    await h.call('POST', '/v1/wallets', {
      token: alice.accessToken,
      body: { name: `W${i}`, type: 'cash', currency: 'EUR' },
    });
  const first = await h.call('GET', '/v1/wallets?limit=2', { token: alice.accessToken });
  const second = await h.call('GET', `/v1/wallets?limit=2&cursor=${first.json.nextCursor}`, {
    token: alice.accessToken,
  });
  const third = await h.call('GET', `/v1/wallets?limit=2&cursor=${second.json.nextCursor}`, {
    token: alice.accessToken,
  });
  t.is(third.json.nextCursor, null);
  t.is(
    new Set(
      [...first.json.items, ...second.json.items, ...third.json.items].map(
        (w: { id: string }) => w.id,
      ),
    ).size,
    5,
  );
});
