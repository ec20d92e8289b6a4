/**
 * The built-in category tree: top-level categories with subcategories. Ids are unique across the
 * tree and follow the shared `categoryIdSchema` (lower case, no `.`), so they are safe as MongoDB
 * values and field names; a category's place in the tree travels as its path (`['food',
 * 'groceries']`). Users may add custom categories under any of these (ref.category-rules).
 */

export interface Category {
  id: string;
  name: string;
  /** `undefined` for a top-level category. */
  parentId?: string | undefined;
}

/** The category given when nothing else matches. */
export const uncategorizedId = 'uncategorized';
/** Deepest path we follow through custom categories before declaring a cycle. */
export const categoryDepthMax = 5;

const tree: Array<[string, string, Array<[string, string]>]> = [
  [
    'food',
    'Food & Drink',
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
  [uncategorizedId, 'Uncategorized', []],
];

function buildCategories(): Map<string, Category> {
  const categories = new Map<string, Category>();
  for (const [parentId, name, children] of tree) {
    categories.set(parentId, { id: parentId, name });
    for (const [id, childName] of children) {
      if (categories.has(id)) throw new Error(`category id ${id} is not unique`);
      categories.set(id, { id, name: childName, parentId });
    }
  }
  return categories;
}

/** Every built-in category by id, parents and subcategories alike. */
export const builtInCategories: ReadonlyMap<string, Category> = buildCategories();

/** A category and its place in the tree, as documents and events carry it. */
export interface ResolvedCategory {
  id: string;
  name: string;
  /** Ids from the root to this category, inclusive. */
  path: string[];
}

/**
 * Resolves `id` against the built-in tree and a user's custom categories (custom ones may hang under
 * built-in ones). Unknown ids and cyclic custom trees resolve to `null`.
 */
export function resolveCategory(
  id: string,
  custom: ReadonlyMap<string, Category> = new Map(),
): ResolvedCategory | null {
  const lookup = (key: string) => custom.get(key) ?? builtInCategories.get(key);
  const leaf = lookup(id);
  if (!leaf) return null;
  const path = [leaf.id];
  let current = leaf;
  while (current.parentId !== undefined) {
    const parent = lookup(current.parentId);
    if (!parent || path.length >= categoryDepthMax || path.includes(parent.id)) return null;
    path.unshift(parent.id);
    current = parent;
  }
  return { id: leaf.id, name: leaf.name, path };
}
