/**
 * Test helpers for the pipeline: event builders, a collector of a topic's messages, and a wait.
 */
import {
  encodeEvent,
  eventTypes,
  topicNames,
  topicSpecs,
  topics,
  type TopicEvent,
  type TopicName,
} from '@spendstream/core/events';
import type { EventLog, OutgoingMessage } from '@spendstream/core/event-log';
import type { Registry } from 'prom-client';
import type {
  RawTransactionV1,
  TransactionAnnotatedV1,
  TransactionRecategorizedV1,
} from '@spendstream/core/events/transactions';
import type { BudgetsSnapshotV1, UserSettingsV1 } from '@spendstream/core/events/reference';

const producedAt = '2026-11-25T12:00:00.000Z';

export async function createAllTopics(log: EventLog): Promise<void> {
  for (const name of topicNames)
    await log.createTopic(name, { partitions: topicSpecs[name].partitions });
}

export function rawEvent(
  raw: RawTransactionV1,
  eventId = `raw-${raw.transactionId}-v${raw.version}`,
): OutgoingMessage {
  const event = {
    id: eventId,
    type: eventTypes.transactionRaw,
    version: 1 as const,
    key: raw.userId,
    occurredAt: raw.occurredAt,
    producedAt,
    source: 'test',
    payload: raw,
  };
  return {
    key: raw.userId,
    value: encodeEvent(topics.transactionsRaw, event as TopicEvent<typeof topics.transactionsRaw>),
  };
}

export function settingsEvent(settings: UserSettingsV1): OutgoingMessage {
  const event = {
    id: `settings-${settings.userId}-${settings.revision}`,
    type: eventTypes.userSettingsSnapshot,
    version: 1 as const,
    key: settings.userId,
    occurredAt: producedAt,
    producedAt,
    source: 'test',
    payload: settings,
  };
  return {
    key: settings.userId,
    value: encodeEvent(topics.refUserSettings, event as TopicEvent<typeof topics.refUserSettings>),
  };
}

export function budgetsEvent(snapshot: BudgetsSnapshotV1): OutgoingMessage {
  const event = {
    id: `budgets-${snapshot.userId}-${snapshot.revision}`,
    type: eventTypes.budgetsSnapshot,
    version: 1 as const,
    key: snapshot.userId,
    occurredAt: producedAt,
    producedAt,
    source: 'test',
    payload: snapshot,
  };
  return {
    key: snapshot.userId,
    value: encodeEvent(topics.refBudgets, event as TopicEvent<typeof topics.refBudgets>),
  };
}

export function correctionEvent(correction: TransactionRecategorizedV1): OutgoingMessage {
  const event = {
    id: `corr-${correction.correctionId}`,
    type: eventTypes.transactionRecategorized,
    version: 1 as const,
    key: correction.userId,
    occurredAt: correction.correctedAt,
    producedAt,
    source: 'test',
    payload: correction,
  };
  return {
    key: correction.userId,
    value: encodeEvent(
      topics.transactionsCorrections,
      event as TopicEvent<typeof topics.transactionsCorrections>,
    ),
  };
}

export function annotatedEvent(annotation: TransactionAnnotatedV1): OutgoingMessage {
  const event = {
    id: `ann-${annotation.correctionId}`,
    type: eventTypes.transactionAnnotated,
    version: 1 as const,
    key: annotation.userId,
    occurredAt: annotation.annotatedAt,
    producedAt,
    source: 'test',
    payload: annotation,
  };
  return {
    key: annotation.userId,
    value: encodeEvent(
      topics.transactionsCorrections,
      event as TopicEvent<typeof topics.transactionsCorrections>,
    ),
  };
}

/** Subscribes a throwaway group to `topic` and keeps every decoded JSON value. */
export async function collect(
  log: EventLog,
  topic: TopicName,
  groupId: string,
): Promise<{ values: Array<Record<string, unknown>>; close(): Promise<void> }> {
  const values: Array<Record<string, unknown>> = [];
  const consumer = await log.subscribe({
    groupId,
    topics: [topic],
    from: 'earliest',
    handler: async (batch) => {
      for (const message of batch.messages)
        values.push(JSON.parse(message.value.toString('utf8')) as Record<string, unknown>);
    },
  });
  return { values, close: () => consumer.close() };
}

/** The batches of `topic` the jobs reporting to `registry` handled so far, and their summed time. */
export async function batchesOf(
  registry: Registry,
  topic: TopicName,
): Promise<{ count: number; seconds: number }> {
  const values = (await registry.getSingleMetric('stream_jobs_batch_duration_seconds')!.get())
    .values as Array<{ labels: { topic?: string }; metricName?: string; value: number }>;
  const of = (suffix: string) =>
    values.find((v) => v.labels.topic === topic && v.metricName?.endsWith(suffix))?.value ?? 0;
  return { count: of('_count'), seconds: of('_sum') };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return check();
}
