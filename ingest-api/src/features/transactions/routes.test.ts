import test from 'ava';
import { readRawTopic } from '../../testing/read-topic.js';
import { postJson, startHarness } from '../../testing/harness.js';

const wallets = [
  { walletId: 'w_a', writers: ['u_a'], currency: 'EUR', archived: false },
  { walletId: 'w_b', writers: ['u_b'], currency: 'USD', archived: false },
];
const body = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  walletId: 'w_a',
  amount: '-4.20',
  currency: 'EUR',
  occurredAt: '2026-11-24T08:15:00+01:00',
  merchant: 'SQ *BLUE BOTTLE COFFEE',
  mcc: '5814',
  ...extra,
});

test('one transaction: 202 once durable, 200 duplicate on resend, 202 corrected on a changed amount, and the topic holds exactly the versions', async (t) => {
  const h = await startHarness({ wallets });
  t.teardown(() => h.close());
  const token = await h.issuer.clientToken('acme-bank', ['u_a'], ['transactions:write']);
  const url = `${h.url}/v1/transactions`;

  const first = await postJson(url, token, body('t1'));
  t.is(first.status, 202);
  t.like(first.body, { status: 'accepted', outcome: 'created', version: 1, externalId: 't1' });
  // The Content-Type Koa's `ctx.type = 'application/json'` gave, set directly.
  t.is(first.headers.get('content-type'), 'application/json; charset=utf-8');
  const again = await postJson(url, token, body('t1'));
  t.is(again.status, 200);
  t.like(again.body, { status: 'duplicate', version: 1, transactionId: first.body.transactionId });
  const corrected = await postJson(url, token, body('t1', { amount: '-4.70' }));
  t.is(corrected.status, 202);
  t.like(corrected.body, { status: 'accepted', outcome: 'corrected', version: 2 });

  const events = await readRawTopic(h.eventLog, h.topic, { expected: 2 });
  t.deepEqual(
    events.map((e) => [
      e.payload.version,
      e.payload.amount.amount,
      e.payload.source,
      e.payload.userId,
      e.key,
    ]),
    [
      [1, 420n, 'acme-bank', 'u_a', 'u_a'],
      [2, 470n, 'acme-bank', 'u_a', 'u_a'],
    ],
  );
  t.regex(
    await (await fetch(`${h.url}/metrics`)).text(),
    /spendstream_ingest_items_total\{status="accepted",service="ingest-api"\} 2/,
  );
});

test('bad input gets problem+json naming the field, and nothing is published', async (t) => {
  const h = await startHarness({ wallets });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_a');
  const url = `${h.url}/v1/transactions`;
  const cases: [Record<string, unknown>, number, string][] = [
    [body('b1', { amount: '1.005' }), 400, 'amount'],
    [body('b2', { currency: 'EURO' }), 400, 'currency'],
    [body('b3', { occurredAt: '2099-01-01T00:00:00Z' }), 400, 'occurredAt'],
    [body('b4', { occurredAt: '1990-01-01T00:00:00Z' }), 400, 'occurredAt'],
    [body('b5', { merchant: 'x'.repeat(201) }), 400, 'merchant'],
    [
      body('b6', {
        metadata: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])),
      }),
      400,
      'metadata',
    ],
    [body('b7', { unknownField: 1 }), 400, ''],
    [body('b8', { amount: undefined, amountMinor: 1.5 }), 400, 'amountMinor'],
    [body('b9', { walletId: 'w_b' }), 403, 'walletId'],
    [body('b10', { status: 'reversed' }), 404, 'externalId'],
  ];
  for (const [input, status, field] of cases) {
    const response = await postJson(url, token, input);
    t.is(response.status, status, JSON.stringify(input));
    t.is(response.headers.get('content-type'), 'application/problem+json');
    if (field)
      t.is(
        response.body.field ?? response.body.fields?.[0]?.path,
        field,
        JSON.stringify(response.body),
      );
  }
  const malformed = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"externalId":',
  });
  t.is(malformed.status, 400);
  t.is((await readRawTopic(h.eventLog, h.topic, { expected: 0, quietMs: 200 })).length, 0);
});

test('no token is 401, a token without the scope is 403, a client scoped to user A cannot ingest into user B wallet', async (t) => {
  const h = await startHarness({ wallets });
  t.teardown(() => h.close());
  const url = `${h.url}/v1/transactions`;
  t.is(
    (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body('n1')),
      })
    ).status,
    401,
  );
  const noScope = await h.issuer.clientToken('acme-bank', ['u_a'], ['transactions:read']);
  t.is((await postJson(url, noScope, body('n2'))).status, 403);
  const scopedToA = await h.issuer.clientToken('acme-bank', ['u_a'], ['transactions:write']);
  const intoB = await postJson(
    url,
    scopedToA,
    body('n3', { walletId: 'w_b', userId: 'u_b', currency: 'USD' }),
  );
  t.is(intoB.status, 403);
  const intoBWalletAsA = await postJson(
    url,
    scopedToA,
    body('n4', { walletId: 'w_b', currency: 'USD' }),
  );
  t.is(intoBWalletAsA.status, 403);
  const userA = await h.issuer.userToken('u_a');
  t.is((await postJson(url, userA, body('n5', { walletId: 'w_b', currency: 'USD' }))).status, 403);
  t.is((await postJson(url, userA, body('n6', { userId: 'u_b' }))).status, 403);
  t.is((await readRawTopic(h.eventLog, h.topic, { expected: 0, quietMs: 200 })).length, 0);
});

test('Idempotency-Key: same key and body replays the first answer, another body is 409', async (t) => {
  const h = await startHarness({ wallets });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_a');
  const url = `${h.url}/v1/transactions`;
  const first = await postJson(url, token, body('k1'), { 'Idempotency-Key': 'key-1' });
  t.is(first.status, 202);
  const replay = await postJson(url, token, body('k1'), { 'Idempotency-Key': 'key-1' });
  t.is(replay.status, 202);
  t.deepEqual(replay.body, first.body);
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  t.is(replay.headers.get('content-type'), 'application/json; charset=utf-8');
  const other = await postJson(url, token, body('k2'), { 'Idempotency-Key': 'key-1' });
  t.is(other.status, 409);
  t.is(other.body.code ?? other.body.type?.split(':').pop(), 'idempotency_conflict');
  t.is((await readRawTopic(h.eventLog, h.topic, { expected: 1 })).length, 1);
});

test('a client over its rate limit gets 429 with Retry-After', async (t) => {
  const h = await startHarness({ wallets, rateLimit: { itemsPerSecond: 1, burstItems: 2 } });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_a');
  const url = `${h.url}/v1/transactions`;
  t.is((await postJson(url, token, body('r1'))).status, 202);
  t.is((await postJson(url, token, body('r2'))).status, 202);
  const limited = await postJson(url, token, body('r3'));
  t.is(limited.status, 429);
  t.truthy(limited.headers.get('retry-after'));
});
