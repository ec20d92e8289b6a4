/**
 * Bad input gets a clear 4xx naming the failing field, and nothing is written: no movement, no
 * posting, no outbox event, no idempotency record, balances unchanged.
 */
import test from 'ava';
import { startHarness } from './http-harness.js';

test('bad movement input is refused with a clear 4xx and writes nothing', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const wallet = await h.call('POST', '/v1/wallets', {
    token: alice.accessToken,
    body: { name: 'Main', type: 'bank', currency: 'EUR' },
  });
  const w = wallet.json.id as string;
  await h.call('POST', '/v1/movements', {
    token: alice.accessToken,
    idempotencyKey: 'seed',
    body: { kind: 'income', walletId: w, amount: '1000' },
  });
  const snapshot = async () => ({
    movements: await h.count('movements'),
    postings: await h.count('postings'),
    outbox: await h.count('outbox'),
    keys: await h.count('idempotency_keys'),
    balance: String(
      ((await h.db.knex('wallets').where('id', w).first()) as { balance: unknown }).balance,
    ),
  });
  const before = await snapshot();
  const valid = { kind: 'expense', walletId: w, amount: '100' };
  const cases: Array<{
    name: string;
    status: number;
    code: string;
    field?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    path?: string;
    noKey?: boolean;
  }> = [
    {
      name: 'fractional amount',
      status: 400,
      code: 'validation_failed',
      field: 'amount',
      body: { ...valid, amount: '12.5' },
    },
    {
      name: 'amount as a JSON number',
      status: 400,
      code: 'validation_failed',
      field: 'amount',
      body: { ...valid, amount: 100 },
    },
    {
      name: 'negative amount',
      status: 400,
      code: 'validation_failed',
      field: 'amount',
      body: { ...valid, amount: '-100' },
    },
    {
      name: 'zero amount',
      status: 400,
      code: 'validation_failed',
      field: 'amount',
      body: { ...valid, amount: '0' },
    },
    {
      name: 'amount beyond the limit',
      status: 400,
      code: 'validation_failed',
      field: 'amount',
      body: { ...valid, amount: '1000000000000001' },
    },
    {
      name: 'absurdly long amount',
      status: 400,
      code: 'validation_failed',
      field: 'amount',
      body: { ...valid, amount: '9'.repeat(40) },
    },
    {
      name: 'unknown currency',
      status: 400,
      code: 'validation_failed',
      field: 'currency',
      body: { ...valid, currency: 'XYZ' },
    },
    {
      name: 'currency other than the wallet',
      status: 400,
      code: 'validation_failed',
      field: 'currency',
      body: { ...valid, currency: 'USD' },
    },
    {
      name: 'unknown field',
      status: 400,
      code: 'validation_failed',
      body: { ...valid, debitAccount: 'x' },
    },
    {
      name: 'unknown kind',
      status: 400,
      code: 'validation_failed',
      field: 'kind',
      body: { ...valid, kind: 'gift' },
    },
    {
      name: 'bad occurredAt',
      status: 400,
      code: 'validation_failed',
      field: 'occurredAt',
      body: { ...valid, occurredAt: 'yesterday' },
    },
    {
      name: 'too many tags',
      status: 400,
      code: 'validation_failed',
      field: 'tags',
      body: { ...valid, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
    },
    {
      name: 'malformed JSON',
      status: 400,
      code: 'malformed_json',
      rawBody: '{"kind": "expense", "walletId": ',
    },
    {
      name: 'not JSON at all',
      status: 415,
      code: 'unsupported_media_type',
      rawBody: 'kind=expense',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    {
      name: 'oversized body',
      status: 413,
      code: 'payload_too_large',
      body: { ...valid, note: 'x'.repeat(70 * 1024) },
    },
    {
      name: 'missing Idempotency-Key',
      status: 400,
      code: 'validation_failed',
      field: 'Idempotency-Key',
      body: valid,
      noKey: true,
    },
    {
      name: 'overdraft',
      status: 422,
      code: 'insufficient_funds',
      field: 'amount',
      body: { ...valid, amount: '1001' },
    },
    {
      name: 'transfer to itself',
      status: 400,
      code: 'validation_failed',
      field: 'to',
      path: '/v1/transfers',
      body: { fromWalletId: w, to: { walletId: w }, amount: '1' },
    },
    {
      name: 'transfer to an unknown wallet',
      status: 404,
      code: 'not_found',
      path: '/v1/transfers',
      body: {
        fromWalletId: w,
        to: { walletId: '01900000-0000-7000-8000-000000000000' },
        amount: '1',
      },
    },
    {
      name: 'transfer with a malformed rate',
      status: 400,
      code: 'validation_failed',
      field: 'rate',
      path: '/v1/transfers',
      body: { fromWalletId: w, to: { walletId: w }, amount: '1', rate: '1e3' },
    },
  ];
  for (const [i, c] of cases.entries()) {
    const response = await h.call('POST', c.path ?? '/v1/movements', {
      token: alice.accessToken,
      ...(c.noKey ? {} : { idempotencyKey: `bad-${i}` }),
      ...(c.body === undefined ? {} : { body: c.body }),
      ...(c.rawBody === undefined ? {} : { rawBody: c.rawBody }),
      ...(c.headers === undefined ? {} : { headers: c.headers }),
    });
    t.is(response.status, c.status, c.name);
    t.is(response.headers.get('content-type'), 'application/problem+json', c.name);
    t.is(response.json.code, c.code, c.name);
    if (c.field !== undefined)
      t.true(
        response.json.field === c.field ||
          (response.json.errors ?? []).some((e: { path: string }) => e.path.startsWith(c.field!)),
        `${c.name}: names ${c.field} (got ${response.text})`,
      );
  }
  t.deepEqual(await snapshot(), before, 'nothing was written');
});

test('bad wallet and account input is refused and writes nothing', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const usersBefore = await h.count('users');
  const register = (body: unknown) => h.call('POST', '/v1/auth/register', { body });
  const good = {
    email: 'new@example.test',
    password: 'long-enough-password',
    displayName: 'New',
    homeCurrency: 'EUR',
    timeZone: 'Europe/Paris',
  };
  t.is((await register({ ...good, homeCurrency: 'EURO' })).status, 400);
  t.is((await register({ ...good, timeZone: 'Mars/Olympus' })).status, 400);
  t.is((await register({ ...good, password: 'short' })).status, 400);
  t.is((await register({ ...good, email: 'not-an-email' })).status, 400);
  t.is((await register({ ...good, isAdmin: true })).status, 400, 'no mass assignment');
  t.is(await h.count('users'), usersBefore);
  const walletsBefore = await h.count('wallets');
  const create = (body: unknown) =>
    h.call('POST', '/v1/wallets', { token: alice.accessToken, body });
  t.is((await create({ name: 'X', type: 'cash', currency: 'ABC' })).status, 400);
  t.is((await create({ name: 'X', type: 'crypto', currency: 'EUR' })).status, 400);
  t.is((await create({ name: '', type: 'cash', currency: 'EUR' })).status, 400);
  t.is(
    (await create({ name: 'X', type: 'cash', currency: 'EUR', overdraftLimit: '-5' })).status,
    400,
  );
  t.is(
    (await create({ name: 'X', type: 'cash', currency: 'EUR', balance: '1000000' })).status,
    400,
    'a balance cannot be set, only earned',
  );
  t.is(await h.count('wallets'), walletsBefore);
  const page = await h.call('GET', '/v1/wallets?limit=100000', { token: alice.accessToken });
  t.is(page.status, 400);
  t.is((await h.call('GET', '/v1/wallets?cursor=!!!', { token: alice.accessToken })).status, 400);
});
