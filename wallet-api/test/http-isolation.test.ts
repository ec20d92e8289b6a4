/**
 * Invariant 6 over HTTP: no one reads or changes another user's data. Every route that takes a
 * wallet or movement id is called by a stranger with the victim's ids; each answer is a 404 (the
 * stranger learns nothing, not even that the id exists) and nothing changes.
 */
import test from 'ava';
import { startHarness } from './http-harness.js';

test("a stranger can neither read nor change another user's wallets and movements on any route", async (t) => {
  const h = await startHarness(t);
  const victim = await h.signUp();
  const stranger = await h.signUp();
  const strangerWallet = await h.call('POST', '/v1/wallets', {
    token: stranger.accessToken,
    body: { name: 'Mine', type: 'cash', currency: 'EUR' },
  });
  await h.call('POST', '/v1/movements', {
    token: stranger.accessToken,
    idempotencyKey: 's-1',
    body: { kind: 'income', walletId: strangerWallet.json.id, amount: '5000' },
  });
  const wallet = await h.call('POST', '/v1/wallets', {
    token: victim.accessToken,
    body: { name: 'Savings', type: 'savings', currency: 'EUR' },
  });
  const other = await h.call('POST', '/v1/wallets', {
    token: victim.accessToken,
    body: { name: 'Card', type: 'card', currency: 'EUR' },
  });
  const income = await h.call('POST', '/v1/movements', {
    token: victim.accessToken,
    idempotencyKey: 'v-1',
    body: { kind: 'income', walletId: wallet.json.id, amount: '10000' },
  });
  const transfer = await h.call('POST', '/v1/transfers', {
    token: victim.accessToken,
    idempotencyKey: 'v-2',
    body: { fromWalletId: wallet.json.id, to: { walletId: other.json.id }, amount: '100' },
  });
  t.is(income.status, 201);
  t.is(transfer.status, 201);
  const before = {
    movements: await h.count('movements'),
    postings: await h.count('postings'),
    outbox: await h.count('outbox'),
    members: await h.count('wallet_members'),
  };
  const walletRow = await h.db.knex('wallets').where('id', wallet.json.id).first();

  const w = wallet.json.id as string;
  const m = income.json.id as string;
  const attempts: Array<[string, string, Record<string, unknown> | undefined]> = [
    ['GET', `/v1/wallets/${w}`, undefined],
    ['PATCH', `/v1/wallets/${w}`, { name: 'Mine now' }],
    ['PATCH', `/v1/wallets/${w}`, { archived: true }],
    ['GET', `/v1/wallets/${w}/members`, undefined],
    ['PUT', `/v1/wallets/${w}/members`, { userId: stranger.userId, role: 'editor' }],
    ['DELETE', `/v1/wallets/${w}/members/${victim.userId}`, undefined],
    ['GET', `/v1/wallets/${w}/movements`, undefined],
    ['POST', '/v1/movements', { kind: 'expense', walletId: w, amount: '100' }],
    ['POST', '/v1/movements', { kind: 'income', walletId: w, amount: '100' }],
    [
      'POST',
      '/v1/transfers',
      { fromWalletId: w, to: { walletId: strangerWallet.json.id }, amount: '100' },
    ],
    ['GET', `/v1/movements/${m}`, undefined],
    ['GET', `/v1/movements/${transfer.json.id}`, undefined],
    ['POST', `/v1/movements/${m}/reversal`, {}],
    ['POST', `/v1/movements/${transfer.json.id}/reversal`, {}],
  ];
  for (const [method, path, body] of attempts) {
    const response = await h.call(method, path, {
      token: stranger.accessToken,
      idempotencyKey: `x-${method}-${path}`,
      ...(body === undefined ? {} : { body }),
    });
    t.is(response.status, 404, `${method} ${path}`);
    t.false(response.text.includes('Savings'), `${method} ${path} leaks nothing`);
  }
  const list = await h.call('GET', '/v1/wallets', { token: stranger.accessToken });
  t.deepEqual(
    list.json.items.map((x: { id: string }) => x.id),
    [strangerWallet.json.id],
  );
  t.deepEqual(await h.db.knex('wallets').where('id', wallet.json.id).first(), walletRow);
  t.deepEqual(
    {
      movements: await h.count('movements'),
      postings: await h.count('postings'),
      outbox: await h.count('outbox'),
      members: await h.count('wallet_members'),
    },
    before,
  );
});

test('shared wallets: viewers read but cannot move money, editors move money but cannot manage, only the owner manages', async (t) => {
  const h = await startHarness(t);
  const owner = await h.signUp();
  const editor = await h.signUp();
  const viewer = await h.signUp();
  const wallet = await h.call('POST', '/v1/wallets', {
    token: owner.accessToken,
    body: { name: 'Household', type: 'bank', currency: 'EUR' },
  });
  const w = wallet.json.id as string;
  t.is(
    (
      await h.call('PUT', `/v1/wallets/${w}/members`, {
        token: owner.accessToken,
        body: { email: editor.email, role: 'editor' },
      })
    ).status,
    200,
  );
  t.is(
    (
      await h.call('PUT', `/v1/wallets/${w}/members`, {
        token: owner.accessToken,
        body: { userId: viewer.userId, role: 'viewer' },
      })
    ).status,
    200,
  );
  const members = await h.call('GET', `/v1/wallets/${w}/members`, { token: viewer.accessToken });
  t.deepEqual(members.json.items.map((x: { role: string }) => x.role).sort(), [
    'editor',
    'owner',
    'viewer',
  ]);
  const seen = await h.call('GET', `/v1/wallets/${w}`, { token: viewer.accessToken });
  t.is(seen.json.role, 'viewer');
  t.is(
    (
      await h.call('POST', '/v1/movements', {
        token: viewer.accessToken,
        idempotencyKey: 'v1',
        body: { kind: 'income', walletId: w, amount: '100' },
      })
    ).status,
    403,
  );
  t.is(
    (
      await h.call('POST', '/v1/movements', {
        token: editor.accessToken,
        idempotencyKey: 'e1',
        body: { kind: 'income', walletId: w, amount: '100' },
      })
    ).status,
    201,
  );
  t.is(
    (
      await h.call('PATCH', `/v1/wallets/${w}`, {
        token: editor.accessToken,
        body: { name: 'Ours' },
      })
    ).status,
    403,
  );
  t.is(
    (
      await h.call('PUT', `/v1/wallets/${w}/members`, {
        token: editor.accessToken,
        body: { userId: viewer.userId, role: 'editor' },
      })
    ).status,
    403,
  );
  t.is(
    (
      await h.call('DELETE', `/v1/wallets/${w}/members/${owner.userId}`, {
        token: owner.accessToken,
      })
    ).status,
    400,
    'the owner stays',
  );
  t.is(
    (
      await h.call('DELETE', `/v1/wallets/${w}/members/${viewer.userId}`, {
        token: viewer.accessToken,
      })
    ).status,
    204,
    'a member may leave',
  );
  t.is(
    (await h.call('GET', `/v1/wallets/${w}`, { token: viewer.accessToken })).status,
    404,
    'and then sees nothing',
  );
  const movements = await h.call('GET', `/v1/wallets/${w}/movements`, {
    token: editor.accessToken,
  });
  t.is(movements.json.items.length, 1);
});
