/**
 * Per-user reference snapshots from a compacted `ref.*` topic: the latest one of each user (the
 * highest `revision`; a compacted topic may replay an older one after a newer), read by every
 * instance from the start of the topic in a group of its own, since every instance may serve every
 * user. User settings (`ref.user-settings`), custom categories (`ref.category-rules`) and shared
 * wallets (`ref.wallets`) are followed this way.
 */
import type { TopicEvent, TopicName } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import { followSnapshots as followReferenceTopic } from '@spendstream/core/reference-follow';

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
export function followSnapshots<T extends TopicName>(
  log: EventLog,
  options: { name: string; topic: T; apply(event: TopicEvent<T>): Promise<void> },
): Promise<Consumer> {
  return followReferenceTopic(log, {
    groupPrefix: `analytics-api.${options.name}`,
    schema: options.topic,
    apply: options.apply,
  });
}
