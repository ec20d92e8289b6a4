/**
 * The ledger's event builders skip the zod pass of `encodeEvent` (see `encodeBuiltEvent`), so these
 * tests hold what they write to the schema: the same JSON as `encodeEvent`, accepted by
 * `decodeEvent`, for every shape a movement can take.
 */
import test, { type ExecutionContext } from 'ava';
import { decodeEvent, encodeEvent, topics } from '@spendstream/core/events';
import type { TopicName } from '@spendstream/core/events';
import { newId } from '../../ids.js';
import { balanceChangedEvent, encodeBuiltEvent, rawTransactionEvent } from './events.js';
import type { Movement } from './store.js';

const now = Date.parse('2026-11-25T12:00:00.000Z');

function movement(overrides: Partial<Movement> = {}): Movement {
  return {
    id: newId(now),
    userId: newId(now),
    kind: 'expense',
    walletId: newId(now),
    amount: 1234n,
    currency: 'EUR',
    counterWalletId: null,
    counterAmount: null,
    counterCurrency: null,
    rate: null,
    rounding: null,
    category: null,
    merchant: null,
    note: null,
    tags: [],
    occurredAt: '2026-11-25T13:00:00.000+01:00',
    reversesId: null,
    createdAt: now,
    ...overrides,
  };
}

/** The builder's text is what encodeEvent writes for the same event, and decodes. */
function assertSchemaAccepts(t: ExecutionContext, topic: TopicName, payload: string): void {
  const decoded = decodeEvent(topic, payload);
  const strict = encodeEvent(topic, decoded as never).toString('utf8');
  t.deepEqual(JSON.parse(payload), JSON.parse(strict));
  t.deepEqual(JSON.parse(encodeBuiltEvent(topic, decoded as never)), JSON.parse(strict));
}

test('an expense with every optional field encodes as encodeEvent would', (t) => {
  const m = movement({
    category: 'groceries',
    merchant: 'Corner Shop',
    note: 'weekly shop',
    tags: ['food', 'home'],
  });
  const ownerId = m.userId;
  const raw = rawTransactionEvent(
    m,
    {
      transactionId: m.id,
      ownerId,
      walletId: m.walletId,
      kind: 'expense',
      amount: m.amount,
      currency: 'EUR',
    },
    { version: 1, reversed: false, now },
  );
  assertSchemaAccepts(t, topics.transactionsRaw, raw.payload);
  const changed = balanceChangedEvent({
    ownerId,
    walletId: m.walletId,
    currency: 'EUR',
    delta: -1234n,
    balance: -34n,
    sequence: 7,
    movementId: m.id,
    occurredAt: m.occurredAt,
    now,
  });
  assertSchemaAccepts(t, topics.walletEvents, changed.payload);
  t.is(changed.eventId, `${m.walletId}:seq:7`);
});

test('a reversed transfer leg to another user encodes as encodeEvent would', (t) => {
  const m = movement({ kind: 'transfer', counterWalletId: newId(now) });
  const raw = rawTransactionEvent(
    m,
    {
      transactionId: `${m.id}:out`,
      ownerId: m.userId,
      walletId: m.walletId,
      kind: 'transfer_out',
      amount: 10n ** 15n,
      currency: 'JPY',
      counterpartyWalletId: m.counterWalletId!,
      counterpartyUserId: newId(now),
    },
    { version: 2, reversed: true, now },
  );
  assertSchemaAccepts(t, topics.transactionsRaw, raw.payload);
  t.is(raw.eventId, `${m.id}:out:v2`);
});

test('an event the schema would refuse still fails downstream, so the tests above can fail', (t) => {
  const m = movement({ occurredAt: 'yesterday' });
  const raw = rawTransactionEvent(
    m,
    {
      transactionId: m.id,
      ownerId: m.userId,
      walletId: m.walletId,
      kind: 'expense',
      amount: 5n,
      currency: 'EUR',
    },
    { version: 1, reversed: false, now },
  );
  t.throws(() => decodeEvent(topics.transactionsRaw, raw.payload));
});
