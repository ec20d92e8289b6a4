/**
 * Documents from ingest-api's seeded generator: its final transactions (one per id, highest
 * version) turned into enriched documents the way stream-jobs would, with the generator's ground
 * truth for category and merchant and a fixed rate table for home amounts. Used by the contract
 * suite and the benchmark, so analytics is developed against generated data, not stream-jobs.
 */
import { DateTime } from 'luxon';
import {
  finalTransactions,
  generateTransactions,
  type GeneratedDataset,
  type GenerateOptions,
} from '@spendstream/ingest-api/generator';
import { currencyExponent, isCurrencyCode } from '@spendstream/core/currencies';
import { transactionKindDirection } from '@spendstream/core/events';
import type { Flow, TransactionDoc } from '../../src/query/analytics-store.js';
import { createDefaultCategoryCatalog } from '../../src/domain/categories.js';
import { merchantKeyOf } from './factories.js';

/** US dollars per major unit, in millionths: a fixed table so every run converts alike. */
const usdMicrosPerUnit: Record<string, bigint> = {
  USD: 1_000_000n,
  EUR: 1_080_000n,
  GBP: 1_270_000n,
  JPY: 6_700n,
  AUD: 660_000n,
  INR: 12_000n,
  BRL: 180_000n,
  KWD: 3_250_000n,
  CAD: 730_000n,
  CHF: 1_120_000n,
};

function exponentOf(currency: string): number {
  return isCurrencyCode(currency) ? currencyExponent(currency) : 2;
}

/**
 * The generator's ground truth (its own words: `coffee` / `coffee shop`) mapped onto the pipeline's
 * category tree (leaf ids), the way stream-jobs' categorization would place them.
 */
const truthToLeaf: Record<string, Record<string, string>> = {
  groceries: { '*': 'groceries' },
  coffee: { '*': 'coffee' },
  restaurants: { 'fast food': 'fast_food', 'food delivery': 'food_delivery', '*': 'restaurants' },
  subscriptions: {
    'streaming video': 'streaming',
    'music streaming': 'music',
    gym: 'fitness',
    'cloud storage': 'software',
    software: 'software',
    '*': 'subscriptions',
  },
  housing: { '*': 'rent' },
  transfers: { 'bank fee': 'bank_fees', '*': 'own_transfers' },
  income: { interest: 'interest_earned', '*': 'salary' },
  transport: { rideshare: 'rideshare', fuel: 'fuel', '*': 'public_transport' },
  shopping: {
    electronics: 'electronics',
    clothing: 'clothing',
    'online marketplace': 'online_shopping',
    'department store': 'department_stores',
    '*': 'home_garden',
  },
  utilities: { telecom: 'phone', internet: 'internet', '*': 'electricity_gas' },
  entertainment: { events: 'events', games: 'games', '*': 'cinema' },
  health: { pharmacy: 'pharmacy', drugstore: 'pharmacy', '*': 'doctor' },
  insurance: { '*': 'insurance' },
  cash: { '*': 'cash_withdrawal' },
  travel: { airline: 'airlines', '*': 'lodging' },
};

const catalog = createDefaultCategoryCatalog();

/** The (top-level, leaf) category of a generator truth; `uncategorized` when it has no place. */
export function categoryOfTruth(category: string, subcategory: string): [string, string | null] {
  const byTruth = truthToLeaf[category];
  const leaf = byTruth?.[subcategory] ?? byTruth?.['*'];
  const parent = leaf === undefined ? undefined : catalog.parentOf(leaf);
  return leaf !== undefined && parent !== undefined ? [parent, leaf] : ['uncategorized', null];
}

/** Convert minor units between currencies by the fixed table, rounding half up. */
export function convertMinor(amountMinor: bigint, from: string, to: string): bigint {
  if (from === to) return amountMinor;
  const fromRate = usdMicrosPerUnit[from] ?? 1_000_000n;
  const toRate = usdMicrosPerUnit[to] ?? 1_000_000n;
  const numerator = amountMinor * fromRate * 10n ** BigInt(exponentOf(to));
  const denominator = toRate * 10n ** BigInt(exponentOf(from));
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** Turn a generated data set into enriched documents. */
export function docsFromDataset(dataset: GeneratedDataset): TransactionDoc[] {
  const users = new Map(dataset.users.map((user) => [user.userId, user]));
  const truthById = new Map(
    dataset.transactions.map((record) => [record.event.transactionId, record.truth]),
  );
  return finalTransactions(dataset.transactions).map((event) => {
    const user = users.get(event.userId)!;
    const truth = truthById.get(event.transactionId)!;
    const internal = event.transfer?.internal ?? false;
    const [category, subcategory] = categoryOfTruth(truth.category, truth.subcategory);
    const flow: Flow = internal
      ? 'neutral'
      : transactionKindDirection[event.kind] === 'out'
        ? 'spend'
        : 'income';
    const occurredAt = DateTime.fromISO(event.occurredAt, { setZone: true }).toUTC().toISO()!;
    return {
      id: event.transactionId,
      userId: event.userId,
      walletId: event.walletId,
      kind: event.kind,
      flow,
      status: event.status,
      occurredAt,
      localDate: DateTime.fromISO(occurredAt).setZone(user.timeZone).toISODate()!,
      timeZone: user.timeZone,
      amountMinor: event.amount.amount,
      currency: event.amount.currency,
      homeAmountMinor: convertMinor(event.amount.amount, event.amount.currency, user.homeCurrency),
      homeCurrency: user.homeCurrency,
      category,
      subcategory,
      merchant: truth.merchant ?? null,
      merchantKey: merchantKeyOf(truth.merchant ?? null),
      description: event.description ?? event.merchant ?? '',
      note: event.note ?? null,
      tags: [...new Set(event.tags)],
    };
  });
}

/** Generate and convert in one step. */
export function generatedDocs(options: GenerateOptions): {
  docs: TransactionDoc[];
  dataset: GeneratedDataset;
} {
  const dataset = generateTransactions(options);
  return { docs: docsFromDataset(dataset), dataset };
}
