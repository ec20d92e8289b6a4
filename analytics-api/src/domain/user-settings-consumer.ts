/**
 * Keeps the settings store current from the compacted `ref.user-settings` topic (every instance
 * reads the whole topic, `user-snapshots.ts`); the store keeps the newest revision of each user.
 */
import { topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import type { UserSettingsStore } from './user-settings.js';
import { followSnapshots } from './user-snapshots.js';

export function startUserSettingsConsumer(
  log: EventLog,
  settings: UserSettingsStore,
): Promise<Consumer> {
  return followSnapshots(log, {
    name: 'settings',
    topic: topics.refUserSettings,
    apply: ({ payload }) =>
      settings.put(payload.userId, {
        timeZone: payload.timeZone,
        homeCurrency: payload.homeCurrency,
        revision: payload.revision,
      }),
  });
}
