/**
 * Publishing events from analytics-api (recategorizations on `transactions.corrections`, budget
 * snapshots on `ref.budgets`): encoded and validated by core's codec, keyed by the user id.
 */
import {
  encodeEvent,
  eventHeaders,
  type TopicEvent,
  type TopicName,
} from '@spendstream/core/events';
import type { EventLog } from '@spendstream/core/event-log';

export interface EventPublisher {
  publish<T extends TopicName>(topic: T, event: TopicEvent<T>): Promise<void>;
}

/**
 * Publish through the event log (Kafka or the embedded log). `topicPrefix` is put before every
 * topic name (tests on a shared broker), as stream-jobs reads them.
 */
export function createEventLogPublisher(log: EventLog, topicPrefix = ''): EventPublisher {
  return {
    async publish(topic, event) {
      const { id, type, version } = event as { id: string; type: string; version: number };
      await log.send(`${topicPrefix}${topic}`, [
        {
          key: event.key,
          value: Buffer.from(encodeEvent(topic, event)),
          headers: {
            [eventHeaders.id]: id,
            [eventHeaders.type]: type,
            [eventHeaders.version]: String(version),
            [eventHeaders.contentType]: 'application/json',
          },
        },
      ]);
    },
  };
}

/** Collects events in memory: the unit-test twin. */
export function createMemoryPublisher(): EventPublisher & {
  published: Array<{ topic: TopicName; event: unknown }>;
} {
  const published: Array<{ topic: TopicName; event: unknown }> = [];
  return {
    published,
    async publish(topic, event) {
      encodeEvent(topic, event); // validate exactly as the real publisher would
      published.push({ topic, event });
    },
  };
}
