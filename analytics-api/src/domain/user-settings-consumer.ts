/**
 * Keeps the settings store current from the compacted `ref.user-settings` topic. Every instance
 * reads the whole topic (its own group, from the start), since every instance needs every user.
 */
import { randomUUID } from 'node:crypto';
import { decodeEvent, topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import type { UserSettingsStore } from './user-settings.js';

export async function startUserSettingsConsumer(
  log: EventLog,
  settings: UserSettingsStore,
): Promise<Consumer> {
  return log.subscribe({
    groupId: `analytics-api.settings.${randomUUID()}`,
    topics: [topics.refUserSettings],
    from: 'earliest',
    handler: async (batch) => {
      for (const message of batch.messages) {
        try {
          const { payload } = decodeEvent(topics.refUserSettings, message.value);
          await settings.put(payload.userId, {
            timeZone: payload.timeZone,
            homeCurrency: payload.homeCurrency,
            revision: payload.revision,
          });
        } catch {
          // A snapshot this version cannot read is skipped: the producer's dead-letter path owns
          // it, and the next snapshot for the user replaces it.
        }
      }
    },
  });
}
