/**
 * The catalog: which event types and versions each topic carries, and the payload schema of each.
 * Adding a version is a new entry beside the old one (consumers keep decoding both until no producer
 * writes the old one); a payload schema, once published, only ever gains optional fields.
 */
import type { z } from 'zod';
import { alertRaisedV1Schema } from './alerts.js';
import { deadLetterV1Schema } from './dead-letter.js';
import { envelopeSchema } from './envelope.js';
import {
  budgetsSnapshotV1Schema,
  categoryRulesSnapshotV1Schema,
  userSettingsV1Schema,
  walletsSnapshotV1Schema,
} from './reference.js';
import { topics, type TopicName } from './topics.js';
import {
  enrichedTransactionV1Schema,
  rawTransactionV1Schema,
  transactionAnnotatedV1Schema,
  transactionRecategorizedV1Schema,
} from './transactions.js';
import {
  walletBalanceChangedV1Schema,
  walletOpenedV1Schema,
  walletUpdatedV1Schema,
} from './wallet.js';

/** Event type names, one constant each. */
export const eventTypes = {
  transactionRaw: 'transaction.raw',
  transactionEnriched: 'transaction.enriched',
  transactionRecategorized: 'transaction.recategorized',
  transactionAnnotated: 'transaction.annotated',
  alertRaised: 'alert.raised',
  walletOpened: 'wallet.opened',
  walletUpdated: 'wallet.updated',
  walletBalanceChanged: 'wallet.balance_changed',
  deadLetter: 'dead_letter',
  budgetsSnapshot: 'budgets.snapshot',
  userSettingsSnapshot: 'user_settings.snapshot',
  categoryRulesSnapshot: 'category_rules.snapshot',
  walletsSnapshot: 'wallets.snapshot',
} as const;

/** topic -> event type -> version -> payload schema. */
export const eventCatalog = {
  [topics.transactionsRaw]: { [eventTypes.transactionRaw]: { 1: rawTransactionV1Schema } },
  [topics.transactionsEnriched]: {
    [eventTypes.transactionEnriched]: { 1: enrichedTransactionV1Schema },
  },
  [topics.transactionsCorrections]: {
    [eventTypes.transactionRecategorized]: { 1: transactionRecategorizedV1Schema },
    [eventTypes.transactionAnnotated]: { 1: transactionAnnotatedV1Schema },
  },
  [topics.alerts]: { [eventTypes.alertRaised]: { 1: alertRaisedV1Schema } },
  [topics.walletEvents]: {
    [eventTypes.walletOpened]: { 1: walletOpenedV1Schema },
    [eventTypes.walletUpdated]: { 1: walletUpdatedV1Schema },
    [eventTypes.walletBalanceChanged]: { 1: walletBalanceChangedV1Schema },
  },
  [topics.deadLetter]: { [eventTypes.deadLetter]: { 1: deadLetterV1Schema } },
  [topics.refBudgets]: { [eventTypes.budgetsSnapshot]: { 1: budgetsSnapshotV1Schema } },
  [topics.refUserSettings]: { [eventTypes.userSettingsSnapshot]: { 1: userSettingsV1Schema } },
  [topics.refCategoryRules]: {
    [eventTypes.categoryRulesSnapshot]: { 1: categoryRulesSnapshotV1Schema },
  },
  [topics.refWallets]: { [eventTypes.walletsSnapshot]: { 1: walletsSnapshotV1Schema } },
} as const satisfies Record<TopicName, Record<string, Record<number, z.ZodType>>>;

export type EventCatalog = typeof eventCatalog;

/** The event types a topic carries. */
export type EventTypeOf<T extends TopicName> = keyof EventCatalog[T] & string;

type PayloadSchemaOf<
  T extends TopicName,
  K extends EventTypeOf<T>,
  V extends keyof EventCatalog[T][K],
> = EventCatalog[T][K][V] extends z.ZodType ? EventCatalog[T][K][V] : never;

/** One decoded event: the envelope with a typed payload (bigint amounts). */
export type EventOf<
  T extends TopicName,
  K extends EventTypeOf<T>,
  V extends keyof EventCatalog[T][K],
> = {
  id: string;
  type: K;
  version: V;
  key: string;
  occurredAt: string;
  producedAt: string;
  source: string;
  causationId?: string | undefined;
  correlationId?: string | undefined;
  payload: z.output<PayloadSchemaOf<T, K, V>>;
};

/**
 * Any event a topic carries, as a union discriminated by `type` then `version`. Distributes over a
 * union of topics, so `TopicEvent<TopicName>` is every event of every topic.
 */
export type TopicEvent<T extends TopicName> = T extends TopicName
  ? {
      [K in EventTypeOf<T>]: {
        [V in keyof EventCatalog[T][K]]: EventOf<T, K, V>;
      }[keyof EventCatalog[T][K]];
    }[EventTypeOf<T>]
  : never;

/** Every event of every topic. */
export type AnyEvent = TopicEvent<TopicName>;

/** The full envelope schema of one (topic, type, version). */
export function eventSchemaOf(
  topic: TopicName,
  type: string,
  version: number,
): z.ZodType | undefined {
  const versions = (eventCatalog[topic] as Record<string, Record<number, z.ZodType>>)[type];
  const payload = versions?.[version];
  if (payload === undefined) return undefined;
  const key = `${topic}|${type}|${version}`;
  let schema = envelopeCache.get(key);
  if (schema === undefined) {
    schema = envelopeSchema(type, version, payload);
    envelopeCache.set(key, schema);
  }
  return schema;
}

const envelopeCache = new Map<string, z.ZodType>();

/** The versions of a type that a topic carries, ascending; empty when the type is unknown. */
export function knownVersions(topic: TopicName, type: string): number[] {
  const versions = (eventCatalog[topic] as Record<string, Record<number, z.ZodType>>)[type];
  return versions === undefined
    ? []
    : Object.keys(versions)
        .map(Number)
        .sort((a, b) => a - b);
}

/** The event types a topic carries. */
export function knownTypes(topic: TopicName): string[] {
  return Object.keys(eventCatalog[topic]);
}
