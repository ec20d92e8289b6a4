/**
 * The reference snapshots analytics-api owns, each published through its outbox
 * (`domain/snapshot-outbox.ts`): every user's budgets on `ref.budgets`, and their categorization
 * rules and custom categories on `ref.category-rules`. Both are compacted topics keyed by the user
 * id whose snapshots carry the revision of the set.
 */
import type { Knex } from 'knex';
import { eventTypes, topics } from '@spendstream/core/events';
import type { Logger } from '@spendstream/core/log';
import type { EventPublisher } from './domain/event-publisher.js';
import { createSnapshotOutbox, type SnapshotOutbox } from './domain/snapshot-outbox.js';
import { budgetTables, listBudgets } from './features/budgets/budget-store.js';
import {
  categoryRuleTables,
  readCategoryRuleSet,
} from './features/category-rules/category-rule-store.js';

export interface SnapshotOutboxes {
  budgets: SnapshotOutbox;
  categoryRules: SnapshotOutbox;
}

/** The envelope of a user's snapshot at a revision (one id per user and revision). */
function envelope(kind: string, userId: string, revision: number, now: string) {
  return {
    id: `${kind}_${userId}_${revision}`.slice(0, 128),
    version: 1 as const,
    key: userId,
    occurredAt: now,
    producedAt: now,
    source: 'analytics-api',
  };
}

export function createSnapshotOutboxes(deps: {
  sql: Knex;
  publisher: EventPublisher;
  log: Logger;
  clock: () => Date;
}): SnapshotOutboxes {
  const { sql: db, publisher, log, clock } = deps;
  return {
    budgets: createSnapshotOutbox({
      name: 'budgets',
      db,
      revisionsTable: budgetTables.revisions,
      log,
      async send(trx, userId, revision) {
        const budgets = await listBudgets(trx, userId);
        await publisher.publish(topics.refBudgets, {
          ...envelope('budgets', userId, revision, clock().toISOString()),
          type: eventTypes.budgetsSnapshot,
          payload: { userId, revision, budgets },
        });
      },
    }),
    categoryRules: createSnapshotOutbox({
      name: 'category rules',
      db,
      revisionsTable: categoryRuleTables.revisions,
      log,
      async send(trx, userId, revision) {
        const { rules, categories } = await readCategoryRuleSet(trx, userId, revision);
        await publisher.publish(topics.refCategoryRules, {
          ...envelope('category_rules', userId, revision, clock().toISOString()),
          type: eventTypes.categoryRulesSnapshot,
          payload: { userId, revision, rules, categories },
        });
      },
    }),
  };
}
