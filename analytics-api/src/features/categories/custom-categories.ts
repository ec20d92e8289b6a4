/**
 * A user's custom categories, as the latest `category_rules.snapshot` on the compacted
 * `ref.category-rules` topic lists them (id, name, parent: built-in or custom). Every instance reads
 * the whole topic (its own group, from the start), since every instance may serve every user.
 */
import { randomUUID } from 'node:crypto';
import { decodeEvent, topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';

export interface CustomCategory {
  id: string;
  name: string;
  /** Absent for a root. */
  parentId?: string | undefined;
}

/** Reads and replaces a user's custom categories. */
export interface CustomCategoryStore {
  list(userId: string): Promise<readonly CustomCategory[]>;
  /** Keeps the snapshot with the highest revision (a compacted topic may replay an older one). */
  put(userId: string, revision: number, categories: readonly CustomCategory[]): Promise<void>;
}

/** An in-memory store: the running service's (fed from the topic at start) and the tests'. */
export function createMemoryCustomCategoryStore(): CustomCategoryStore {
  const byUser = new Map<string, { revision: number; categories: readonly CustomCategory[] }>();
  return {
    async list(userId) {
      return byUser.get(userId)?.categories ?? [];
    },
    async put(userId, revision, categories) {
      const existing = byUser.get(userId);
      if (existing && existing.revision > revision) return;
      byUser.set(userId, { revision, categories: Object.freeze([...categories]) });
    },
  };
}

/** Keep the store current from `ref.category-rules`. */
export async function startCustomCategoryConsumer(
  log: EventLog,
  store: CustomCategoryStore,
): Promise<Consumer> {
  return log.subscribe({
    groupId: `analytics-api.categories.${randomUUID()}`,
    topics: [topics.refCategoryRules],
    from: 'earliest',
    handler: async (batch) => {
      for (const message of batch.messages) {
        let payload;
        try {
          ({ payload } = decodeEvent(topics.refCategoryRules, message.value));
        } catch {
          // A snapshot this version cannot read is skipped: the producer's dead-letter path owns
          // it, and the user's next snapshot replaces it.
          continue;
        }
        await store.put(payload.userId, payload.revision, payload.categories);
      }
    },
  });
}
