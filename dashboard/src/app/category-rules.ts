/**
 * A user's custom categories and categorization rules (analytics-api's `/v1/categories/custom`
 * and `/v1/category-rules`): the tree as the Categories screen shows it, the rule form mapped to a
 * request and back, a rule said in words, the rule a recategorization "for this merchant" makes,
 * and what a refused change tells the user. Every change sends `If-Match` with the revision the
 * screen read, so a change made meanwhile elsewhere (another tab, the phone) is a 412, not lost.
 */
import { ApiError, call } from './api.js';
import type { CategoryEntry } from './categories.js';
import { AmountError, formatMoney, minorToDecimal, parseAmount, type Money } from './format.js';

/** Longest category name and rule text condition (core's `labelLengthMax`). */
export const nameLengthMax = 200;
/** Longest category id (core's `categoryIdLengthMax`). */
export const categoryIdLengthMax = 64;
/** Highest rule priority the API takes (core's `categoryRuleSchema`). */
export const priorityMax = 1_000_000;
/** A new rule goes this far after the last one, leaving room to slot one in between. */
export const priorityStep = 10;
/** Most tags a rule adds (core's `categoryRuleSchema`). */
export const ruleTagsMax = 20;

/** One custom category as `GET /v1/categories/custom` lists it. */
export interface CustomCategory {
  id: string;
  name: string;
  parentId: string | null;
}

/** What a rule matches (core's `ruleMatchSchema`): every condition given must hold. */
export interface RuleMatch {
  merchantKey?: string;
  merchantContains?: string;
  descriptionContains?: string;
  mcc?: string[];
  bankCategory?: string;
  kinds?: string[];
  walletId?: string;
  amountMin?: Money;
  amountMax?: Money;
}

/** One rule as `GET /v1/category-rules` lists it. */
export interface CategoryRule {
  ruleId: string;
  priority: number;
  match: RuleMatch;
  category: string;
  addTags: string[];
  origin: 'user' | 'correction';
  createdAt: string;
}

/** A category with its subcategories, for the tree on screen. */
export interface CategoryNode {
  entry: CategoryEntry;
  children: CategoryNode[];
}

/**
 * The whole tree, any depth: built-in and custom categories under their parents, in the API's
 * order. A category whose parent is unknown is a root; a cycle (which the API refuses) cannot
 * make it loop.
 */
export function categoryForest(entries: readonly CategoryEntry[]): CategoryNode[] {
  const ids = new Set(entries.map((entry) => entry.id));
  const childrenOf = new Map<string, CategoryEntry[]>();
  const roots: CategoryEntry[] = [];
  for (const entry of entries) {
    if (entry.parentId !== null && ids.has(entry.parentId) && entry.parentId !== entry.id) {
      const list = childrenOf.get(entry.parentId) ?? [];
      list.push(entry);
      childrenOf.set(entry.parentId, list);
    } else roots.push(entry);
  }
  const placed = new Set<string>();
  const grow = (entry: CategoryEntry): CategoryNode => {
    placed.add(entry.id);
    const children = (childrenOf.get(entry.id) ?? []).filter((child) => !placed.has(child.id));
    return { entry, children: children.map(grow) };
  };
  const forest = roots.map(grow);
  // Members of a cycle have no root above them: each left over becomes one.
  for (const entry of entries) if (!placed.has(entry.id)) forest.push(grow(entry));
  return forest;
}

/** The forest as a list in reading order, each with its depth (0 for a root). */
export function flattenForest(
  forest: readonly CategoryNode[],
): { entry: CategoryEntry; depth: number }[] {
  const rows: { entry: CategoryEntry; depth: number }[] = [];
  const walk = (nodes: readonly CategoryNode[], depth: number) => {
    for (const node of nodes) {
      rows.push({ entry: node.entry, depth });
      walk(node.children, depth + 1);
    }
  };
  walk(forest, 0);
  return rows;
}

/** The category and everything below it: the parents it may not move under. */
export function subtreeIds(forest: readonly CategoryNode[], id: string): Set<string> {
  const found = new Set<string>();
  const collect = (node: CategoryNode) => {
    found.add(node.entry.id);
    node.children.forEach(collect);
  };
  const search = (nodes: readonly CategoryNode[]): boolean =>
    nodes.some((node) => {
      if (node.entry.id !== id) return search(node.children);
      collect(node);
      return true;
    });
  search(forest);
  return found;
}

/**
 * A readable id for a new category from its name ("Pet care" -> "pet-care"), so filters in the
 * address read well; undefined when the name has no letters or digits to make one from, or the id
 * is taken, and the API then makes one (`custom-<16 hex>`).
 */
export function categoryIdFor(name: string, taken: ReadonlySet<string>): string | undefined {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, categoryIdLengthMax)
    .replace(/-+$/, '');
  return slug && !taken.has(slug) ? slug : undefined;
}

/** The rule form's fields as typed. */
export interface RuleFields {
  merchantContains: string;
  descriptionContains: string;
  amountMin: string;
  amountMax: string;
  category: string;
  priority: string;
  addTags: string;
}

/** A field of the rule form that cannot be sent as typed, with what to fix. */
export class RuleFormError extends Error {
  constructor(
    readonly field: keyof RuleFields,
    message: string,
  ) {
    super(message);
  }
}

/** The body of `POST /v1/category-rules` (and, whole, of a PATCH). */
export interface RuleRequest {
  priority: number;
  match: RuleMatch;
  category: string;
  addTags: string[];
}

/** The conditions the form does not show (a rule made through the API): kept as they are. */
export function otherConditions(match: RuleMatch): RuleMatch {
  const rest: RuleMatch = { ...match };
  delete rest.merchantContains;
  delete rest.descriptionContains;
  delete rest.amountMin;
  delete rest.amountMax;
  return rest;
}

function amountOf(
  text: string,
  field: 'amountMin' | 'amountMax',
  currency: string,
  locale: string | undefined,
): Money | undefined {
  if (!text.trim()) return undefined;
  try {
    const amount = parseAmount(text, currency, locale);
    if (amount.startsWith('-')) throw new AmountError('must not be negative');
    return { amount, currency };
  } catch (error) {
    if (!(error instanceof AmountError)) throw error;
    const name = field === 'amountMin' ? 'Amount from' : 'Amount up to';
    throw new RuleFormError(field, `${name}: ${error.message}.`);
  }
}

/**
 * The form as the request the API takes: empty fields left out, amounts exact in the currency's
 * minor units, at least one condition, the bounds in order. `kept` are the rule's conditions the
 * form does not show, sent back unchanged (a PATCH replaces `match` whole).
 */
export function ruleRequestOf(
  fields: RuleFields,
  currency: string,
  locale?: string,
  kept: RuleMatch = {},
): RuleRequest {
  const match: RuleMatch = { ...otherConditions(kept) };
  const merchant = fields.merchantContains.trim();
  const description = fields.descriptionContains.trim();
  if (merchant) match.merchantContains = merchant;
  if (description) match.descriptionContains = description;
  const min = amountOf(fields.amountMin, 'amountMin', currency, locale);
  const max = amountOf(fields.amountMax, 'amountMax', currency, locale);
  if (min) match.amountMin = min;
  if (max) match.amountMax = max;
  if (min && max && BigInt(min.amount) > BigInt(max.amount)) {
    throw new RuleFormError('amountMax', 'Amount up to: must not be below "Amount from".');
  }
  if (Object.keys(match).length === 0) {
    throw new RuleFormError(
      'merchantContains',
      'Give at least one condition: merchant, description or amount.',
    );
  }
  if (!fields.category) throw new RuleFormError('category', 'Choose the category to put it in.');
  const priority = fields.priority.trim();
  if (!/^\d{1,7}$/.test(priority) || Number(priority) > priorityMax) {
    throw new RuleFormError(
      'priority',
      `Priority: a whole number from 0 to ${priorityMax.toLocaleString(locale)}.`,
    );
  }
  const addTags = [
    ...new Set(
      fields.addTags
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
  if (addTags.length > ruleTagsMax) {
    throw new RuleFormError('addTags', `Tags: at most ${ruleTagsMax}.`);
  }
  return { priority: Number(priority), match, category: fields.category, addTags };
}

/** A rule's fields for the edit form (amounts as the exact decimals of their currency). */
export function ruleFieldsOf(rule: CategoryRule): RuleFields {
  const { match } = rule;
  return {
    merchantContains: match.merchantContains ?? '',
    descriptionContains: match.descriptionContains ?? '',
    amountMin: match.amountMin
      ? minorToDecimal(match.amountMin.amount, match.amountMin.currency)
      : '',
    amountMax: match.amountMax
      ? minorToDecimal(match.amountMax.amount, match.amountMax.currency)
      : '',
    category: rule.category,
    priority: String(rule.priority),
    addTags: rule.addTags.join(', '),
  };
}

/** The currency a rule's amounts are in: the rule's own when it has one, else the home currency. */
export function ruleCurrency(match: RuleMatch | undefined, homeCurrency: string): string {
  return match?.amountMin?.currency ?? match?.amountMax?.currency ?? homeCurrency;
}

/** The rule's conditions in words, in the order stream-jobs checks them. */
export function describeMatch(
  match: RuleMatch,
  locale?: string,
  walletName: (id: string) => string | undefined = () => undefined,
): string {
  const parts: string[] = [];
  if (match.merchantKey) parts.push(`merchant is ${match.merchantKey}`);
  if (match.merchantContains) parts.push(`merchant contains “${match.merchantContains}”`);
  if (match.descriptionContains) {
    parts.push(`description contains “${match.descriptionContains}”`);
  }
  if (match.mcc?.length) parts.push(`card code (MCC) ${match.mcc.join(', ')}`);
  if (match.bankCategory) parts.push(`bank category “${match.bankCategory}”`);
  if (match.kinds?.length) parts.push(`kind ${match.kinds.join(' or ')}`);
  if (match.walletId) parts.push(`wallet ${walletName(match.walletId) ?? match.walletId}`);
  const { amountMin: min, amountMax: max } = match;
  if (min && max) {
    parts.push(`amount ${formatMoney(min, locale)} to ${formatMoney(max, locale)}`);
  } else if (min) parts.push(`amount at least ${formatMoney(min, locale)}`);
  else if (max) parts.push(`amount at most ${formatMoney(max, locale)}`);
  return parts.join(' and ');
}

/** Rules in the order stream-jobs tries them: priority, then id (the first match wins). */
export function rulesInOrder(rules: readonly CategoryRule[]): CategoryRule[] {
  return [...rules].sort(
    (a, b) => a.priority - b.priority || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}

/** The priority a new rule gets: after every rule there is. */
export function nextPriority(rules: readonly CategoryRule[]): number {
  const last = Math.max(0, ...rules.map((rule) => rule.priority));
  return Math.min(priorityMax, last + priorityStep);
}

/** A change to send to analytics-api. */
export interface ChangeRequest {
  method: 'POST' | 'PATCH';
  path: string;
  body: unknown;
}

/**
 * "All at this merchant" in the transactions list as a rule the user sees on the Categories
 * screen: the rule for exactly this merchant (its only condition) gets the new category; else a
 * new one, tried after the others.
 */
export function merchantRuleRequest(
  rules: readonly CategoryRule[],
  merchant: string,
  category: string,
): ChangeRequest {
  const name = merchant.trim().slice(0, nameLengthMax);
  const existing = rules.find((rule) => {
    const keys = Object.keys(rule.match);
    return keys.length === 1 && rule.match.merchantContains?.toLowerCase() === name.toLowerCase();
  });
  if (existing) {
    return {
      method: 'PATCH',
      path: `/v1/category-rules/${encodeURIComponent(existing.ruleId)}`,
      body: { category },
    };
  }
  return {
    method: 'POST',
    path: '/v1/category-rules',
    body: { priority: nextPriority(rules), match: { merchantContains: name }, category },
  };
}

/** The revision in an ETag (`"12"`), or undefined for anything else. */
export function revisionOf(etag: string | null): number | undefined {
  const match = /^"(\d{1,15})"$/.exec(etag?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Sent when the user's set changed after the screen read it. */
export const staleMessage =
  'Someone else changed your categories or rules meanwhile: the lists are reloaded, check them and try again.';

/** What a failed change says to the user, and whether the screen must reload (a 412). */
export function changeFailure(
  error: unknown,
  fallback: string,
): { message: string; stale: boolean } {
  if (error instanceof ApiError && error.status === 412)
    return { message: staleMessage, stale: true };
  // The API's own detail (a refused delete names the rules or categories that still use it).
  if (error instanceof ApiError || error instanceof RuleFormError) {
    return { message: error.message, stale: false };
  }
  return { message: fallback, stale: false };
}

/**
 * Sends one change with `If-Match: "<revision>"` (the revision the screen read; none makes it
 * unconditional); answers the set's new revision from the ETag and the item the API returned.
 */
export async function sendChange<T>(
  method: 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown,
  revision: number | undefined,
): Promise<{ revision: number | undefined; item: T | undefined }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (revision !== undefined) headers['if-match'] = `"${revision}"`;
  const response = await call('analytics', path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    revision: revisionOf(response.headers.get('etag')),
    item: text ? (JSON.parse(text) as T) : undefined,
  };
}

/**
 * Makes "every transaction at this merchant goes to this category" a rule (see
 * `merchantRuleRequest`), read and written at one revision; a change made in between (412) is
 * read again once.
 */
export async function saveMerchantRule(merchant: string, category: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const response = await call('analytics', '/v1/category-rules');
    const revision = revisionOf(response.headers.get('etag'));
    const { items } = (await response.json()) as { items: CategoryRule[] };
    const request = merchantRuleRequest(items, merchant, category);
    try {
      await sendChange(request.method, request.path, request.body, revision);
      return;
    } catch (error) {
      if (attempt > 0 || !(error instanceof ApiError) || error.status !== 412) throw error;
    }
  }
}

/** What is known of a transaction while it is typed (quick add): no description, MCC or bank data. */
export interface TypedTransaction {
  merchant: string;
  kind: string;
  walletId: string;
  /** Undefined while the amount field cannot be read as one. */
  amount: Money | undefined;
}

/**
 * What the user's rules say of a transaction being typed, checked as stream-jobs checks them
 * (priority order, first match wins, text ignoring case): `match` with the first matching rule's
 * category; `undecided` when a rule before any match needs what is not known here (a merchant key
 * stream-jobs computes, an amount not typed yet), so nothing should be suggested over it; `none`
 * when no rule matches. A transaction sent with a category skips the rules, so a suggestion must
 * not contradict them.
 */
export function ruleCategoryFor(
  rules: readonly CategoryRule[],
  tx: TypedTransaction,
): { kind: 'match'; category: string } | { kind: 'undecided' | 'none' } {
  const merchant = tx.merchant.trim().toLowerCase();
  for (const rule of rulesInOrder(rules)) {
    const m = rule.match;
    // Conditions on what a typed transaction never has cannot hold.
    if (m.descriptionContains || m.mcc || m.bankCategory) continue;
    if (m.merchantContains && !merchant.includes(m.merchantContains.toLowerCase())) continue;
    if (m.kinds && !m.kinds.includes(tx.kind)) continue;
    if (m.walletId && m.walletId !== tx.walletId) continue;
    if (m.merchantKey) return { kind: 'undecided' };
    if (m.amountMin || m.amountMax) {
      if (!tx.amount) return { kind: 'undecided' };
      const amount = BigInt(tx.amount.amount);
      const outside = (bound: Money | undefined, below: boolean) =>
        bound !== undefined &&
        (bound.currency !== tx.amount!.currency ||
          (below ? amount < BigInt(bound.amount) : amount > BigInt(bound.amount)));
      if (outside(m.amountMin, true) || outside(m.amountMax, false)) continue;
    }
    return { kind: 'match', category: rule.category };
  }
  return { kind: 'none' };
}
