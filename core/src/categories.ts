/**
 * The built-in category tree, shared by stream-jobs (categorizing) and analytics-api (filters,
 * budgets, `GET /v1/categories`): top-level categories with their subcategories. Ids are unique
 * across the tree and follow `categoryIdSchema` (lower case, no `.`), so they are safe as MongoDB
 * values and field names and travel unchanged in events. Users add custom categories under any of
 * these through `ref.category-rules`.
 */

/** A node of the tree: a top-level id with its name, and its subcategories (id, name). */
export type CategoryTreeNode = readonly [
  id: string,
  name: string,
  children: ReadonlyArray<readonly [id: string, name: string]>,
];

/** The category given when nothing else matches. */
export const uncategorizedId = 'uncategorized';

/** Each top-level id with its name and its subcategories, in display order. */
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
  [uncategorizedId, 'Uncategorized', []],
]);
