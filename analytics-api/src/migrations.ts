/**
 * analytics-api's SQL migrations: the embedded read model, budgets, the alert history, and the
 * users' categorization rules and custom categories, and which revision of each user's budgets
 * and rules was last published (and the lock its publishers take); documents and rollups keep the
 * merchant key since 0008.
 */
import type { MigrationSet } from '@spendstream/core/sql';
import { addMerchantKeyColumns, ensureAnalyticsTables } from './query/sql-tables.js';
import { budgetTables, createBudgetTables } from './features/budgets/budget-store.js';
import { createAlertTable } from './features/alerts/alert-store.js';
import { addDocumentVersionColumn } from './features/projection/sql-read-model-writer.js';
import {
  categoryRuleTables,
  createCategoryRuleTables,
} from './features/category-rules/category-rule-store.js';
import {
  addPublishedRevisionColumn,
  createSnapshotPublishLocks,
} from './domain/snapshot-outbox.js';

export const analyticsMigrations: MigrationSet = {
  scope: 'analytics-api',
  migrations: [
    { name: '0001-read-model', up: (knex) => ensureAnalyticsTables(knex) },
    { name: '0002-budgets', up: (knex) => createBudgetTables(knex) },
    { name: '0003-alerts', up: (knex) => createAlertTable(knex) },
    { name: '0004-document-version', up: (knex) => addDocumentVersionColumn(knex) },
    { name: '0005-category-rules', up: (knex) => createCategoryRuleTables(knex) },
    {
      name: '0006-snapshot-outbox',
      up: async (knex) => {
        await addPublishedRevisionColumn(knex, budgetTables.revisions);
        await addPublishedRevisionColumn(knex, categoryRuleTables.revisions);
      },
    },
    { name: '0007-snapshot-publish-locks', up: (knex) => createSnapshotPublishLocks(knex) },
    { name: '0008-merchant-key', up: (knex) => addMerchantKeyColumns(knex) },
  ],
};
