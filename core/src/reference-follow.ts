/**
 * Following a compacted per-user reference topic (`ref.wallets`, `ref.user-settings`,
 * `ref.category-rules`): every instance of a service reads the whole topic from its start in a
 * consumer group of its own, since every instance may serve every user, and hands each snapshot it
 * can decode to `apply`. Keeping the newest revision per user is the caller's (a compacted topic may
 * replay an older snapshot after a newer one).
 */
import { randomUUID } from 'node:crypto';
import { decodeEvent, type TopicEvent, type TopicName } from './events.js';
import type { Consumer, EventLog } from './event-log.js';

export interface FollowSnapshotsOptions<T extends TopicName> {
  /** The consumer group is `<groupPrefix>.<random uuid>`: one group per instance. */
  groupPrefix: string;
  /** The topic whose schema the snapshots follow. */
  schema: T;
  /** Where to read them; `schema` by default (tests pass a topic of their own). */
  topic?: string;
  apply(event: TopicEvent<T>): void | Promise<void>;
  /** Called as each delivered batch starts (a view that tracks whether it has caught up). */
  onBatch?(): void;
}

/** Subscribe from the topic's start; resolves once subscribed. */
export function followSnapshots<T extends TopicName>(
  log: EventLog,
  options: FollowSnapshotsOptions<T>,
): Promise<Consumer> {
  return log.subscribe({
    groupId: `${options.groupPrefix}.${randomUUID()}`,
    topics: [options.topic ?? options.schema],
    from: 'earliest',
    handler: async (batch) => {
      options.onBatch?.();
      for (const message of batch.messages) {
        let event: TopicEvent<T>;
        try {
          event = decodeEvent(options.schema, message.value);
        } catch {
          // A snapshot this version cannot read (or a tombstone) is skipped: the producer's
          // dead-letter path owns it, and the user's next snapshot replaces it.
          continue;
        }
        await options.apply(event);
      }
    },
  });
}
