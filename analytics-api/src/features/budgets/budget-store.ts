/**
 * Where budgets live: SQL (MySQL or the embedded SQLite), one row per budget holding the core
 * `Budget` as JSON (amounts as decimal strings), plus a per-user revision that grows with every
 * change and numbers the `ref.budgets` snapshots. The custom categories a budget names are checked
 * in its save's transaction against the user's custom categories in the same database (and their
 * deletion against the budgets, `category-rule-store.ts`), so neither side can slip past the other.
 */
import type { Knex } from 'knex';
import { withTransaction } from '@spendstream/core/sql';
import { ConflictError, ValidationError } from '@spendstream/core/errors';
import { bumpRevision } from '../../domain/snapshot-outbox.js';
import { missingCustomCategories } from '../category-rules/category-rule-tables.js';
import { budgetSchema, type Budget } from '@spendstream/core/events';
import { parseJson, stringifyJson } from '@spendstream/core/json';

export const budgetTables = {
  budgets: 'analytics_budgets',
  revisions: 'analytics_budget_revisions',
} as const;

/**
 * What a save may do: `create` only adds a new budget, refused with a `ConflictError` when the user
 * has `budgetsMax` already; `replace` only changes one that is still there and still `expected`
 * (the budget the change was made from): null when it is gone (a change racing a deletion must
 * not bring the budget back), a `BudgetChangedError` when another change came first (its fields
 * would be lost); without a mode, either.
 */
export type BudgetSaveMode =
  { kind: 'create'; budgetsMax: number } | { kind: 'replace'; expected: Budget };

/** The budget a change was made from is no longer the stored one: read it again and reapply. */
export class BudgetChangedError extends ConflictError {
  constructor(budgetId: string) {
    super(`budget ${budgetId} was changed by another request meanwhile; try again`, {
      field: 'id',
    });
  }
}

/** One budget as compared: its canonical stored text. */
const canonical = (budget: Budget) => stringifyJson(budgetSchema.encode(budget));

export interface BudgetStore {
  list(userId: string): Promise<Budget[]>;
  get(userId: string, budgetId: string): Promise<Budget | null>;
  /**
   * Insert or replace one budget (as `mode` allows) and bump the user's revision, atomically; the
   * new revision (the snapshot outbox reads the set it publishes itself), or null when `replace`
   * found no such budget. `customCategoryIds`, the ids of the scope that are not built-in, must be
   * the user's custom categories when the transaction commits: one that is not is a
   * `ValidationError` (field `scope.categories`) and nothing changes. The limit and the existence
   * are checked after the revision bump, which queues the user's changes, so concurrent saves
   * cannot pass the limit together.
   */
  save(
    userId: string,
    budget: Budget,
    customCategoryIds?: readonly string[],
    mode?: BudgetSaveMode,
  ): Promise<number | null>;
  /** Delete one budget; the new revision, or null when the user has no such budget. */
  remove(userId: string, budgetId: string): Promise<number | null>;
}

/** Create the budget tables (a migration of analytics-api). */
export async function createBudgetTables(db: Knex): Promise<void> {
  await db.schema.createTable(budgetTables.budgets, (table) => {
    table.string('budget_id', 128).primary();
    table.string('user_id', 128).notNullable();
    table.text('body').notNullable();
    table.string('created_at', 32).notNullable();
    table.index(['user_id']);
  });
  await db.schema.createTable(budgetTables.revisions, (table) => {
    table.string('user_id', 128).primary();
    table.integer('revision').notNullable();
  });
}

function decode(body: string): Budget {
  return budgetSchema.parse(parseJson(body));
}

/** A user's budgets, oldest first (inside a transaction when given one). */
export async function listBudgets(db: Knex | Knex.Transaction, userId: string): Promise<Budget[]> {
  const rows = (await db(budgetTables.budgets)
    .where({ user_id: userId })
    .orderBy('created_at')
    .orderBy('budget_id')) as Array<{ body: string }>;
  return rows.map((row) => decode(row.body));
}

/**
 * The user's budgets whose scope names `categoryId`, read with a locking read inside a change of
 * the user's categories (which holds their rule revision row: `missingCustomCategories`), so a
 * budget committed before it is seen and one saved after it waits for its commit.
 */
export async function budgetsNamingCategory(
  trx: Knex.Transaction,
  userId: string,
  categoryId: string,
): Promise<Budget[]> {
  const rows = (await trx(budgetTables.budgets)
    .where({ user_id: userId })
    .orderBy('created_at')
    .orderBy('budget_id')
    .forShare()
    .select('body')) as Array<{ body: string }>;
  return rows
    .map((row) => decode(row.body))
    .filter((budget) => budget.scope.categories.includes(categoryId));
}

/** The SQL budget store. */
export function createSqlBudgetStore(db: Knex): BudgetStore {
  /**
   * One change of a user's budgets in one transaction: the revision is bumped first, which queues
   * other changes of this user behind this one (`bumpRevision`), then `edit` runs; null when it
   * found nothing to change (and the bump is rolled back), else the new revision.
   */
  async function change(
    userId: string,
    edit: (trx: Knex.Transaction) => Promise<boolean>,
  ): Promise<number | null> {
    const nothing = new Error('nothing to change');
    try {
      return await withTransaction(db, async (trx) => {
        const revision = await bumpRevision(trx, budgetTables.revisions, userId);
        if (!(await edit(trx))) throw nothing;
        return revision;
      });
    } catch (error) {
      if (error === nothing) return null;
      throw error;
    }
  }

  return {
    list: (userId) => listBudgets(db, userId),
    async get(userId, budgetId) {
      const row = (await db(budgetTables.budgets)
        .where({ user_id: userId, budget_id: budgetId })
        .first()) as { body: string } | undefined;
      return row ? decode(row.body) : null;
    },
    async save(userId, budget, customCategoryIds = [], mode) {
      return change(userId, async (trx) => {
        // Before the budget row is written: the category check takes its locks first
        // (`missingCustomCategories`), so a concurrent deletion cannot wait on this row.
        const missing = await missingCustomCategories(trx, userId, customCategoryIds);
        if (missing.length > 0) {
          throw new ValidationError(
            `unknown category ${JSON.stringify(missing[0])}: not a built-in category nor one of your custom categories`,
            { field: 'scope.categories' },
          );
        }
        if (mode?.kind === 'create') {
          const [counted] = (await trx(budgetTables.budgets)
            .where({ user_id: userId })
            .count({ count: '*' })) as Array<{ count: number | string }>;
          if (Number(counted?.count ?? 0) >= mode.budgetsMax)
            throw new ConflictError(`at most ${mode.budgetsMax} budgets per user`);
        }
        if (mode?.kind === 'replace') {
          const stored = (await trx(budgetTables.budgets)
            .where({ user_id: userId, budget_id: budget.budgetId })
            .first('body')) as { body: string } | undefined;
          if (!stored) return false;
          if (canonical(decode(stored.body)) !== canonical(mode.expected))
            throw new BudgetChangedError(budget.budgetId);
        }
        const body = canonical(budget);
        const updated =
          mode?.kind === 'create'
            ? 0
            : await trx(budgetTables.budgets)
                .where({ user_id: userId, budget_id: budget.budgetId })
                .update({ body });
        if (updated === 0) {
          await trx(budgetTables.budgets).insert({
            budget_id: budget.budgetId,
            user_id: userId,
            body,
            created_at: budget.createdAt,
          });
        }
        return true;
      });
    },
    remove: (userId, budgetId) =>
      change(userId, async (trx) => {
        const deleted = await trx(budgetTables.budgets)
          .where({ user_id: userId, budget_id: budgetId })
          .delete();
        return deleted > 0;
      }),
  };
}
