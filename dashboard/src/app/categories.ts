/**
 * The category tree as analytics-api serves it (`GET /v1/categories`: ids, names, parents, the
 * user's custom categories), the labels it gives, and the suggestion for a merchant typed in the
 * quick-add form: the category of the user's own last transaction at that merchant, else a guess
 * from words in the name, else none (the stream jobs then categorize it).
 */

/** One category as `GET /v1/categories` lists it. */
export interface CategoryEntry {
  id: string;
  name: string;
  parentId: string | null;
  custom: boolean;
}

/** Top-level categories, each with its subcategories, in the order the API lists them. */
export interface CategoryTree {
  tops: readonly { id: string; children: readonly string[] }[];
  ids: ReadonlySet<string>;
  /** The API's list as it came (the Categories screen shows the whole tree, any depth). */
  entries: readonly CategoryEntry[];
}

/** The tree before (or without) the API's answer: no options, labels from the ids. */
export const emptyCategoryTree: CategoryTree = { tops: [], ids: new Set(), entries: [] };

/** Names of the loaded tree, for `categoryLabel` (one tree per signed-in page). */
let names = new Map<string, string>();

/**
 * Build the tree from the API's list (a parent comes before its children there; a custom category
 * under a subcategory, or under an unknown parent, is listed at the top level) and make its names
 * the labels.
 */
export function categoryTreeOf(entries: readonly CategoryEntry[]): CategoryTree {
  names = new Map(entries.map((entry) => [entry.id, entry.name]));
  const tops: { id: string; children: string[] }[] = [];
  const byId = new Map<string, { id: string; children: string[] }>();
  for (const entry of entries) {
    const parent = entry.parentId === null ? undefined : byId.get(entry.parentId);
    if (parent) parent.children.push(entry.id);
    else {
      const top = { id: entry.id, children: [] };
      tops.push(top);
      byId.set(entry.id, top);
    }
  }
  return { tops, ids: new Set(entries.map((entry) => entry.id)), entries };
}

/** The category's name from the loaded tree; else the id made readable ("fast_food" -> "Fast food"). */
export function categoryLabel(id: string | null | undefined): string {
  if (!id) return 'Uncategorized';
  // An older dotted subcategory id ("food.coffee") names its leaf.
  const leaf = id.includes('.') ? id.slice(id.lastIndexOf('.') + 1) : id;
  const known = names.get(leaf);
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
