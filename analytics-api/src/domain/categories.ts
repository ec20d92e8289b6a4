/**
 * Which category ids analytics accepts in filters, budgets and recategorizations, so a typo is a 400
 * instead of an empty answer, and where each sits in the tree (drill-down from a parent to its
 * children). Ids are the **leaf ids** of the pipeline's tree: unique across the tree and valid for
 * core's `categoryIdSchema` (lower case, no `.`), so a subcategory id travels unchanged in
 * `transactions.corrections` and `ref.budgets`. The tree equals stream-jobs' built-in one (a test
 * compares them); custom categories will arrive on `ref.category-rules`, so the catalog is
 * injectable.
 */

export interface CategoryCatalog {
  has(id: string): boolean;
  /** The parent of a subcategory; `undefined` for a top-level or unknown id. */
  parentOf(id: string): string | undefined;
  /** The subcategories of a top-level id (empty for a leaf or unknown id). */
  childrenOf(id: string): readonly string[];
}

/** The built-in tree: each top-level id with its subcategory ids (stream-jobs' `categories.ts`). */
export const builtInCategoryTree: ReadonlyArray<readonly [string, readonly string[]]> =
  Object.freeze([
    ['food', ['groceries', 'restaurants', 'fast_food', 'coffee', 'food_delivery', 'bars']],
    [
      'shopping',
      [
        'online_shopping',
        'clothing',
        'electronics',
        'home_garden',
        'department_stores',
        'pharmacy',
        'books',
        'sporting_goods',
      ],
    ],
    [
      'transport',
      ['fuel', 'rideshare', 'public_transport', 'parking_tolls', 'airlines', 'car_rental'],
    ],
    ['housing', ['rent', 'mortgage', 'home_maintenance']],
    ['utilities', ['electricity_gas', 'water', 'internet', 'phone']],
    ['entertainment', ['streaming', 'music', 'games', 'events', 'cinema']],
    ['health', ['doctor', 'fitness', 'health_insurance']],
    ['travel', ['lodging', 'travel_agencies']],
    ['services', ['software', 'subscriptions', 'insurance', 'education', 'shipping']],
    ['fees', ['bank_fees', 'atm_fees', 'interest_charged']],
    ['cash', ['cash_withdrawal']],
    ['income', ['salary', 'refunds', 'interest_earned', 'other_income']],
    ['transfers', ['own_transfers', 'people_transfers']],
    ['gifts', ['charity', 'presents']],
    ['taxes', ['government']],
    ['uncategorized', []],
  ]);

/**
 * The catalog of a tree (the built-in one by default). `extra` adds top-level ids without children.
 * A duplicate id is a programming error: ids must be unique across the tree.
 */
export function createDefaultCategoryCatalog(
  extra: readonly string[] = [],
  tree: ReadonlyArray<readonly [string, readonly string[]]> = builtInCategoryTree,
): CategoryCatalog {
  const parents = new Map<string, string | undefined>();
  const children = new Map<string, readonly string[]>();
  const add = (id: string, parent: string | undefined) => {
    if (parents.has(id)) throw new Error(`category id ${id} is not unique in the tree`);
    parents.set(id, parent);
  };
  for (const [top, subs] of [...tree, ...extra.map((id) => [id, []] as const)]) {
    add(top, undefined);
    children.set(top, subs);
    for (const sub of subs) add(sub, top);
  }
  return {
    has: (id) => parents.has(id),
    parentOf: (id) => parents.get(id),
    childrenOf: (id) => children.get(id) ?? [],
  };
}
