/**
 * Which category ids analytics accepts in filters and budgets, so a typo is a 400 instead of an
 * empty answer. Top-level ids are a fixed list (stream-jobs' tree and the generator's categories);
 * a subcategory is `<top>.<child>`. Injectable, because the category tree belongs in core and
 * custom categories arrive on `ref.category-rules`.
 */

export interface CategoryCatalog {
  has(id: string): boolean;
}

/** Top-level category ids known to the pipeline. */
export const topLevelCategoryIds: readonly string[] = Object.freeze([
  'food',
  'groceries',
  'restaurants',
  'coffee',
  'shopping',
  'transport',
  'housing',
  'utilities',
  'entertainment',
  'health',
  'travel',
  'services',
  'subscriptions',
  'insurance',
  'education',
  'personal_care',
  'fees',
  'cash',
  'income',
  'transfers',
  'gifts',
  'taxes',
  'uncategorized',
]);

const childPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The default catalog: known top-level ids and well-formed subcategories of them. */
export function createDefaultCategoryCatalog(extra: readonly string[] = []): CategoryCatalog {
  const tops = new Set([...topLevelCategoryIds, ...extra]);
  return {
    has(id) {
      const [top, child, ...rest] = id.split('.');
      if (top === undefined || !tops.has(top) || rest.length > 0) return false;
      return child === undefined || childPattern.test(child);
    },
  };
}
