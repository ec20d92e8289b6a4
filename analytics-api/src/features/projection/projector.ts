/**
 * The read-model projector: consumes `transactions.enriched` (core's schema) in its own consumer
 * group and applies each batch to the analytics read model, last version wins. An undecodable
 * message goes to the dead-letter topic with its reason.
 */
import { decodeEvent, deadLetterFor, EventDecodeError, topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import type { EventPublisher } from '../../domain/event-publisher.js';
import { docFromEnriched, type VersionedDoc } from './enriched-to-doc.js';
import type { ReadModelWriter } from './sql-read-model-writer.js';

export const projectionGroupId = 'analytics-api.projection';

export async function startProjector(deps: {
  log: EventLog;
  writer: ReadModelWriter;
  publisher: EventPublisher;
  groupId?: string;
}): Promise<Consumer> {
  const groupId = deps.groupId ?? projectionGroupId;
  return deps.log.subscribe({
    groupId,
    topics: [topics.transactionsEnriched],
    from: 'earliest',
    handler: async (batch) => {
      const docs: VersionedDoc[] = [];
      for (const message of batch.messages) {
        try {
          const event = decodeEvent(topics.transactionsEnriched, message.value);
          docs.push(docFromEnriched(event.payload, event.id));
        } catch (error) {
          if (!(error instanceof EventDecodeError)) throw error;
          await deps.publisher.publish(
            topics.deadLetter,
            deadLetterFor({
              topic: message.topic,
              partition: message.partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              consumer: groupId,
              error,
              source: 'analytics-api',
            }),
          );
        }
      }
      if (docs.length > 0) await deps.writer.apply(docs);
    },
  });
}
