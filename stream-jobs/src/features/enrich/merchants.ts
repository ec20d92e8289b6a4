/**
 * Merchant clean-up: turn what a bank prints (`AMZN MKTP US*2K4AB1 SEATTLE WA`,
 * `SQ *BLUE BOTTLE COFFEE`, `POS 1234 STARBUCKS #0042`) into a stable merchant id and a clean name.
 * Rules first strip noise (card-network prefixes, payment processors, store numbers, reference
 * codes), then the dictionary is matched on whole words: at the start of the text first (banks put
 * the merchant first), anywhere for long aliases after that.
 */
import { BoundedMap } from '@spendstream/core/bounded-map';
import { dictionaryMerchants, type DictionaryMerchant } from './merchant-dictionary.js';

/** The result of recognizing a merchant. */
export interface NormalizedMerchant {
  /** A dictionary id (`amazon`), or `raw:<slug>` for a merchant not in the dictionary. */
  merchantId: string;
  /** A clean display name. */
  name: string;
  /** The dictionary's default category, when the merchant is known. */
  categoryId: string | null;
  /** Whether the dictionary knew the merchant. */
  known: boolean;
}

/** How many words of an unknown merchant's text make its name: enough for "Joe's Corner Cafe". */
export const unknownMerchantWordsMax = 4;
/** Raw descriptors longer than this are cut before cleaning: banks never need more. */
export const descriptorLengthMax = 200;
/** A single-word alias shorter than this only matches at the start (`bp`, `ee`, `ups`). */
const anywhereAliasLengthMin = 5;

const noisePrefixes = [
  /^(pos|eftpos|visa|mastercard|mc|debit|credit|card|contactless|cnp|ach|dd|direct debit)\b\s*(purchase|debit|payment|card|transaction|trans)?\s*/,
  /^(debit card purchase|checkcard|check card|purchase authorized on|recurring payment|recurring|card purchase|pos purchase|point of sale)\s*/,
  /^(\d{1,2}\/\d{1,2}(\/\d{2,4})?|\d{4,})\s*/,
];
/** Payment processors print `<processor> *<real merchant>`: the real merchant is after the star. */
const processorPrefix =
  /^(sq|tst|paypal|pp|sp|py|gpay|google pay|apple pay|applepay|zettle|izettle|iz|sumup|toast|stripe|ctlp|clover|fs|pmnt|google)\s*\*\s*/;

const aliasIndex = buildAliasIndex(dictionaryMerchants);

interface AliasEntry {
  tokens: string[];
  merchant: DictionaryMerchant;
}

function buildAliasIndex(merchants: readonly DictionaryMerchant[]): Map<string, AliasEntry[]> {
  const index = new Map<string, AliasEntry[]>();
  for (const merchant of merchants) {
    for (const alias of merchant.aliases) {
      const tokens = tokenize(alias);
      const first = tokens[0];
      if (first === undefined) continue;
      const entries = index.get(first) ?? [];
      entries.push({ tokens, merchant });
      index.set(first, entries);
    }
  }
  // Longest alias first, so `amazon prime` wins over `amazon`.
  for (const entries of index.values()) entries.sort((a, b) => b.tokens.length - a.tokens.length);
  return index;
}

/** Lower case words of letters and digits; everything else separates words. `'` is dropped. */
function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A word that is a store number, a date or a reference code rather than part of a name. */
function isNoiseToken(token: string): boolean {
  if (/^\d+$/.test(token)) return true;
  // Reference codes mix letters and digits (`2k4ab1`, `x0042`), but `7eleven` and `o2` are names.
  if (token.length >= 5 && /\d/.test(token) && /[a-z]/.test(token)) return true;
  return false;
}

function stripNoise(descriptor: string): string {
  let text = descriptor.toLowerCase().slice(0, descriptorLengthMax).trim();
  for (let pass = 0; pass < 3; pass += 1) {
    const before = text;
    for (const prefix of noisePrefixes) text = text.replace(prefix, '');
    if (text === before) break;
  }
  return text;
}

function matchAt(tokens: string[], start: number): DictionaryMerchant | null {
  const first = tokens[start];
  if (first === undefined) return null;
  for (const entry of aliasIndex.get(first) ?? []) {
    if (entry.tokens.every((token, i) => tokens[start + i] === token)) return entry.merchant;
  }
  return null;
}

function matchAnywhere(tokens: string[]): DictionaryMerchant | null {
  for (let start = 1; start < tokens.length; start += 1) {
    const first = tokens[start];
    if (first === undefined) continue;
    for (const entry of aliasIndex.get(first) ?? []) {
      const long = entry.tokens.length > 1 || first.length >= anywhereAliasLengthMin;
      if (long && entry.tokens.every((token, i) => tokens[start + i] === token))
        return entry.merchant;
    }
  }
  return null;
}

function titleCase(words: string[]): string {
  return words
    .map((w) => (w.length <= 2 ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1)))
    .join(' ');
}

function recognize(text: string): NormalizedMerchant | null {
  // `AMZN MKTP US*2K4AB1`: what follows a star is a reference, unless a processor put it there.
  const main = text.split('*')[0] ?? '';
  const raw = tokenize(main);
  const tokens = raw.filter((t) => !isNoiseToken(t));
  // Raw words first: `7 eleven` begins with what would otherwise be dropped as a number.
  const merchant = matchAt(raw, 0) ?? matchAt(tokens, 0) ?? matchAnywhere(tokens);
  if (merchant) {
    return {
      merchantId: merchant.id,
      name: merchant.name,
      categoryId: merchant.categoryId,
      known: true,
    };
  }
  return null;
}

/** The merchant key of a transaction with neither merchant nor description words. */
export const unknownMerchantKey = 'raw:unknown';

/** Descriptors whose merchant is kept (a user's merchants recur; about 1 MB at the bound). */
export const merchantsCachedMax = 4_096;
const merchantsByDescriptor = new BoundedMap<string, Readonly<NormalizedMerchant>>(
  merchantsCachedMax,
);

/**
 * Recognize the merchant of a bank descriptor. `merchantHint` is the merchant name a bank or app
 * sent separately, tried first. Never throws: an empty descriptor is the unknown merchant. Without
 * a hint the answer is a function of the descriptor alone and is kept (`merchantsCachedMax`): the
 * clean-up's regular expressions and tokenizing were about 2% of the jobs' main thread in a backlog,
 * for descriptors seen before. The kept answer is frozen: callers share it.
 */
export function normalizeMerchant(
  descriptor: string,
  merchantHint?: string | null,
): Readonly<NormalizedMerchant> {
  if (merchantHint) return recognizeMerchant(descriptor, merchantHint);
  let merchant = merchantsByDescriptor.get(descriptor);
  if (merchant === undefined) {
    merchant = Object.freeze(recognizeMerchant(descriptor, undefined));
    merchantsByDescriptor.set(descriptor, merchant);
  }
  return merchant;
}

function recognizeMerchant(
  descriptor: string,
  merchantHint: string | null | undefined,
): NormalizedMerchant {
  for (const candidate of [merchantHint, descriptor]) {
    if (!candidate) continue;
    let text = stripNoise(candidate);
    const processor = processorPrefix.exec(text);
    if (processor) {
      const behind = recognize(text.slice(processor[0].length).replace(/\*/g, ' '));
      if (behind) return behind;
      text = text.slice(processor[0].length);
    }
    const found = recognize(text);
    if (found) return found;
  }
  const source = merchantHint || descriptor;
  let text = stripNoise(source);
  const processor = processorPrefix.exec(text);
  if (processor) text = text.slice(processor[0].length);
  const words = tokenize(text.split('*')[0] ?? '')
    .filter((t) => !isNoiseToken(t))
    .slice(0, unknownMerchantWordsMax);
  if (words.length === 0)
    return { merchantId: unknownMerchantKey, name: 'Unknown', categoryId: null, known: false };
  return {
    merchantId: `raw:${words.join('-')}`,
    name: titleCase(words),
    categoryId: null,
    known: false,
  };
}
