import test from 'ava';
import { createEmbeddedEventLog, type EventLog } from '@spendstream/core/event-log';
import { readRawTopic } from '../../testing/read-topic.js';
import { createMemoryDedupeStore } from '../dedupe/dedupe-store.js';
import type { Caller } from './caller.js';
import { createIngestService, type ItemResult } from './ingest-service.js';
import { transactionIdFor } from './transaction-id.js';
import { createMemoryWalletDirectory } from './wallet-directory.js';

const bank: Caller = {
  kind: 'client',
  clientId: 'acme-bank',
  userIds: ['u_a', 'u_b'],
  scopes: ['transactions:write'],
};
const onlyA: Caller = {
  kind: 'client',
  clientId: 'acme-bank',
  userIds: ['u_a'],
  scopes: ['transactions:write'],
};

async function setup(options: { logOverride?: (log: EventLog) => EventLog } = {}) {
  const base = createEmbeddedEventLog({ path: ':memory:' });
  const topic = 'transactions.raw.test';
  await base.createTopic(topic, { partitions: 3 });
  const log = options.logOverride ? options.logOverride(base) : base;
  const wallets = createMemoryWalletDirectory([
    { walletId: 'w_a', writers: ['u_a'], currency: 'EUR', archived: false },
    { walletId: 'w_b', writers: ['u_b'], currency: 'EUR', archived: false },
  ]);
  const dedupe = createMemoryDedupeStore();
  const service = createIngestService({ log, dedupe, wallets, topic, publishTimeoutMs: 2_000 });
  return { base, log, topic, service, dedupe };
}

const item = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  walletId: 'w_a',
  userId: 'u_a',
  amount: '-12.34',
  currency: 'EUR',
  occurredAt: '2026-11-20T12:00:00+01:00',
  merchant: 'CARREFOUR 1234 PARIS',
  ...extra,
});

const brief = (results: ItemResult[]) =>
  results.map((r) => [r.status, r.outcome ?? r.error?.code ?? '', r.version ?? 0]);

test('a batch of good, duplicate and bad items gets exactly the right answer per item, and only new versions are published', async (t) => {
  const { base, topic, service } = await setup();
  t.teardown(() => base.close());
  const first = await service.ingest(bank, [item('e1'), item('e2')], { channel: 'batch' });
  t.deepEqual(brief(first), [
    ['accepted', 'created', 1],
    ['accepted', 'created', 1],
  ]);

  const results = await service.ingest(
    bank,
    [
      item('e1'), // 0 duplicate of the first batch
      item('e3'), // 1 new
      item('e4', { amount: '12.345' }), // 2 too many decimals for EUR
      item('e5', { currency: 'XYZ' }), // 3 unknown currency
      item('e6', { walletId: 'w_b' }), // 4 u_a may not write into u_b's wallet
      item('e7', { occurredAt: '2026-11-20 12:00' }), // 5 no offset
      item('e2', { amount: '-15.00' }), // 6 correction of e2 (tip added): version 2
      item('e3'), // 7 same item again in the same batch: duplicate of item 1
      item('e1', { status: 'reversed' }), // 8 reversal of e1: version 2, reversed
      item('nope', { status: 'reversed' }), // 9 reversal of an unknown transaction
      { ...item('e8'), amountMinor: 100 }, // 10 both amount and amountMinor
      item('e9', { amount: undefined, amountMinor: '-999', currency: 'JPY' }), // 11 minor units, JPY
      item('e10', { userId: 'u_c' }), // 12 a user this client has no grant from
    ],
    { channel: 'batch' },
  );
  t.deepEqual(brief(results), [
    ['duplicate', '', 1],
    ['accepted', 'created', 1],
    ['rejected', 'validation_failed', 0],
    ['rejected', 'validation_failed', 0],
    ['rejected', 'forbidden', 0],
    ['rejected', 'validation_failed', 0],
    ['accepted', 'corrected', 2],
    ['duplicate', '', 1],
    ['accepted', 'reversed', 2],
    ['rejected', 'not_found', 0],
    ['rejected', 'validation_failed', 0],
    ['accepted', 'created', 1],
    ['rejected', 'forbidden', 0],
  ]);
  t.is(results[2]!.error!.fields[0]!.path, 'amount');
  t.regex(results[2]!.error!.message, /3 decimal places; EUR has 2/);
  t.is(results[3]!.error!.fields[0]!.path, 'currency');
  t.is(results[5]!.error!.fields[0]!.path, 'occurredAt');
  t.is(results[1]!.transactionId, transactionIdFor('acme-bank', 'e3'));

  const events = await readRawTopic(base, topic, { expected: 6 });
  t.deepEqual(
    events
      .map((e) => [
        e.payload.externalId,
        e.payload.version,
        e.payload.status,
        e.payload.amount.amount,
      ])
      .sort(),
    [
      ['e1', 1, 'booked', 1234n],
      ['e1', 2, 'reversed', 1234n],
      ['e2', 1, 'booked', 1234n],
      ['e2', 2, 'booked', 1500n],
      ['e3', 1, 'booked', 1234n],
      ['e9', 1, 'booked', 999n],
    ].sort(),
  );
  for (const e of events) {
    t.is(e.key, 'u_a');
    t.is(e.id, `${e.payload.transactionId}:${e.payload.version}`);
  }
  const jpy = events.find((e) => e.payload.externalId === 'e9')!;
  t.deepEqual(jpy.payload.amount, { amount: 999n, currency: 'JPY' });
  t.is(jpy.payload.kind, 'expense');
});

test('the same batch sent twice, and twice concurrently, publishes each event once', async (t) => {
  const { base, topic, service } = await setup();
  t.teardown(() => base.close());
  const batch = Array.from({ length: 50 }, (_, i) => item(`c${i}`));
  const [a, b] = await Promise.all([
    service.ingest(bank, batch, { channel: 'batch' }),
    service.ingest(bank, batch, { channel: 'batch' }),
  ]);
  const again = await service.ingest(bank, batch, { channel: 'batch' });
  for (let i = 0; i < batch.length; i++) {
    const statuses = [a[i]!.status, b[i]!.status].sort();
    t.deepEqual(statuses, ['accepted', 'duplicate'], `item ${i}`);
    t.is(again[i]!.status, 'duplicate');
    t.is(a[i]!.transactionId, b[i]!.transactionId);
  }
  const events = await readRawTopic(base, topic, { expected: 50 });
  t.is(events.length, 50);
  t.is(new Set(events.map((e) => e.id)).size, 50);
});

test('a client scoped to user A cannot ingest into user B wallet, even naming B or only the wallet', async (t) => {
  const { base, topic, service } = await setup();
  t.teardown(() => base.close());
  const results = await service.ingest(
    onlyA,
    [
      item('x1', { userId: 'u_b', walletId: 'w_b' }),
      item('x2', { userId: undefined, walletId: 'w_b' }),
      item('x3', { userId: undefined }),
    ],
    { channel: 'api' },
  );
  t.deepEqual(brief(results), [
    ['rejected', 'forbidden', 0],
    ['rejected', 'forbidden', 0],
    ['accepted', 'created', 1],
  ]);
  const events = await readRawTopic(base, topic, { expected: 1 });
  t.deepEqual(
    events.map((e) => [e.payload.externalId, e.payload.walletId, e.payload.userId]),
    [['x3', 'w_a', 'u_a']],
  );
});

test('when the log refuses, the request fails with 503, nothing is kept as seen, and a retry is accepted', async (t) => {
  let down = true;
  const { base, topic, service } = await setup({
    logOverride: (log) => ({
      ...log,
      kind: log.kind,
      createTopic: (n, o) => log.createTopic(n, o),
      subscribe: (o) => log.subscribe(o),
      close: () => log.close(),
      send: async (name, messages) => {
        if (down) throw new Error('broker not available');
        return log.send(name, messages);
      },
    }),
  });
  t.teardown(() => base.close());
  const error = await t.throwsAsync(
    service.ingest(bank, [item('d1'), item('d2')], { channel: 'batch' }),
  );
  t.is((error as { code?: string }).code, 'unavailable');
  t.true(((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 0) >= 1);
  // While backing off, requests are refused at once rather than queued.
  t.is(
    (
      (await t.throwsAsync(service.ingest(bank, [item('d1')], { channel: 'api' }))) as {
        code?: string;
      }
    ).code,
    'unavailable',
  );
  down = false;
  await new Promise((resolve) => setTimeout(resolve, 1_050));
  const results = await service.ingest(bank, [item('d1'), item('d2')], { channel: 'batch' });
  t.deepEqual(brief(results), [
    ['accepted', 'created', 1],
    ['accepted', 'created', 1],
  ]);
  t.is((await readRawTopic(base, topic, { expected: 2 })).length, 2);
});

test('a batch over the item limit is refused whole', async (t) => {
  const { base, service } = await setup();
  t.teardown(() => base.close());
  const error = await t.throwsAsync(
    service.ingest(
      bank,
      Array.from({ length: 1001 }, (_, i) => item(`big${i}`)),
      { channel: 'batch' },
    ),
  );
  t.is((error as { code?: string }).code, 'payload_too_large');
});

test('a replay of an older version after a correction is a duplicate, not another correction', async (t) => {
  const { base, topic, service } = await setup();
  t.teardown(() => base.close());
  const v1 = item('h1');
  const v2 = item('h1', { amount: '-14.00' });
  t.deepEqual(brief(await service.ingest(bank, [v1, v2], { channel: 'batch' })), [
    ['accepted', 'created', 1],
    ['accepted', 'corrected', 2],
  ]);
  // The bank re-sends its whole history, oldest first.
  t.deepEqual(brief(await service.ingest(bank, [v1, v2], { channel: 'batch' })), [
    ['duplicate', '', 2],
    ['duplicate', '', 2],
  ]);
  const events = await readRawTopic(base, topic, { expected: 2 });
  t.deepEqual(
    events.map((e) => [e.payload.version, e.payload.amount.amount]),
    [
      [1, 1234n],
      [2, 1400n],
    ],
  );
});
