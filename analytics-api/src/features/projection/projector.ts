/**
 * The read-model projector: consumes `transactions.enriched` (core's schema) in its own consumer
 * group and applies each batch to the analytics read model (embedded SQL or MongoDB + the search
 * index), last version wins. An undecodable message goes to the dead-letter topic with its reason.
 * The batch is committed only after the writer returns, so a crash redelivers it and the writer's
 * per-version idempotency makes the redelivery harmless.
 */
import { decodeEvent, deadLetterFor, EventDecodeError, topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import type { EventPublisher } from '../../domain/event-publisher.js';
import { docFromEnriched, type VersionedDoc } from './enriched-to-doc.js';
import type { ReadModelWriter } from './sql-read-model-writer.js';
import type { TransactionDoc } from '../../query/analytics-store.js';

export const projectionGroupId = 'analytics-api.projection';

export async function startProjector(deps: {
  log: EventLog;
  writer: ReadModelWriter;
  publisher: EventPublisher;
  groupId?: string;
  /** Prefix of the topic names on the log (tests on a shared broker), as stream-jobs takes it. */
  topicPrefix?: string;
  /** Told about the documents each batch newly stored (the live transaction stream). */
  onApplied?: (docs: TransactionDoc[]) => void;
}): Promise<Consumer> {
  const groupId = deps.groupId ?? projectionGroupId;
  return deps.log.subscribe({
    groupId,
    topics: [`${deps.topicPrefix ?? ''}${topics.transactionsEnriched}`],
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
      if (docs.length === 0) return;
      const applied = await deps.writer.apply(docs);
      if (applied.length > 0) deps.onApplied?.(applied);
    },
  });
}
