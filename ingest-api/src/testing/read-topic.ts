/**
 * Test helper: read every `transaction.raw` event on a topic from the start, through a fresh
 * consumer group, until `expected` events arrived and the topic stayed quiet for `quietMs`.
 */
import { randomUUID } from 'node:crypto';
import type { EventLog } from '@spendstream/core/event-log';
import { decodeEvent, topics, type RawTransactionV1 } from '@spendstream/core/events';

export interface ReadEvent {
  id: string;
  key: string;
  partition: number;
  payload: RawTransactionV1;
}

export async function readRawTopic(
  log: EventLog,
  topic: string,
  options: { expected: number; timeoutMs?: number; quietMs?: number },
): Promise<ReadEvent[]> {
  const events: ReadEvent[] = [];
  const timeoutMs = options.timeoutMs ?? 20_000;
  const quietMs = options.quietMs ?? 300;
  let lastAt = Date.now();
  const consumer = await log.subscribe({
    groupId: `read-${randomUUID()}`,
    topics: [topic],
    from: 'earliest',
    handler: async (batch) => {
      for (const message of batch.messages) {
        const event = decodeEvent(topics.transactionsRaw, message.value);
        events.push({
          id: event.id,
          key: message.key,
          partition: message.partition,
          payload: event.payload as RawTransactionV1,
        });
      }
      lastAt = Date.now();
    },
  });
  const start = Date.now();
  try {
    while (Date.now() - start < timeoutMs) {
      if (events.length >= options.expected && Date.now() - lastAt >= quietMs) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await consumer.close();
  }
  return events;
}
