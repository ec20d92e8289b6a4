/**
 * The category ids the pipeline and analytics-api know (top level; subcategories are
 * `<top>.<child>` and come from the data), their labels, and the suggestion for a merchant typed in
 * the quick-add form: the category of the user's own last transaction at that merchant, else a
 * guess from words in the name, else none (the stream jobs then categorize it).
 */

export const categoryLabels: Record<string, string> = {
  food: 'Food & drink',
  groceries: 'Groceries',
  restaurants: 'Restaurants',
  coffee: 'Coffee',
  shopping: 'Shopping',
  transport: 'Transport',
  housing: 'Housing',
  utilities: 'Utilities',
  entertainment: 'Entertainment',
  health: 'Health',
  travel: 'Travel',
  services: 'Services',
  subscriptions: 'Subscriptions',
  insurance: 'Insurance',
  education: 'Education',
  personal_care: 'Personal care',
  fees: 'Fees',
  cash: 'Cash',
  income: 'Income',
  transfers: 'Transfers',
  gifts: 'Gifts',
  taxes: 'Taxes',
  uncategorized: 'Uncategorized',
};

export const categoryIds = Object.keys(categoryLabels);

/** "food.coffee" -> "Coffee", "food" -> "Food & drink", "pets" -> "Pets". */
export function categoryLabel(id: string | null | undefined): string {
  if (!id) return 'Uncategorized';
  const leaf = id.includes('.') ? id.slice(id.indexOf('.') + 1) : id;
  const known = id.includes('.') ? undefined : categoryLabels[id];
  if (known) return known;
  const words = leaf.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Words in a merchant's name that say what it sells; the first match wins. */
const keywordRules: readonly [RegExp, string][] = [
  [/\b(coffee|cafe|café|starbucks|espresso|bakery)\b/i, 'food'],
  [/\b(restaurant|pizza|burger|sushi|grill|bistro|kitchen|diner|mcdonald|kfc)\b/i, 'food'],
  [
    /\b(market|grocer|grocery|supermarket|aldi|lidl|tesco|carrefour|whole ?foods|rewe)\b/i,
    'groceries',
  ],
  [/\b(uber|lyft|taxi|metro|bus|train|rail|fuel|shell|petrol|parking|transit)\b/i, 'transport'],
  [/\b(hotel|airbnb|airline|airways|flight|booking)\b/i, 'travel'],
  [/\b(netflix|spotify|disney|hulu|prime video|subscription)\b/i, 'subscriptions'],
  [/\b(pharmacy|doctor|clinic|dental|hospital)\b/i, 'health'],
  [/\b(cinema|theatre|theater|concert|steam|playstation)\b/i, 'entertainment'],
  [/\b(amazon|amzn|ikea|store|shop|mall|zara|h&m)\b/i, 'shopping'],
  [/\b(rent|landlord|mortgage)\b/i, 'housing'],
  [/\b(electric|energy|water|gas|internet|mobile|telecom)\b/i, 'utilities'],
  [/\b(salary|payroll|wage)\b/i, 'income'],
];

/** A category guessed from the merchant's name alone, or undefined. */
export function guessCategory(merchant: string): string | undefined {
  for (const [pattern, category] of keywordRules) if (pattern.test(merchant)) return category;
  return undefined;
}
