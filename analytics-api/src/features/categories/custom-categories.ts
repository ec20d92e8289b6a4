/**
 * A user's custom categories, as the latest `category_rules.snapshot` on the compacted
 * `ref.category-rules` topic lists them (id, name, parent: built-in or custom), kept by
 * `domain/user-snapshots.ts`.
 */
import { topics } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import { createLatestPerUser, followSnapshots } from '../../domain/user-snapshots.js';
import type { CategoryCatalog } from '../../domain/categories.js';

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

/** The ids a user may name: the built-in tree's and their own custom categories. */
export async function categoriesOfUser(
  deps: { categories: Pick<CategoryCatalog, 'has'>; customCategories?: CustomCategoryStore },
  userId: string,
): Promise<Pick<CategoryCatalog, 'has'>> {
  const custom = new Set(
    (await deps.customCategories?.list(userId))?.map((category) => category.id) ?? [],
  );
  return { has: (id) => deps.categories.has(id) || custom.has(id) };
}

/** An in-memory store: the running service's (fed from the topic at start) and the tests'. */
export function createMemoryCustomCategoryStore(): CustomCategoryStore {
  const latest = createLatestPerUser<readonly CustomCategory[]>();
  return {
    list: async (userId) => latest.get(userId) ?? [],
    put: async (userId, revision, categories) =>
      latest.put(userId, revision, Object.freeze([...categories])),
  };
}

/** Keep the store current from `ref.category-rules`. */
export function startCustomCategoryConsumer(
  log: EventLog,
  store: CustomCategoryStore,
): Promise<Consumer> {
  return followSnapshots(log, {
    name: 'categories',
    topic: topics.refCategoryRules,
    apply: ({ payload }) => store.put(payload.userId, payload.revision, payload.categories),
  });
}
