/**
 * Where budgets live: SQL (MySQL or the embedded SQLite), one row per budget holding the core
 * `Budget` as JSON (amounts as decimal strings), plus a per-user revision that grows with every
 * change and numbers the `ref.budgets` snapshots.
 */
import type { Knex } from 'knex';
import { withTransaction } from '@spendstream/core/sql';
import { budgetSchema, type Budget } from '@spendstream/core/events';
import { parseJson, stringifyJson } from '@spendstream/core/json';

export const budgetTables = {
  budgets: 'analytics_budgets',
  revisions: 'analytics_budget_revisions',
} as const;

export interface BudgetChange {
  /** The user's budgets after the change, and the revision it got. */
  budgets: Budget[];
  revision: number;
}

export interface BudgetStore {
  list(userId: string): Promise<Budget[]>;
  get(userId: string, budgetId: string): Promise<Budget | null>;
  /** Insert or replace one budget and bump the user's revision, atomically. */
  save(userId: string, budget: Budget): Promise<BudgetChange>;
  /** Delete one budget; null when the user has no such budget. */
  remove(userId: string, budgetId: string): Promise<BudgetChange | null>;
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

/** The SQL budget store. */
export function createSqlBudgetStore(db: Knex): BudgetStore {
  async function bumpAndList(trx: Knex.Transaction, userId: string): Promise<BudgetChange> {
    const row = (await trx(budgetTables.revisions).where({ user_id: userId }).first()) as
      { revision: number | bigint } | undefined;
    const revision = row ? Number(row.revision) + 1 : 1;
    if (row) await trx(budgetTables.revisions).where({ user_id: userId }).update({ revision });
    else await trx(budgetTables.revisions).insert({ user_id: userId, revision });
    const rows = (await trx(budgetTables.budgets)
      .where({ user_id: userId })
      .orderBy('created_at')
      .orderBy('budget_id')) as Array<{ body: string }>;
    return { budgets: rows.map((r) => decode(r.body)), revision };
  }

  return {
    async list(userId) {
      const rows = (await db(budgetTables.budgets)
        .where({ user_id: userId })
        .orderBy('created_at')
        .orderBy('budget_id')) as Array<{ body: string }>;
      return rows.map((row) => decode(row.body));
    },
    async get(userId, budgetId) {
      const row = (await db(budgetTables.budgets)
        .where({ user_id: userId, budget_id: budgetId })
        .first()) as { body: string } | undefined;
      return row ? decode(row.body) : null;
    },
    async save(userId, budget) {
      return withTransaction(db, async (trx) => {
        const body = stringifyJson(budgetSchema.encode(budget));
        const updated = await trx(budgetTables.budgets)
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
        return bumpAndList(trx, userId);
      });
    },
    async remove(userId, budgetId) {
      return withTransaction(db, async (trx) => {
        const deleted = await trx(budgetTables.budgets)
          .where({ user_id: userId, budget_id: budgetId })
          .delete();
        if (deleted === 0) return null;
        return bumpAndList(trx, userId);
      });
    },
  };
}
