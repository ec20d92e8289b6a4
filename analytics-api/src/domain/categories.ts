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
  /** Every category, each top-level one followed by its subcategories, in the tree's order. */
  entries(): readonly CategoryEntry[];
  /** The parent of a subcategory; `undefined` for a top-level or unknown id. */
  parentOf(id: string): string | undefined;
  /** The subcategories of a top-level id (empty for a leaf or unknown id). */
  childrenOf(id: string): readonly string[];
}

/** A node of the tree: a top-level id with its name, and its subcategories (id, name). */
export type CategoryTreeNode = readonly [
  id: string,
  name: string,
  children: ReadonlyArray<readonly [id: string, name: string]>,
];

/**
 * The built-in tree: each top-level id with its name and its subcategories (stream-jobs'
 * `categories.ts`, with the same ids and names; "Food & drink" is in sentence case like the rest).
 */
export const builtInCategoryTree: readonly CategoryTreeNode[] = Object.freeze([
  [
    'food',
    'Food & drink',
    [
      ['groceries', 'Groceries'],
      ['restaurants', 'Restaurants'],
      ['fast_food', 'Fast food'],
      ['coffee', 'Coffee'],
      ['food_delivery', 'Food delivery'],
      ['bars', 'Bars'],
    ],
  ],
  [
    'shopping',
    'Shopping',
    [
      ['online_shopping', 'Online shopping'],
      ['clothing', 'Clothing'],
      ['electronics', 'Electronics'],
      ['home_garden', 'Home & garden'],
      ['department_stores', 'Department stores'],
      ['pharmacy', 'Pharmacy & beauty'],
      ['books', 'Books'],
      ['sporting_goods', 'Sporting goods'],
    ],
  ],
  [
    'transport',
    'Transport',
    [
      ['fuel', 'Fuel'],
      ['rideshare', 'Rideshare & taxi'],
      ['public_transport', 'Public transport'],
      ['parking_tolls', 'Parking & tolls'],
      ['airlines', 'Airlines'],
      ['car_rental', 'Car rental'],
    ],
  ],
  [
    'housing',
    'Housing',
    [
      ['rent', 'Rent'],
      ['mortgage', 'Mortgage'],
      ['home_maintenance', 'Maintenance'],
    ],
  ],
  [
    'utilities',
    'Utilities',
    [
      ['electricity_gas', 'Electricity & gas'],
      ['water', 'Water'],
      ['internet', 'Internet'],
      ['phone', 'Phone'],
    ],
  ],
  [
    'entertainment',
    'Entertainment',
    [
      ['streaming', 'Streaming'],
      ['music', 'Music'],
      ['games', 'Games'],
      ['events', 'Events & tickets'],
      ['cinema', 'Cinema'],
    ],
  ],
  [
    'health',
    'Health',
    [
      ['doctor', 'Doctor'],
      ['fitness', 'Fitness'],
      ['health_insurance', 'Health insurance'],
    ],
  ],
  [
    'travel',
    'Travel',
    [
      ['lodging', 'Lodging'],
      ['travel_agencies', 'Travel agencies'],
    ],
  ],
  [
    'services',
    'Services',
    [
      ['software', 'Software & cloud'],
      ['subscriptions', 'Subscriptions'],
      ['insurance', 'Insurance'],
      ['education', 'Education'],
      ['shipping', 'Shipping'],
    ],
  ],
  [
    'fees',
    'Fees & charges',
    [
      ['bank_fees', 'Bank fees'],
      ['atm_fees', 'ATM fees'],
      ['interest_charged', 'Interest charged'],
    ],
  ],
  ['cash', 'Cash', [['cash_withdrawal', 'Cash withdrawal']]],
  [
    'income',
    'Income',
    [
      ['salary', 'Salary'],
      ['refunds', 'Refunds'],
      ['interest_earned', 'Interest earned'],
      ['other_income', 'Other income'],
    ],
  ],
  [
    'transfers',
    'Transfers',
    [
      ['own_transfers', 'Between own wallets'],
      ['people_transfers', 'To and from people'],
    ],
  ],
  [
    'gifts',
    'Gifts & donations',
    [
      ['charity', 'Charity'],
      ['presents', 'Presents'],
    ],
  ],
  ['taxes', 'Taxes', [['government', 'Government']]],
  ['uncategorized', 'Uncategorized', []],
]);

/** One category as the API lists it. */
export interface CategoryEntry {
  id: string;
  name: string;
  /** `null` for a top-level category. */
  parentId: string | null;
}

/**
 * The catalog of a tree (the built-in one by default). `extra` adds top-level ids without children
 * (named by their id). A duplicate id is a programming error: ids must be unique across the tree.
 */
export function createDefaultCategoryCatalog(
  extra: readonly string[] = [],
  tree: readonly CategoryTreeNode[] = builtInCategoryTree,
): CategoryCatalog {
  const parents = new Map<string, string | undefined>();
  const children = new Map<string, readonly string[]>();
  const entries: CategoryEntry[] = [];
  const add = (id: string, name: string, parent: string | undefined) => {
    if (parents.has(id)) throw new Error(`category id ${id} is not unique in the tree`);
    parents.set(id, parent);
    entries.push({ id, name, parentId: parent ?? null });
  };
  for (const [top, name, subs] of [...tree, ...extra.map((id) => [id, id, []] as const)]) {
    add(top, name, undefined);
    children.set(
      top,
      subs.map(([sub]) => sub),
    );
    for (const [sub, subName] of subs) add(sub, subName, top);
  }
  Object.freeze(entries);
  return {
    has: (id) => parents.has(id),
    entries: () => entries,
    parentOf: (id) => parents.get(id),
    childrenOf: (id) => children.get(id) ?? [],
  };
}
