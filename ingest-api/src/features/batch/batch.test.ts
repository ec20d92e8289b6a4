import test from 'ava';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { createTestIssuer } from '@spendstream/core/testing/tokens';
import { readRawTopic } from '../../testing/read-topic.js';
import { postJson, startHarness } from '../../testing/harness.js';

const wallets = [
  { walletId: 'w_a', writers: ['u_a'], currency: 'EUR', archived: false },
  { walletId: 'w_b', writers: ['u_b'], currency: 'EUR', archived: false },
  { walletId: 'w_old', writers: ['u_a'], currency: 'EUR', archived: true },
];
const item = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  walletId: 'w_a',
  userId: 'u_a',
  amount: '-19.99',
  currency: 'EUR',
  occurredAt: '2026-11-23T19:30:00+01:00',
  merchant: 'PAYPAL *SPOTIFY',
  ...extra,
});

test('a batch with good, duplicate and bad items gets exactly the right per-item answer over HTTP', async (t) => {
  const h = await startHarness({ wallets });
  t.teardown(() => h.close());
  const token = await h.issuer.clientToken('acme-bank', ['u_a', 'u_b'], ['transactions:write']);
  const url = `${h.url}/v1/transactions:batch`;
  t.is((await postJson(url, token, { items: [item('g1'), item('g2')] })).status, 202);

  const response = await postJson(url, token, {
    items: [
      item('g1'),
      item('g3'),
      item('g4', { amount: 'twelve' }),
      'not an object',
      item('g5', { walletId: 'w_old' }),
      item('g6', { walletId: 'w_b', userId: 'u_b' }),
      item('g2', { status: 'reversed' }),
      item('g3'),
    ],
  });
  t.is(response.status, 202);
  t.deepEqual(response.body.summary, { accepted: 3, duplicate: 2, rejected: 3 });
  t.deepEqual(
    response.body.items.map(
      (i: { index: number; status: string; outcome?: string; error?: { code: string } }) => [
        i.index,
        i.status,
        i.outcome ?? i.error?.code ?? '',
      ],
    ),
    [
      [0, 'duplicate', ''],
      [1, 'accepted', 'created'],
      [2, 'rejected', 'validation_failed'],
      [3, 'rejected', 'validation_failed'],
      [4, 'rejected', 'forbidden'],
      [5, 'accepted', 'created'],
      [6, 'accepted', 'reversed'],
      [7, 'duplicate', ''],
    ],
  );
  t.is(response.body.items[2].error.fields[0].path, 'amount');
  t.is(response.body.items[2].error.type, 'urn:spendstream:problem:validation_failed');

  const events = await readRawTopic(h.eventLog, h.topic, { expected: 5 });
  t.deepEqual(
    events
      .map((e) => `${e.payload.externalId}@${e.payload.version}:${e.payload.status}:${e.key}`)
      .sort(),
    [
      'g1@1:booked:u_a',
      'g2@1:booked:u_a',
      'g2@2:reversed:u_a',
      'g3@1:booked:u_a',
      'g6@1:booked:u_b',
    ],
  );
  for (const e of events) t.is(e.payload.channel, 'batch');
});

test('an empty batch, a batch over 1,000 items and a body over the byte limit are refused whole', async (t) => {
  const h = await startHarness({ wallets });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_a');
  const url = `${h.url}/v1/transactions:batch`;
  t.is((await postJson(url, token, { items: [] })).status, 400);
  t.is(
    (await postJson(url, token, { items: Array.from({ length: 1001 }, (_, i) => item(`o${i}`)) }))
      .status,
    400,
  );
  const huge = { items: [item('h1', { description: 'x'.repeat(5 * 1024 * 1024) })] };
  t.is((await postJson(url, token, huge)).status, 413);
  t.is((await readRawTopic(h.eventLog, h.topic, { expected: 0, quietMs: 200 })).length, 0);
});

for (const dialect of testDialects()) {
  test(`the same batch sent twice, and concurrently by two clients to two API instances, publishes each event once (${dialect})`, async (t) => {
    const db = await createTestDatabase(dialect);
    const eventLog = createEmbeddedEventLog({ path: ':memory:' });
    const issuer = await createTestIssuer();
    const topic = `raw-concurrent-${dialect}-${Date.now()}`;
    const one = await startHarness({ sql: db.knex, eventLog, issuer, topic, wallets });
    const two = await startHarness({ sql: db.knex, eventLog, issuer, topic, wallets });
    t.teardown(async () => {
      await one.close();
      await two.close();
      await eventLog.close();
      await db.destroy();
    });
    // Two uploaders of the same bank (same client id, so the same source), two API instances.
    const tokenA = await issuer.clientToken('acme-bank', ['u_a'], ['transactions:write']);
    const tokenB = await issuer.clientToken('acme-bank', ['u_a'], ['transactions:write']);
    const batch = {
      items: Array.from({ length: 300 }, (_, i) => item(`p${i}`, { amount: `-${i + 1}.00` })),
    };
    const [a, b] = await Promise.all([
      postJson(`${one.url}/v1/transactions:batch`, tokenA, batch),
      postJson(`${two.url}/v1/transactions:batch`, tokenB, batch),
    ]);
    t.is(a.status, 202);
    t.is(b.status, 202);
    t.is(a.body.summary.accepted + b.body.summary.accepted, 300);
    t.is(a.body.summary.duplicate + b.body.summary.duplicate, 300);
    const again = await postJson(`${one.url}/v1/transactions:batch`, tokenA, batch);
    t.deepEqual(again.body.summary, { accepted: 0, duplicate: 300, rejected: 0 });

    const events = await readRawTopic(eventLog, topic, { expected: 300 });
    t.is(events.length, 300);
    t.is(new Set(events.map((e) => e.id)).size, 300);
    t.deepEqual(
      events.map((e) => e.payload.amount.amount).sort((x, y) => Number(x - y)),
      Array.from({ length: 300 }, (_, i) => BigInt((i + 1) * 100)),
    );
  });
}
