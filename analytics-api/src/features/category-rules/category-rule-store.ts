/**
 * Where each user's categorization rules and custom categories live: SQL (MySQL or the embedded
 * SQLite), one row per rule and per custom category holding its JSON (amounts as decimal strings),
 * plus a per-user revision that grows with every change and numbers the `ref.category-rules`
 * snapshots. Rules and categories share the revision because one snapshot carries both.
 *
 * Budgets live in the same database, so the one check that spans both is made here, in the
 * change's transaction: a custom category still named by a budget's scope is not deleted (the
 * budget side: `missingCustomCategories` in `category-rule-tables.ts`).
 */
import type { Knex } from 'knex';
import { withTransaction } from '@spendstream/core/sql';
import { bumpRevision } from '../../domain/snapshot-outbox.js';
import { ConflictError, invariant } from '@spendstream/core/errors';
import {
  categoryRuleSchema,
  customCategorySchema,
  type CategoryRule,
} from '@spendstream/core/events';
import { parseJson, stringifyJson } from '@spendstream/core/json';
import type { CustomCategory } from '../categories/custom-categories.js';
import { budgetsNamingCategory } from '../budgets/budget-store.js';
import { categoryRuleTables } from './category-rule-tables.js';

export { categoryRuleTables };

/** Most ids an error message lists (the rules, categories or budgets still using a category). */
const idsInMessageMax = 5;

/** `a, b, c` or, beyond `idsInMessageMax`, `a, b, c, d, e and 3 more`. */
export function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, idsInMessageMax).join(', ');
  return ids.length > idsInMessageMax ? `${shown} and ${ids.length - idsInMessageMax} more` : shown;
}

/** A user's whole set at one revision (0: the user never changed anything). */
export interface CategoryRuleSet {
  revision: number;
  /** Oldest first. */
  rules: CategoryRule[];
  /** Oldest first. */
  categories: CustomCategory[];
}

/** The one edit a change makes to a user's set. */
export type CategoryRuleEdit =
  | { kind: 'put_rule'; rule: CategoryRule }
  | { kind: 'delete_rule'; ruleId: string }
  /** `createdAt` is used only when the category is new. */
  | { kind: 'put_category'; category: CustomCategory; createdAt: string }
  | { kind: 'delete_category'; categoryId: string };

export interface CategoryRuleStore {
  read(userId: string): Promise<CategoryRuleSet>;
  /**
   * One change in one transaction: the user's revision is bumped first (which holds their set
   * against concurrent changes until the commit), then `plan` sees the set as it was and names the
   * edit (or throws, which rolls everything back), the edit is applied, and the set after it is
   * returned with the new revision. Deleting a custom category that a budget's scope still names
   * throws a `ConflictError` (field `id`) naming those budgets.
   */
  change(
    userId: string,
    plan: (current: CategoryRuleSet) => CategoryRuleEdit,
  ): Promise<CategoryRuleSet>;
}

/** Create the rule, custom category and revision tables (a migration of analytics-api). */
export async function createCategoryRuleTables(db: Knex): Promise<void> {
  await db.schema.createTable(categoryRuleTables.rules, (table) => {
    table.string('rule_id', 128).primary();
    table.string('user_id', 128).notNullable();
    table.text('body').notNullable();
    table.string('created_at', 32).notNullable();
    table.index(['user_id']);
  });
  await db.schema.createTable(categoryRuleTables.categories, (table) => {
    // Custom category ids are the user's own: two users may both have `pets`.
    table.string('user_id', 128).notNullable();
    table.string('category_id', 64).notNullable();
    table.text('body').notNullable();
    table.string('created_at', 32).notNullable();
    table.primary(['user_id', 'category_id']);
  });
  await db.schema.createTable(categoryRuleTables.revisions, (table) => {
    table.string('user_id', 128).primary();
    table.integer('revision').notNullable();
  });
}

type BodyRow = { body: string };

/** A user's set, labelled `revision` (inside a transaction when given one). */
export async function readCategoryRuleSet(
  db: Knex | Knex.Transaction,
  userId: string,
  revision: number,
): Promise<CategoryRuleSet> {
  // One after the other: a transaction is one connection.
  const rules = (await db(categoryRuleTables.rules)
    .where({ user_id: userId })
    .orderBy('created_at')
    .orderBy('rule_id')) as BodyRow[];
  const categories = (await db(categoryRuleTables.categories)
    .where({ user_id: userId })
    .orderBy('created_at')
    .orderBy('category_id')) as BodyRow[];
  return {
    revision,
    rules: rules.map((row) => categoryRuleSchema.parse(parseJson(row.body))),
    categories: categories.map((row) => customCategorySchema.parse(parseJson(row.body))),
  };
}

async function revisionOf(db: Knex | Knex.Transaction, userId: string): Promise<number> {
  const row = (await db(categoryRuleTables.revisions).where({ user_id: userId }).first()) as
    { revision: number | bigint } | undefined;
  return row ? Number(row.revision) : 0;
}

type RowKey = Record<string, string>;

/** Replace a row's body, or insert the row with `createdAt` when there is none. */
async function upsert(
  trx: Knex.Transaction,
  table: string,
  key: RowKey,
  body: string,
  createdAt: string,
) {
  if ((await trx(table).where(key).update({ body })) === 0) {
    await trx(table).insert({ ...key, body, created_at: createdAt });
  }
}

/** Delete the row `plan` found in the set it read (under the revision lock, so it is there). */
async function removeRow(trx: Knex.Transaction, table: string, key: RowKey) {
  const deleted = await trx(table).where(key).delete();
  invariant(deleted === 1, `the planned row ${JSON.stringify(key)} of ${table} exists`);
}

/**
 * A budget counts nothing for a category that no longer exists, so one still named by a budget is
 * not deleted. This transaction holds the user's rule revision row (bumped first), which a budget
 * save naming custom categories locks before it checks them (`missingCustomCategories`), and the
 * budgets are read with a locking read: a budget saved before this point is seen, one saved after
 * it waits for this commit and then finds the category gone.
 */
async function refuseIfBudgetsName(trx: Knex.Transaction, userId: string, categoryId: string) {
  const budgets = await budgetsNamingCategory(trx, userId, categoryId);
  if (budgets.length === 0) return;
  const named = budgets.map((budget) => `${budget.budgetId} (${JSON.stringify(budget.name)})`);
  throw new ConflictError(
    `category ${categoryId} is in the scope of ${budgets.length} budget(s): ${listIds(named)}; change their scope or delete them first`,
    { field: 'id' },
  );
}

async function applyEdit(trx: Knex.Transaction, userId: string, edit: CategoryRuleEdit) {
  const { rules, categories } = categoryRuleTables;
  switch (edit.kind) {
    case 'put_rule': {
      const body = stringifyJson(categoryRuleSchema.encode(edit.rule));
      const key = { user_id: userId, rule_id: edit.rule.ruleId };
      return upsert(trx, rules, key, body, edit.rule.createdAt);
    }
    case 'delete_rule':
      return removeRow(trx, rules, { user_id: userId, rule_id: edit.ruleId });
    case 'put_category': {
      const body = stringifyJson(customCategorySchema.encode(edit.category));
      const key = { user_id: userId, category_id: edit.category.id };
      return upsert(trx, categories, key, body, edit.createdAt);
    }
    case 'delete_category': {
      await refuseIfBudgetsName(trx, userId, edit.categoryId);
      return removeRow(trx, categories, { user_id: userId, category_id: edit.categoryId });
    }
  }
}

/** The SQL store. */
export function createSqlCategoryRuleStore(db: Knex): CategoryRuleStore {
  return {
    async read(userId) {
      // One transaction, so the rows and the revision are of the same moment.
      return withTransaction(db, async (trx) =>
        readCategoryRuleSet(trx, userId, await revisionOf(trx, userId)),
      );
    },
    async change(userId, plan) {
      return withTransaction(db, async (trx) => {
        // Bump first, so `plan` decides on the set as it really is (`bumpRevision`).
        const revision = await bumpRevision(trx, categoryRuleTables.revisions, userId);
        const edit = plan(await readCategoryRuleSet(trx, userId, revision - 1));
        await applyEdit(trx, userId, edit);
        return readCategoryRuleSet(trx, userId, revision);
      });
    },
  };
}
