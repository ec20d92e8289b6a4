/**
 * The events a committed movement writes to the outbox: one `transaction.raw` per wallet leg on
 * `transactions.raw` (keyed by the wallet owner, whose analytics it feeds) and one
 * `wallet.balance_changed` per wallet posting on `wallet.events`. Event ids are derived from what the
 * event is about, so the same fact always carries the same id.
 */
import { invariant } from '@spendstream/core/errors';
import { eventBytesMax, eventTypes, topics } from '@spendstream/core/events';
import type {
  RawTransactionV1,
  TopicEvent,
  TopicName,
  TransactionKind,
} from '@spendstream/core/events';
import { stringifyJson } from '@spendstream/core/json';
import { money } from '@spendstream/core/money';
import type { OutboxEvent } from '../outbox/store.js';
import type { Movement } from './store.js';

/** The `source` of every event wallet-api produces. */
export const eventSource = 'wallet-api';

/** One wallet side of a movement, as the wallet's owner sees it. */
export interface MovementLeg {
  transactionId: string;
  ownerId: string;
  walletId: string;
  kind: TransactionKind;
  amount: bigint;
  currency: string;
  counterpartyWalletId?: string;
  counterpartyUserId?: string;
}

/**
 * Encode an event this module built from values the service already validated (the request body
 * through its zod schema, the wallet and amounts from the store): JSON with bigints as decimal
 * strings, which is what `encodeEvent` writes, without its second zod pass (the largest CPU cost of
 * a movement after SQL and HTTP). `events.test.ts` holds every builder here to `encodeEvent` and
 * `decodeEvent`, so what this writes is what the schema would accept.
 */
export function encodeBuiltEvent<T extends TopicName>(_topic: T, event: TopicEvent<T>): string {
  const text = stringifyJson(event);
  invariant(
    text.length * 3 <= eventBytesMax || Buffer.byteLength(text) <= eventBytesMax,
    `event ${event.id} is above eventBytesMax`,
  );
  return text;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The `transaction.raw` event of one leg; a reversal re-sends the leg as version 2, status reversed. */
export function rawTransactionEvent(
  movement: Movement,
  leg: MovementLeg,
  options: { version: number; reversed: boolean; now: number },
): OutboxEvent {
  const payload: RawTransactionV1 = {
    transactionId: leg.transactionId,
    source: eventSource,
    externalId: leg.transactionId,
    userId: leg.ownerId,
    walletId: leg.walletId,
    kind: leg.kind,
    amount: money(leg.amount, leg.currency),
    occurredAt: movement.occurredAt,
    tags: movement.tags,
    metadata: {},
    channel: 'wallet',
    version: options.version,
    status: options.reversed ? 'reversed' : 'booked',
    ...(movement.merchant === null ? {} : { merchant: movement.merchant }),
    ...(movement.category === null ? {} : { category: movement.category }),
    ...(movement.note === null ? {} : { note: movement.note }),
    ...(movement.kind === 'transfer'
      ? {
          transfer: {
            transferId: movement.id,
            internal: leg.counterpartyUserId === leg.ownerId,
            ...(leg.counterpartyWalletId === undefined
              ? {}
              : { counterpartyWalletId: leg.counterpartyWalletId }),
            ...(leg.counterpartyUserId === undefined
              ? {}
              : { counterpartyUserId: leg.counterpartyUserId }),
          },
        }
      : {}),
  };
  const id = `${leg.transactionId}:v${options.version}`;
  const text = encodeBuiltEvent(topics.transactionsRaw, {
    id,
    type: eventTypes.transactionRaw,
    version: 1,
    key: leg.ownerId,
    occurredAt: movement.occurredAt,
    producedAt: iso(options.now),
    source: eventSource,
    correlationId: movement.id,
    payload,
  });
  return {
    eventId: id,
    topic: topics.transactionsRaw,
    key: leg.ownerId,
    payload: text,
    createdAt: options.now,
  };
}

/** The `wallet.balance_changed` event of one posting. */
export function balanceChangedEvent(input: {
  ownerId: string;
  walletId: string;
  currency: string;
  delta: bigint;
  balance: bigint;
  sequence: number;
  movementId: string;
  occurredAt: string;
  now: number;
}): OutboxEvent {
  const id = `${input.walletId}:seq:${input.sequence}`;
  const text = encodeBuiltEvent(topics.walletEvents, {
    id,
    type: eventTypes.walletBalanceChanged,
    version: 1,
    key: input.ownerId,
    occurredAt: input.occurredAt,
    producedAt: iso(input.now),
    source: eventSource,
    correlationId: input.movementId,
    payload: {
      userId: input.ownerId,
      walletId: input.walletId,
      sequence: input.sequence,
      delta: money(input.delta, input.currency),
      balance: money(input.balance, input.currency),
      transactionId: input.movementId,
      postedAt: iso(input.now),
    },
  });
  return {
    eventId: id,
    topic: topics.walletEvents,
    key: input.ownerId,
    payload: text,
    createdAt: input.now,
  };
}
