/**
 * The tables of the users' categorization rules and custom categories, apart from the store so
 * that other features' transactions can check a custom category without importing the store
 * (which itself reads the budgets: `category-rule-store.ts`).
 */
import type { Knex } from 'knex';

export const categoryRuleTables = {
  rules: 'analytics_category_rules',
  categories: 'analytics_custom_categories',
  revisions: 'analytics_category_rule_revisions',
} as const;

/**
 * Inside another change's transaction (a budget naming custom categories): the ids among `ids`
 * that are not the user's custom categories as last committed. It first takes a shared lock on the
 * user's rule revision row, the row every change of their rules and categories bumps first, so a
 * deletion of one of those categories either committed before this read (and the id is reported
 * missing) or waits for this transaction's commit (and then sees what it wrote). The category rows
 * are read with a locking read too, which reads the latest committed rows on InnoDB whatever the
 * transaction's snapshot (SQLite runs one transaction at a time and ignores the lock clause).
 */
export async function missingCustomCategories(
  trx: Knex.Transaction,
  userId: string,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  await trx(categoryRuleTables.revisions).where({ user_id: userId }).forShare().select('user_id');
  const found = (await trx(categoryRuleTables.categories)
    .where({ user_id: userId })
    .whereIn('category_id', [...new Set(ids)])
    .forShare()
    .select('category_id')) as Array<{ category_id: string }>;
  const known = new Set(found.map((row) => row.category_id));
  return [...new Set(ids)].filter((id) => !known.has(id));
}
