/**
 * Categorization: which category a transaction gets, and why. The order of precedence, strongest
 * first (each level is tested in categorize.test.ts):
 *
 * 1. the user recategorized this very transaction (source `correction`);
 * 2. the source sent a category the user or app chose (source `user`);
 * 3. the user's own rules, lowest `priority` first (source `rule`, with the rule id);
 * 4. the user's past corrections for this merchant (source `correction`);
 * 5. the merchant dictionary (source `merchant`);
 * 6. the MCC, then the bank's own category label, then the kind of movement (sources `mcc`, `bank`,
 *    `default`);
 * 7. keyword heuristics on the merchant and description (source `default`, reason `keyword`);
 * 8. uncategorized (source `default`).
 *
 * A category id that does not resolve (a rule pointing at a deleted custom category) is skipped and
 * the next level decides, so a stale rule never produces a dangling id.
 */
import type { CategoryRule } from '@spendstream/core/events/reference';
import type { RawTransactionV1, CategoryAssignment } from '@spendstream/core/events/transactions';
import {
  builtInCategories,
  resolveCategory,
  uncategorizedId,
  type Category,
} from './categories.js';

/** Why the category was chosen: finer than the event's `source` (keyword vs. nothing matched). */
export const categoryReasons = [
  'transaction_correction',
  'source_category',
  'user_rule',
  'merchant_correction',
  'merchant_dictionary',
  'mcc',
  'bank_category',
  'kind',
  'keyword',
  'uncategorized',
] as const;
export type CategoryReason = (typeof categoryReasons)[number];

/** What the categorizer knows about the user. */
export interface CategorizationContext {
  /** The category the user gave this transaction through a recategorization, if any. */
  transactionOverride?: string | undefined;
  /** The user's rules (any order; sorted here by priority, then rule id for a stable tie-break). */
  rules: readonly CategoryRule[];
  /** The user's latest correction per merchant key. */
  merchantCorrections: ReadonlyMap<string, string>;
  /** The user's custom categories. */
  customCategories: ReadonlyMap<string, Category>;
}

/** The transaction fields categorization looks at, plus the recognized merchant. */
export type CategorizableTransaction = Pick<
  RawTransactionV1,
  | 'kind'
  | 'amount'
  | 'walletId'
  | 'merchant'
  | 'description'
  | 'mcc'
  | 'bankCategory'
  | 'category'
  | 'transfer'
> & {
  merchantKey?: string | undefined;
  merchantName?: string | undefined;
  /** The dictionary's category for the merchant, when it knows it. */
  merchantCategory?: string | null | undefined;
};

export interface Categorization {
  assignment: CategoryAssignment;
  reason: CategoryReason;
}

/** MCC (ISO 18245) to category, for the codes that cover most card spending. */
const mccCategories: Record<string, string> = {
  '5411': 'groceries',
  '5422': 'groceries',
  '5441': 'groceries',
  '5451': 'groceries',
  '5499': 'groceries',
  '5812': 'restaurants',
  '5813': 'bars',
  '5814': 'fast_food',
  '5462': 'coffee',
  '5541': 'fuel',
  '5542': 'fuel',
  '5983': 'fuel',
  '4121': 'rideshare',
  '4111': 'public_transport',
  '4112': 'public_transport',
  '4131': 'public_transport',
  '7523': 'parking_tolls',
  '4784': 'parking_tolls',
  '4511': 'airlines',
  '3000': 'airlines',
  '7512': 'car_rental',
  '3357': 'car_rental',
  '7011': 'lodging',
  '4722': 'travel_agencies',
  '5311': 'department_stores',
  '5310': 'department_stores',
  '5331': 'department_stores',
  '5651': 'clothing',
  '5691': 'clothing',
  '5699': 'clothing',
  '5621': 'clothing',
  '5732': 'electronics',
  '5734': 'software',
  '5045': 'electronics',
  '5200': 'home_garden',
  '5211': 'home_garden',
  '5251': 'home_garden',
  '5712': 'home_garden',
  '5912': 'pharmacy',
  '5977': 'pharmacy',
  '5942': 'books',
  '5941': 'sporting_goods',
  '5815': 'streaming',
  '5816': 'games',
  '5818': 'subscriptions',
  '7832': 'cinema',
  '7922': 'events',
  '7997': 'fitness',
  '7941': 'events',
  '8011': 'doctor',
  '8021': 'doctor',
  '8062': 'doctor',
  '8099': 'doctor',
  '6300': 'insurance',
  '5960': 'insurance',
  '8220': 'education',
  '8299': 'education',
  '4215': 'shipping',
  '9402': 'shipping',
  '4814': 'phone',
  '4816': 'internet',
  '4899': 'streaming',
  '4900': 'electricity_gas',
  '6011': 'cash_withdrawal',
  '6010': 'cash_withdrawal',
  '9311': 'government',
  '9399': 'government',
  '8398': 'charity',
  '6513': 'rent',
  '5399': 'online_shopping',
  '5964': 'online_shopping',
};

/** Lower-case bank category labels (and words in them) to category. Longest phrase wins. */
const bankCategoryPhrases: Array<[string, string]> = [
  ['groceries', 'groceries'],
  ['grocery', 'groceries'],
  ['supermarket', 'groceries'],
  ['restaurants', 'restaurants'],
  ['restaurant', 'restaurants'],
  ['dining', 'restaurants'],
  ['eating out', 'restaurants'],
  ['fast food', 'fast_food'],
  ['coffee', 'coffee'],
  ['takeaway', 'food_delivery'],
  ['bars', 'bars'],
  ['fuel', 'fuel'],
  ['gas station', 'fuel'],
  ['petrol', 'fuel'],
  ['taxi', 'rideshare'],
  ['public transport', 'public_transport'],
  ['transit', 'public_transport'],
  ['parking', 'parking_tolls'],
  ['tolls', 'parking_tolls'],
  ['flights', 'airlines'],
  ['air travel', 'airlines'],
  ['hotel', 'lodging'],
  ['accommodation', 'lodging'],
  ['travel', 'travel'],
  ['shopping', 'shopping'],
  ['clothing', 'clothing'],
  ['electronics', 'electronics'],
  ['home improvement', 'home_garden'],
  ['pharmacy', 'pharmacy'],
  ['health', 'health'],
  ['medical', 'doctor'],
  ['fitness', 'fitness'],
  ['gym', 'fitness'],
  ['entertainment', 'entertainment'],
  ['streaming', 'streaming'],
  ['utilities', 'utilities'],
  ['electricity', 'electricity_gas'],
  ['internet', 'internet'],
  ['mobile phone', 'phone'],
  ['phone', 'phone'],
  ['insurance', 'insurance'],
  ['rent', 'rent'],
  ['mortgage', 'mortgage'],
  ['salary', 'salary'],
  ['payroll', 'salary'],
  ['income', 'other_income'],
  ['fees', 'bank_fees'],
  ['bank charges', 'bank_fees'],
  ['atm', 'cash_withdrawal'],
  ['cash', 'cash_withdrawal'],
  ['education', 'education'],
  ['charity', 'charity'],
  ['donations', 'charity'],
  ['taxes', 'government'],
  ['tax', 'government'],
  ['subscriptions', 'subscriptions'],
  ['software', 'software'],
  ['transfer', 'transfers'],
];

/** Words in a merchant name or description that suggest a category. */
const keywordCategories: Array<[string, string]> = [
  ['supermarket', 'groceries'],
  ['grocery', 'groceries'],
  ['grocer', 'groceries'],
  ['market', 'groceries'],
  ['bakery', 'groceries'],
  ['butcher', 'groceries'],
  ['deli', 'groceries'],
  ['cafe', 'coffee'],
  ['coffee', 'coffee'],
  ['espresso', 'coffee'],
  ['roasters', 'coffee'],
  ['restaurant', 'restaurants'],
  ['bistro', 'restaurants'],
  ['grill', 'restaurants'],
  ['kitchen', 'restaurants'],
  ['sushi', 'restaurants'],
  ['ramen', 'restaurants'],
  ['trattoria', 'restaurants'],
  ['pizzeria', 'fast_food'],
  ['pizza', 'fast_food'],
  ['burger', 'fast_food'],
  ['kebab', 'fast_food'],
  ['taqueria', 'fast_food'],
  ['bar', 'bars'],
  ['pub', 'bars'],
  ['brewery', 'bars'],
  ['tavern', 'bars'],
  ['pharmacy', 'pharmacy'],
  ['chemist', 'pharmacy'],
  ['drugstore', 'pharmacy'],
  ['fuel', 'fuel'],
  ['petrol', 'fuel'],
  ['gas', 'fuel'],
  ['parking', 'parking_tolls'],
  ['toll', 'parking_tolls'],
  ['taxi', 'rideshare'],
  ['cab', 'rideshare'],
  ['hotel', 'lodging'],
  ['motel', 'lodging'],
  ['hostel', 'lodging'],
  ['inn', 'lodging'],
  ['airline', 'airlines'],
  ['airways', 'airlines'],
  ['cinema', 'cinema'],
  ['theatre', 'events'],
  ['theater', 'events'],
  ['tickets', 'events'],
  ['gym', 'fitness'],
  ['fitness', 'fitness'],
  ['yoga', 'fitness'],
  ['dental', 'doctor'],
  ['dentist', 'doctor'],
  ['clinic', 'doctor'],
  ['medical', 'doctor'],
  ['hospital', 'doctor'],
  ['insurance', 'insurance'],
  ['rent', 'rent'],
  ['mortgage', 'mortgage'],
  ['salary', 'salary'],
  ['payroll', 'salary'],
  ['wages', 'salary'],
  ['bookstore', 'books'],
  ['books', 'books'],
  ['hardware', 'home_garden'],
  ['garden', 'home_garden'],
  ['furniture', 'home_garden'],
  ['electric', 'electricity_gas'],
  ['energy', 'electricity_gas'],
  ['water', 'water'],
  ['broadband', 'internet'],
  ['mobile', 'phone'],
  ['telecom', 'phone'],
  ['school', 'education'],
  ['university', 'education'],
  ['tuition', 'education'],
  ['donation', 'charity'],
  ['charity', 'charity'],
  ['church', 'charity'],
  ['boutique', 'clothing'],
  ['apparel', 'clothing'],
  ['shoes', 'clothing'],
  ['atm', 'cash_withdrawal'],
  ['fee', 'bank_fees'],
  ['overdraft', 'bank_fees'],
  ['council', 'government'],
  ['postage', 'shipping'],
];
const keywordMap = new Map(keywordCategories);

function sortRules(rules: readonly CategoryRule[]): CategoryRule[] {
  return [...rules].sort(
    (a, b) => a.priority - b.priority || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}

function includesFolded(haystack: string | undefined, needle: string): boolean {
  return haystack !== undefined && haystack.toLowerCase().includes(needle.toLowerCase());
}

/** Whether every condition of a rule holds for the transaction. */
export function ruleMatches(rule: CategoryRule, tx: CategorizableTransaction): boolean {
  const m = rule.match;
  if (m.merchantKey !== undefined && m.merchantKey !== tx.merchantKey) return false;
  if (
    m.merchantContains !== undefined &&
    !includesFolded(tx.merchant, m.merchantContains) &&
    !includesFolded(tx.merchantName, m.merchantContains)
  ) {
    return false;
  }
  if (m.descriptionContains !== undefined && !includesFolded(tx.description, m.descriptionContains))
    return false;
  if (m.mcc !== undefined && (tx.mcc === undefined || !m.mcc.includes(tx.mcc))) return false;
  if (
    m.bankCategory !== undefined &&
    tx.bankCategory?.toLowerCase() !== m.bankCategory.toLowerCase()
  )
    return false;
  if (m.kinds !== undefined && !m.kinds.includes(tx.kind)) return false;
  if (m.walletId !== undefined && m.walletId !== tx.walletId) return false;
  if (
    m.amountMin !== undefined &&
    (m.amountMin.currency !== tx.amount.currency || tx.amount.amount < m.amountMin.amount)
  ) {
    return false;
  }
  if (
    m.amountMax !== undefined &&
    (m.amountMax.currency !== tx.amount.currency || tx.amount.amount > m.amountMax.amount)
  ) {
    return false;
  }
  return true;
}

function bankCategoryOf(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const folded = ` ${label.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `;
  // A subcategory beats a top-level category, then the longest phrase wins ("Travel - Hotel" is lodging, not travel).
  const score = ([phrase, id]: [string, string]) =>
    (builtInCategories.get(id)?.parentId ? 1000 : 0) + phrase.length;
  let best: [string, string] | undefined;
  for (const entry of bankCategoryPhrases) {
    if (folded.includes(` ${entry[0]} `) && (best === undefined || score(entry) > score(best)))
      best = entry;
  }
  return best?.[1];
}

function kindCategoryOf(tx: CategorizableTransaction): string | undefined {
  switch (tx.kind) {
    case 'transfer_in':
    case 'transfer_out':
      return tx.transfer?.internal ? 'own_transfers' : 'people_transfers';
    case 'interest':
      return 'interest_earned';
    case 'fee':
      return 'bank_fees';
    case 'withdrawal':
      return 'cash_withdrawal';
    case 'refund':
      return 'refunds';
    case 'income':
      return 'other_income';
    default:
      return undefined;
  }
}

function keywordCategoryOf(tx: CategorizableTransaction): string | undefined {
  const text = `${tx.merchant ?? ''} ${tx.description ?? ''}`.toLowerCase();
  for (const word of text.split(/[^a-z]+/)) {
    const category = keywordMap.get(word);
    if (category !== undefined) return category;
  }
  return undefined;
}

/** Categorizes one transaction; never throws: the last level always decides. */
export function categorize(
  tx: CategorizableTransaction,
  context: CategorizationContext,
): Categorization {
  const custom = context.customCategories;
  // The levels in order, each asked only when the ones before it chose nothing (no list of
  // candidates and closures a transaction: this runs once per transaction).
  return (
    chosen(context.transactionOverride, 'transaction_correction', 'correction', custom) ??
    chosen(tx.category, 'source_category', 'user', custom) ??
    ruleChoice(tx, context) ??
    chosen(
      tx.merchantKey ? context.merchantCorrections.get(tx.merchantKey) : undefined,
      'merchant_correction',
      'correction',
      custom,
    ) ??
    // Transfers, fees and interest are what they are whoever handled them (PayPal, a bank).
    chosen(
      tx.kind.startsWith('transfer_') ? kindCategoryOf(tx) : undefined,
      'kind',
      'default',
      custom,
    ) ??
    chosen(tx.merchantCategory ?? undefined, 'merchant_dictionary', 'merchant', custom) ??
    chosen(tx.mcc === undefined ? undefined : mccCategories[tx.mcc], 'mcc', 'mcc', custom) ??
    chosen(bankCategoryOf(tx.bankCategory), 'bank_category', 'bank', custom) ??
    chosen(kindCategoryOf(tx), 'kind', 'default', custom) ??
    chosen(keywordCategoryOf(tx), 'keyword', 'default', custom) ??
    // Uncategorized is the built-in category, whatever the user's own are.
    chosen(uncategorizedId, 'uncategorized', 'default', noCustomCategories)!
  );
}

const noCustomCategories: ReadonlyMap<string, Category> = new Map();

/** The first of the user's rules, by priority, that matches and whose category resolves. */
function ruleChoice(
  tx: CategorizableTransaction,
  context: CategorizationContext,
): Categorization | undefined {
  if (context.rules.length === 0) return undefined;
  for (const rule of sortRules(context.rules)) {
    if (!ruleMatches(rule, tx)) continue;
    const found = chosen(rule.category, 'user_rule', 'rule', context.customCategories, rule.ruleId);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The level's choice when it names a category that resolves; else undefined (the next decides). */
function chosen(
  id: string | undefined,
  reason: CategoryReason,
  source: CategoryAssignment['source'],
  custom: ReadonlyMap<string, Category>,
  ruleId?: string,
): Categorization | undefined {
  if (id === undefined) return undefined;
  const resolved = resolveCategory(id, custom);
  if (resolved === null) return undefined;
  const assignment: CategoryAssignment = {
    id: resolved.id,
    name: resolved.name,
    path: resolved.path,
    source,
  };
  if (ruleId !== undefined) assignment.ruleId = ruleId;
  return { assignment, reason };
}
