/**
 * Per-user reference snapshots from a compacted `ref.*` topic: the latest one of each user (the
 * highest `revision`; a compacted topic may replay an older one after a newer), read by every
 * instance from the start of the topic in a group of its own, since every instance may serve every
 * user. User settings (`ref.user-settings`), custom categories (`ref.category-rules`) and shared
 * wallets (`ref.wallets`) are followed this way.
 */
import { randomUUID } from 'node:crypto';
import { decodeEvent, type TopicEvent, type TopicName } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';

/** Each user's latest value, in memory. */
export interface LatestPerUser<T> {
  get(userId: string): T | undefined;
  /** Keeps `value` unless the user's held revision is higher. */
  put(userId: string, revision: number, value: T): void;
}

export function createLatestPerUser<T>(): LatestPerUser<T> {
  const byUser = new Map<string, { revision: number; value: T }>();
  return {
    get: (userId) => byUser.get(userId)?.value,
    put(userId, revision, value) {
      const existing = byUser.get(userId);
      if (existing && existing.revision > revision) return;
      byUser.set(userId, { revision, value });
    },
  };
}

/** Follow a reference topic from its start, handing each decodable snapshot to `apply`. */
export async function followSnapshots<T extends TopicName>(
  log: EventLog,
  options: { name: string; topic: T; apply(event: TopicEvent<T>): Promise<void> },
): Promise<Consumer> {
  return log.subscribe({
    groupId: `analytics-api.${options.name}.${randomUUID()}`,
    topics: [options.topic],
    from: 'earliest',
    handler: async (batch) => {
      for (const message of batch.messages) {
        let event: TopicEvent<T>;
        try {
          event = decodeEvent(options.topic, message.value);
        } catch {
          // A snapshot this version cannot read is skipped: the producer's dead-letter path owns
          // it, and the user's next snapshot replaces it.
          continue;
        }
        await options.apply(event);
      }
    },
  });
}
