/**
 * The category ids the pipeline and analytics-api know (top level; subcategories are
 * `<top>.<child>` and come from the data), their labels, and the suggestion for a merchant typed in
 * the quick-add form: the category of the user's own last transaction at that merchant, else a
 * guess from words in the name, else none (the stream jobs then categorize it).
 */

/**
 * The pipeline's category tree: top-level ids and their subcategory (leaf) ids, unique across the
 * tree (analytics-api's `domain/categories.ts`, which equals stream-jobs' tree).
 */
export const categoryTree: readonly (readonly [string, readonly string[]])[] = [
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
];

/** Labels that are not the id with its first letter raised. */
const labels: Record<string, string> = {
  food: 'Food & drink',
  fast_food: 'Fast food',
  home_garden: 'Home & garden',
  parking_tolls: 'Parking & tolls',
  electricity_gas: 'Electricity & gas',
  atm_fees: 'ATM fees',
};

/** Every id, parents first. */
export const categoryIds: readonly string[] = categoryTree.flatMap(([top, subs]) => [top, ...subs]);
export const topCategoryIds: readonly string[] = categoryTree.map(([top]) => top);

/** "food" -> "Food & drink", "fast_food" -> "Fast food", an older "food.coffee" -> "Coffee". */
export function categoryLabel(id: string | null | undefined): string {
  if (!id) return 'Uncategorized';
  const leaf = id.includes('.') ? id.slice(id.lastIndexOf('.') + 1) : id;
  const known = labels[leaf];
  if (known) return known;
  const words = leaf.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Words in a merchant's name that say what it sells; the first match wins. */
const keywordRules: readonly [RegExp, string][] = [
  [/\b(coffee|cafe|café|starbucks|espresso|bakery)\b/i, 'coffee'],
  [/\b(restaurant|pizza|burger|sushi|grill|bistro|kitchen|diner|mcdonald|kfc)\b/i, 'restaurants'],
  [
    /\b(market|grocer|grocery|supermarket|aldi|lidl|tesco|carrefour|whole ?foods|rewe)\b/i,
    'groceries',
  ],
  [/\b(uber|lyft|taxi)\b/i, 'rideshare'],
  [/\b(metro|bus|train|rail|transit)\b/i, 'public_transport'],
  [/\b(hotel|airbnb|airline|airways|flight|booking)\b/i, 'travel'],
  [/\b(netflix|spotify|disney|hulu|prime video)\b/i, 'streaming'],
  [/\b(pharmacy|doctor|clinic|dental|hospital)\b/i, 'health'],
  [/\b(cinema|theatre|theater|concert|steam|playstation)\b/i, 'entertainment'],
  [/\b(amazon|amzn|ikea|store|shop|mall|zara|h&m)\b/i, 'shopping'],
  [/\b(rent|landlord|mortgage)\b/i, 'housing'],
  [/\b(electric|energy|water|gas|internet|mobile|telecom)\b/i, 'utilities'],
  [/\b(salary|payroll|wage)\b/i, 'salary'],
];

/** A category guessed from the merchant's name alone, or undefined. */
export function guessCategory(merchant: string): string | undefined {
  for (const [pattern, category] of keywordRules) if (pattern.test(merchant)) return category;
  return undefined;
}
