/**
 * Feeds the alert history from the `alerts` topic: decode (an undecodable message goes to the
 * dead-letter topic with its reason, never silently dropped), store once by alert id, and wake the
 * SSE hub. A redelivered batch stores nothing twice, so at-least-once delivery is enough.
 */
import { decodeEvent, deadLetterFor, EventDecodeError, topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import type { EventPublisher } from '../../domain/event-publisher.js';
import type { AlertStore } from './alert-store.js';
import type { AlertHub } from './alert-hub.js';

/** The consumer group every analytics-api instance shares for the alert history. */
export const alertsGroupId = 'analytics-api.alerts';

export interface AlertConsumerDeps {
  log: EventLog;
  alerts: AlertStore;
  hub: AlertHub;
  publisher: EventPublisher;
  groupId?: string;
}

export async function startAlertConsumer(deps: AlertConsumerDeps): Promise<Consumer> {
  const groupId = deps.groupId ?? alertsGroupId;
  return deps.log.subscribe({
    groupId,
    topics: [topics.alerts],
    from: 'earliest',
    handler: async (batch) => {
      let stored = 0;
      for (const message of batch.messages) {
        let event;
        try {
          event = decodeEvent(topics.alerts, message.value);
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
          continue;
        }
        if ((await deps.alerts.insert(event.payload)) !== null) stored += 1;
      }
      if (stored > 0) deps.hub.notify();
    },
  });
}
