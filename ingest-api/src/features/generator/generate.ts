/**
 * The synthetic data generator: realistic users, wallets and the transactions their banks would push,
 * reproducible from a seed. Output records are complete `transactions.raw` payloads (so stream-job
 * tests can publish them directly) plus how and when each one is delivered (original, duplicate,
 * correction, reversal; late postings) and the ground truth (canonical merchant, category).
 *
 * Every user draws from their own forked random stream, so user 7 of a 10-user run is the same as user
 * 7 of a 1,000-user run with the same seed.
 */
import { DateTime, FixedOffsetZone } from 'luxon';
import { currencyExponent, isCurrencyCode } from '@spendstream/core/currencies';
import type { RawTransactionV1, TransactionKind } from '@spendstream/core/events/transactions';
import { transactionIdFor } from '../transactions/transaction-id.js';
import {
  brandNamed,
  brandsFor,
  describe,
  type Brand,
  type GeneratorCategory,
  pickStore,
  type StoreMerchant,
} from './merchants.js';
import { bankCategoryLabels, type Profile, profiles } from './profiles.js';
import { createRandom, type Random } from './random.js';

/** Most users one run generates (memory: a year of 1,000 users is ~2M records). */
export const generatorUsersMax = 100_000;
/** Longest period one run covers, in days. */
export const generatorDaysMax = 3_660;

/**
 * Most days a transaction can happen after its period's last day: a refund of an online purchase
 * made near the end comes 5-15 days after it.
 */
export const generatorDaysAfterPeriodMax = 15;

/**
 * The first day (ISO date, UTC) of a period of `days` days whose every transaction, refunds
 * included, happened before `now`, in any time zone: what a run sent to ingest-api needs (it
 * refuses dates more than two days ahead; the fixed default start runs past today for a long
 * enough period).
 */
export function startOfPastPeriod(days: number, now: Date = new Date()): string {
  const daysBack = days + generatorDaysAfterPeriodMax + 1;
  return new Date(now.getTime() - daysBack * 86_400_000).toISOString().slice(0, 10);
}

/** How often each delivery anomaly happens, as a probability per original transaction. */
export interface AnomalyRates {
  /** The bank sends the same transaction twice. */
  duplicate: number;
  /** The bank posts it 5-20 days after it happened. */
  late: number;
  /** The bank re-sends it with a changed amount (a tip) or date: a new version. */
  correction: number;
  /** The bank reverses it: a new version with status `reversed`. */
  reversal: number;
}

/** Rates seen in real card and bank feeds, roughly: a percent of duplicates, a few late postings. */
export const defaultAnomalyRates: Readonly<AnomalyRates> = Object.freeze({
  duplicate: 0.01,
  late: 0.03,
  correction: 0.01,
  reversal: 0.005,
});

export interface GenerateOptions {
  /** Any string or number; the same seed and options give the same output. */
  seed: string | number;
  users: number;
  days: number;
  /** First day (ISO date, in each user's zone). Fixed by default so output does not depend on today. */
  start?: string;
  /** The `source` of every record: the machine client id the transactions arrive from. */
  source?: string;
  /** Prefix for user and wallet ids, so repeated test runs against shared servers do not collide. */
  idPrefix?: string;
  /** Multiplier of everyday purchase frequency (1 = typical, 3 = a busy demo). */
  activity?: number;
  anomalies?: Partial<AnomalyRates>;
}

export type WalletType = 'bank' | 'card' | 'cash' | 'savings';

export interface GeneratedWallet {
  walletId: string;
  userId: string;
  type: WalletType;
  currency: string;
  name: string;
}

export interface GeneratedUser {
  userId: string;
  displayName: string;
  email: string;
  timeZone: string;
  homeCurrency: string;
  profile: string;
  wallets: GeneratedWallet[];
}

/** How a record reaches ingestion. */
export type DeliveryKind = 'original' | 'duplicate' | 'correction' | 'reversal';

export interface GeneratedTransaction {
  /** The `transactions.raw` payload ingest-api would publish for this delivery. */
  event: RawTransactionV1;
  delivery: DeliveryKind;
  /** When the source sends it (UTC ISO). Records come out sorted by this. */
  deliveredAt: string;
  /** Ground truth for tests of enrichment and categorization. */
  truth: {
    merchant: string | undefined;
    category: GeneratorCategory;
    subcategory: string;
    /** Posted 5 or more days after it happened. */
    late: boolean;
  };
}

export interface GeneratedDataset {
  users: GeneratedUser[];
  /** Every delivery, in delivery order. */
  transactions: GeneratedTransaction[];
}

interface ResolvedOptions {
  seed: string;
  users: number;
  days: number;
  start: DateTime;
  source: string;
  idPrefix: string;
  activity: number;
  anomalies: AnomalyRates;
}

function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const { users, days } = options;
  if (!Number.isInteger(users) || users < 1 || users > generatorUsersMax) {
    throw new RangeError(`users must be an integer in 1..${generatorUsersMax}, got ${users}`);
  }
  if (!Number.isInteger(days) || days < 1 || days > generatorDaysMax) {
    throw new RangeError(`days must be an integer in 1..${generatorDaysMax}, got ${days}`);
  }
  const start = DateTime.fromISO(options.start ?? '2026-01-01', { zone: 'UTC' });
  if (!start.isValid) throw new RangeError(`start must be an ISO date, got ${options.start}`);
  const activity = options.activity ?? 1;
  if (!(activity > 0 && activity <= 100))
    throw new RangeError(`activity must be in (0, 100], got ${activity}`);
  const anomalies = { ...defaultAnomalyRates, ...options.anomalies };
  for (const [name, rate] of Object.entries(anomalies)) {
    if (!(rate >= 0 && rate <= 0.5))
      throw new RangeError(`anomaly rate ${name} must be in [0, 0.5], got ${rate}`);
  }
  return {
    seed: String(options.seed),
    users,
    days,
    start,
    source: options.source ?? 'demo-bank',
    idPrefix: options.idPrefix ?? '',
    activity,
    anomalies,
  };
}

const firstNames = [
  'Ava',
  'Noah',
  'Mia',
  'Liam',
  'Emma',
  'Lucas',
  'Sofia',
  'Hiro',
  'Yuki',
  'Aarav',
  'Diya',
  'Lea',
  'Jonas',
  'Chloe',
  'Hugo',
  'Olivia',
  'Jack',
  'Isla',
  'Mateus',
  'Ana',
  'Fatima',
  'Omar',
  'Priya',
  'Ravi',
  'Sakura',
];
const lastNames = [
  'Smith',
  'Johnson',
  'Garcia',
  'Nguyen',
  'Mueller',
  'Schmidt',
  'Dubois',
  'Martin',
  'Tanaka',
  'Sato',
  'Patel',
  'Sharma',
  'Silva',
  'Santos',
  'Al-Sabah',
  'Brown',
  'Wilson',
  'Taylor',
  'Kim',
  'Lopez',
];

/** Monthly subscription prices in USD; charged in the local currency at the profile's price level. */
const subscriptionPricesUsd: Record<string, number> = {
  Netflix: 15.49,
  Spotify: 11.99,
  'Disney+': 13.99,
  'YouTube Premium': 13.99,
  'Apple iCloud': 2.99,
  'Google One': 2.99,
  'Microsoft 365': 9.99,
  Adobe: 59.99,
  'Amazon Prime': 14.99,
  'The New York Times': 17,
  'ChatGPT Plus': 20,
};

/** What one user buys where, fixed for the whole run (people are creatures of habit). */
interface Habits {
  user: GeneratedUser;
  profile: Profile;
  bank: GeneratedWallet;
  card: GeneratedWallet;
  cash: GeneratedWallet | undefined;
  savings: GeneratedWallet | undefined;
  travel: GeneratedWallet | undefined;
  favorites: Map<GeneratorCategory, StoreMerchant[]>;
  employer: string;
  salaryUsd: number;
  rentUsd: number;
  rentDay: number;
  subscriptions: { brand: Brand; day: number; priceUsd: number }[];
  bills: { brand: Brand; day: number; baseUsd: number; seasonal: boolean }[];
  commuter: boolean;
  driver: boolean;
  savingsShare: number;
  cardLast4: string;
}

function makeUser(options: ResolvedOptions, index: number): { habits: Habits; random: Random } {
  const random = createRandom(options.seed).fork(`user-${index}`);
  const profile = random.pick(profiles);
  const userId = `${options.idPrefix}usr_${random.uuid().replaceAll('-', '').slice(0, 20)}`;
  const first = random.pick(firstNames);
  const last = random.pick(lastNames);
  const wallet = (type: WalletType, currency: string, name: string): GeneratedWallet => ({
    walletId: `${options.idPrefix}wal_${random.uuid().replaceAll('-', '').slice(0, 20)}`,
    userId,
    type,
    currency,
    name,
  });
  const bank = wallet('bank', profile.currency, 'Current account');
  const card = wallet('card', profile.currency, 'Credit card');
  const cash = random.chance(0.6) ? wallet('cash', profile.currency, 'Cash') : undefined;
  const savings = random.chance(0.7) ? wallet('savings', profile.currency, 'Savings') : undefined;
  const travelCurrency = isCurrencyCode(profile.travelCurrency) ? profile.travelCurrency : 'USD';
  const travel = random.chance(0.25)
    ? wallet('card', travelCurrency, `Travel card ${travelCurrency}`)
    : undefined;
  const user: GeneratedUser = {
    userId,
    displayName: `${first} ${last}`,
    email: `${first}.${last}.${index}@example.test`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
    timeZone: profile.timeZone,
    homeCurrency: profile.currency,
    profile: profile.id,
    wallets: [bank, card, cash, savings, travel].filter(
      (w): w is GeneratedWallet => w !== undefined,
    ),
  };

  const favorites = new Map<GeneratorCategory, StoreMerchant[]>();
  const favoriteCounts: Partial<Record<GeneratorCategory, number>> = {
    groceries: 4,
    restaurants: 8,
    coffee: 3,
    transport: 4,
    shopping: 8,
    health: 2,
    entertainment: 3,
    travel: 4,
  };
  for (const [category, count] of Object.entries(favoriteCounts) as [GeneratorCategory, number][]) {
    const choices = brandsFor(category, profile.region);
    const stores: StoreMerchant[] = [];
    for (let i = 0; i < count && choices.length > 0; i++) {
      stores.push(pickStore(random.pick(choices), profile.region, random));
    }
    favorites.set(category, stores);
  }

  const subscriptionBrands = brandsFor('subscriptions', profile.region);
  const subscriptions: Habits['subscriptions'] = [];
  for (const brand of subscriptionBrands) {
    const isGym = brand.subcategory === 'gym';
    if (random.chance(isGym ? 0.35 : 0.3)) {
      subscriptions.push({
        brand,
        day: random.int(1, 28),
        priceUsd: subscriptionPricesUsd[brand.name] ?? 24.99,
      });
    }
  }

  const utilityBrands = brandsFor('utilities', profile.region);
  const pickUtility = (sub: (b: Brand) => boolean): Brand | undefined => {
    const list = utilityBrands.filter(sub);
    return list.length > 0 ? random.pick(list) : undefined;
  };
  const bills: Habits['bills'] = [];
  const energy = pickUtility((b) => ['electricity', 'energy'].includes(b.subcategory));
  if (energy)
    bills.push({
      brand: energy,
      day: random.int(2, 20),
      baseUsd: random.logNormal(85, 0.3),
      seasonal: true,
    });
  const phone = pickUtility((b) => b.subcategory === 'telecom');
  if (phone)
    bills.push({
      brand: phone,
      day: random.int(5, 25),
      baseUsd: random.logNormal(55, 0.3),
      seasonal: false,
    });
  const internet = pickUtility((b) => b.subcategory === 'internet');
  if (internet)
    bills.push({
      brand: internet,
      day: random.int(5, 25),
      baseUsd: random.logNormal(60, 0.2),
      seasonal: false,
    });
  const insurers = brandsFor('insurance', profile.region);
  if (insurers.length > 0 && random.chance(0.7)) {
    bills.push({
      brand: random.pick(insurers),
      day: random.int(1, 28),
      baseUsd: random.logNormal(110, 0.4),
      seasonal: false,
    });
  }

  return {
    random,
    habits: {
      user,
      profile,
      bank,
      card,
      cash,
      savings,
      travel,
      favorites,
      employer: random.pick(profile.employers),
      salaryUsd: random.logNormal(5200, 0.35),
      rentUsd: random.logNormal(1600, 0.3),
      rentDay: random.pick([1, 1, 1, 2, 3, 5]),
      subscriptions,
      bills,
      commuter: random.chance(0.6),
      driver: random.chance(0.5),
      savingsShare: random.pick([0.05, 0.1, 0.15, 0.2]),
      cardLast4: random.chars(4, '0123456789'),
    },
  };
}

/** An amount in a currency's minor units from a major-unit float, rounded half away from zero. */
function toMinor(major: number, currency: string): bigint {
  const exponent = isCurrencyCode(currency) ? currencyExponent(currency) : 2;
  const minor = Math.max(1, Math.round(Math.abs(major) * 10 ** exponent));
  return BigInt(minor);
}

/** A price that looks like a price: whole units for zero-exponent currencies, `.99` endings often. */
function localPrice(
  usd: number,
  factor: number,
  currency: string,
  random: Random,
  charm = false,
): bigint {
  const major = usd * factor;
  const exponent = isCurrencyCode(currency) ? currencyExponent(currency) : 2;
  if (charm && exponent > 0 && major >= 1) return toMinor(Math.floor(major) + 0.99, currency);
  // Zero-exponent currencies (JPY, KRW) price in round tens; a few currencies drift by a cent or so.
  if (exponent === 0) return toMinor(Math.round(major / 10) * 10 || Math.round(major), currency);
  return toMinor(major * (1 + (random.next() - 0.5) * 0.002), currency);
}

interface Occurrence {
  wallet: GeneratedWallet;
  kind: TransactionKind;
  amount: bigint;
  localTime: DateTime;
  merchant: string | undefined;
  canonical: string | undefined;
  category: GeneratorCategory;
  subcategory: string;
  mcc: string | undefined;
  description: string;
  /** Card purchases post 1-3 days later; bank transfers the same day. */
  postingLagDays: [number, number];
  transferId?: string;
  counterpartyWalletId?: string;
  correctable: boolean;
}

/** Seasonal multiplier for a category on a local date (December shopping, summer travel, winter heating). */
function seasonal(category: GeneratorCategory, date: DateTime, southern: boolean): number {
  const month = southern ? ((date.month + 5) % 12) + 1 : date.month;
  switch (category) {
    case 'shopping':
      if (date.month === 11 && date.day >= 24) return 2.5; // Black Friday week
      if (date.month === 12 && date.day <= 24) return 2;
      if (date.month === 1) return 0.7;
      return 1;
    case 'groceries':
      return date.month === 12 && date.day >= 18 && date.day <= 24 ? 1.6 : 1;
    case 'travel':
      return month >= 6 && month <= 8 ? 3 : month === 12 ? 1.8 : 0.6;
    case 'restaurants':
      return date.month === 12 ? 1.3 : date.month === 1 ? 0.8 : 1;
    default:
      return 1;
  }
}

/** Heating and cooling: energy bills are higher in winter (and a little in high summer). */
function energySeason(date: DateTime, southern: boolean): number {
  const month = southern ? ((date.month + 5) % 12) + 1 : date.month;
  return [1.5, 1.4, 1.2, 1, 0.85, 0.8, 0.9, 0.9, 0.85, 1, 1.2, 1.45][month - 1] ?? 1;
}

/** Poisson draw for small means (Knuth): how many times something happens in a day. */
function poisson(mean: number, random: Random): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random.next();
  while (p > limit && k < 50) {
    k++;
    p *= random.next();
  }
  return k;
}

function lastBusinessDay(date: DateTime): number {
  let day = date.endOf('month').startOf('day');
  while (day.weekday > 5) day = day.minus({ days: 1 });
  return day.day;
}

function atLocal(date: DateTime, hour: number, minute: number, random: Random): DateTime {
  return date.set({ hour, minute, second: random.int(0, 59), millisecond: 0 });
}

/** Everything one user does on one local day. */
function dayOccurrences(h: Habits, date: DateTime, activity: number, random: Random): Occurrence[] {
  const out: Occurrence[] = [];
  const p = h.profile;
  const weekend = date.weekday >= 6;

  const fixed = (
    wallet: GeneratedWallet,
    kind: TransactionKind,
    amount: bigint,
    time: DateTime,
    merchant: string,
    canonical: string | undefined,
    category: GeneratorCategory,
    subcategory: string,
    mcc: string | undefined,
    description: string,
  ): void => {
    out.push({
      wallet,
      kind,
      amount,
      localTime: time,
      merchant,
      canonical,
      category,
      subcategory,
      mcc,
      description,
      postingLagDays: [0, 1],
      correctable: false,
    });
  };

  // Salary on payday.
  const payday = p.payday === 'last' ? lastBusinessDay(date) : p.payday;
  if (date.day === payday) {
    const salary = localPrice(
      h.salaryUsd * random.normal(1, 0.01),
      p.incomeFactor,
      p.currency,
      random,
    );
    fixed(
      h.bank,
      'income',
      salary,
      atLocal(date, 6, random.int(0, 59), random),
      h.employer,
      undefined,
      'income',
      'salary',
      undefined,
      'SALARY',
    );
    // Part of it goes to savings the next morning? Same day keeps the pair simple and ordered.
    if (h.savings) {
      const amount = (salary * BigInt(Math.round(h.savingsShare * 100))) / 100n;
      const transferId = `trf_${random.uuid().replaceAll('-', '').slice(0, 20)}`;
      const time = atLocal(date, 9, random.int(0, 59), random);
      out.push({
        wallet: h.bank,
        kind: 'transfer_out',
        amount,
        localTime: time,
        merchant: 'TRANSFER TO SAVINGS',
        canonical: undefined,
        category: 'transfers',
        subcategory: 'savings',
        mcc: undefined,
        description: 'STANDING ORDER SAVINGS',
        postingLagDays: [0, 0],
        transferId,
        counterpartyWalletId: h.savings.walletId,
        correctable: false,
      });
      out.push({
        wallet: h.savings,
        kind: 'transfer_in',
        amount,
        localTime: time,
        merchant: 'TRANSFER FROM CURRENT',
        canonical: undefined,
        category: 'transfers',
        subcategory: 'savings',
        mcc: undefined,
        description: 'STANDING ORDER SAVINGS',
        postingLagDays: [0, 0],
        transferId,
        counterpartyWalletId: h.bank.walletId,
        correctable: false,
      });
    }
  }
  // Savings interest at month end.
  if (h.savings && date.day === date.daysInMonth) {
    const interest = localPrice(random.logNormal(6, 0.5), p.incomeFactor, p.currency, random);
    fixed(
      h.savings,
      'interest',
      interest,
      atLocal(date, 23, 30, random),
      'INTEREST PAID',
      undefined,
      'income',
      'interest',
      undefined,
      'CREDIT INTEREST',
    );
  }
  // Rent.
  if (date.day === h.rentDay) {
    const landlord = brandNamed('Landlord');
    const rent = localPrice(h.rentUsd, p.incomeFactor, p.currency, random);
    fixed(
      h.bank,
      'expense',
      rent,
      atLocal(date, 7, 0, random),
      random.pick(landlord.stems),
      landlord.name,
      'housing',
      'rent',
      landlord.mcc,
      'STANDING ORDER',
    );
  }
  // Bills (energy varies by season) and subscriptions.
  for (const bill of h.bills) {
    if (date.day !== bill.day) continue;
    const factor = bill.seasonal ? energySeason(date, p.southern) * random.normal(1, 0.08) : 1;
    const amount = localPrice(bill.baseUsd * factor, p.priceFactor, p.currency, random);
    fixed(
      h.bank,
      'expense',
      amount,
      atLocal(date, 4, random.int(0, 59), random),
      random.pick(bill.brand.stems),
      bill.brand.name,
      bill.brand.category,
      bill.brand.subcategory,
      bill.brand.mcc,
      'DIRECT DEBIT',
    );
  }
  for (const sub of h.subscriptions) {
    if (date.day !== sub.day) continue;
    const amount = localPrice(sub.priceUsd, p.priceFactor, p.currency, random, true);
    const store = pickStore(sub.brand, p.region, random);
    fixed(
      h.card,
      'expense',
      amount,
      atLocal(date, random.int(0, 5), random.int(0, 59), random),
      describe(store, random),
      sub.brand.name,
      'subscriptions',
      sub.brand.subcategory,
      sub.brand.mcc,
      'CARD PURCHASE',
    );
  }
  // Monthly account fee for some profiles' banks.
  if (date.day === 1 && (p.region === 'US' || p.region === 'GB') && h.cardLast4 < '3') {
    fixed(
      h.bank,
      'fee',
      localPrice(12, p.priceFactor, p.currency, random),
      atLocal(date, 3, 0, random),
      'MONTHLY SERVICE FEE',
      undefined,
      'transfers',
      'bank fee',
      undefined,
      'ACCOUNT FEE',
    );
  }

  // Everyday spending: Poisson counts per category, modulated by weekday and season.
  const daily: [GeneratorCategory, number, number, number, [number, number]][] = [
    // category, mean per day, median USD, sigma, [first hour, last hour]
    ['groceries', weekend ? 0.7 : 0.35, 42, 0.6, [9, 20]],
    ['coffee', weekend ? 0.3 : 0.7, 4.8, 0.3, [7, 11]],
    ['restaurants', weekend ? 0.7 : 0.3, 32, 0.55, [12, 22]],
    ['transport', h.commuter && !weekend ? 1.6 : 0.3, 3, 0.4, [7, 19]],
    ['shopping', 0.25, 38, 0.9, [10, 22]],
    ['health', 0.05, 22, 0.6, [9, 19]],
    ['entertainment', weekend ? 0.2 : 0.05, 24, 0.5, [14, 23]],
    ['travel', 0.015, 260, 0.6, [8, 22]],
  ];
  for (const [category, baseMean, medianUsd, sigma, [fromHour, toHour]] of daily) {
    const stores = h.favorites.get(category) ?? [];
    if (stores.length === 0) continue;
    const count = poisson(baseMean * activity * seasonal(category, date, p.southern), random);
    for (let i = 0; i < count; i++) {
      // Favorites are used with a Zipf-like skew: the first store most often.
      const store =
        stores[Math.min(stores.length - 1, Math.floor(stores.length * random.next() ** 2))] ??
        stores[0];
      if (!store) continue;
      let usd = random.logNormal(medianUsd, sigma);
      if (store.brand.subcategory === 'fuel') {
        if (!h.driver) continue;
        usd = random.logNormal(55, 0.3);
      }
      if (['fast food', 'fast casual'].includes(store.brand.subcategory))
        usd = random.logNormal(12, 0.35);
      if (store.brand.subcategory === 'public transit') usd = random.pick([2.9, 2.9, 2.75, 3.4]);
      if (store.brand.subcategory === 'rideshare') usd = random.logNormal(17, 0.5);
      if (category === 'shopping' && store.brand.subcategory === 'electronics')
        usd = random.logNormal(180, 0.8);
      const useTravel = category === 'travel' && h.travel !== undefined && random.chance(0.6);
      const useCash =
        !useTravel &&
        h.cash !== undefined &&
        ['coffee', 'restaurants', 'groceries'].includes(category) &&
        random.chance(0.15);
      const wallet = useTravel && h.travel ? h.travel : useCash && h.cash ? h.cash : h.card;
      const factor =
        wallet.currency === p.currency ? p.priceFactor : wallet.currency === 'JPY' ? 140 : 1;
      const amount = localPrice(usd, factor, wallet.currency, random);
      out.push({
        wallet,
        kind: 'expense',
        amount,
        localTime: atLocal(date, random.int(fromHour, toHour - 1), random.int(0, 59), random),
        merchant: useCash ? store.brand.name : describe(store, random),
        canonical: store.brand.name,
        category,
        subcategory: store.brand.subcategory,
        mcc: useCash ? undefined : store.brand.mcc,
        description: useCash ? 'Cash purchase' : 'CARD PURCHASE',
        postingLagDays: useCash ? [0, 0] : [1, 3],
        correctable: !useCash,
      });
      // Some online purchases come back as a refund a week or two later (a new transaction).
      if (category === 'shopping' && !useCash && random.chance(0.03)) {
        out.push({
          wallet,
          kind: 'refund',
          amount,
          localTime: atLocal(
            date.plus({ days: random.int(5, 15) }),
            random.int(9, 18),
            random.int(0, 59),
            random,
          ),
          merchant: describe(store, random),
          canonical: store.brand.name,
          category,
          subcategory: store.brand.subcategory,
          mcc: store.brand.mcc,
          description: 'REFUND',
          postingLagDays: [1, 2],
          correctable: false,
        });
      }
    }
  }
  // A cash withdrawal now and then, for users with a cash wallet.
  if (h.cash && random.chance(0.06 * activity)) {
    const amount = localPrice(random.pick([50, 100, 100, 200]), p.priceFactor, p.currency, random);
    const transferId = `trf_${random.uuid().replaceAll('-', '').slice(0, 20)}`;
    const time = atLocal(date, random.int(8, 20), random.int(0, 59), random);
    out.push({
      wallet: h.bank,
      kind: 'withdrawal',
      amount,
      localTime: time,
      merchant: `ATM WITHDRAWAL ${random.chars(6, '0123456789')}`,
      canonical: undefined,
      category: 'cash',
      subcategory: 'atm',
      mcc: '6011',
      description: 'CASH WITHDRAWAL',
      postingLagDays: [0, 1],
      transferId,
      counterpartyWalletId: h.cash.walletId,
      correctable: false,
    });
    out.push({
      wallet: h.cash,
      kind: 'deposit',
      amount,
      localTime: time,
      merchant: 'ATM WITHDRAWAL',
      canonical: undefined,
      category: 'cash',
      subcategory: 'atm',
      mcc: undefined,
      description: 'Cash from ATM',
      postingLagDays: [0, 0],
      transferId,
      counterpartyWalletId: h.bank.walletId,
      correctable: false,
    });
  }
  return out;
}

/**
 * Generate the users and every delivery, in delivery order. Deterministic for the same options.
 * For large runs prefer `iterateTransactions`, which holds only a few days in memory.
 */
export function generateTransactions(options: GenerateOptions): GeneratedDataset {
  const users = generateUsers(options);
  return { users, transactions: Array.from(iterateTransactions(options)) };
}

/** The users and wallets of a run, without their transactions (cheap). */
export function generateUsers(options: GenerateOptions): GeneratedUser[] {
  const resolved = resolveOptions(options);
  return Array.from({ length: resolved.users }, (_, i) => makeUser(resolved, i).habits.user);
}

/**
 * Every delivery of a run, in delivery order, streamed: it keeps a window of about a month of pending
 * deliveries, not the whole run.
 */
export function* iterateTransactions(options: GenerateOptions): Generator<GeneratedTransaction> {
  const resolved = resolveOptions(options);
  const users = Array.from({ length: resolved.users }, (_, i) => makeUser(resolved, i));
  const pending: GeneratedTransaction[] = [];
  const startMs = resolved.start.toMillis();
  const dayMs = 24 * 3600 * 1000;

  for (let day = 0; day < resolved.days; day++) {
    for (const { habits, random } of users) {
      // The zone's offset at local noon, held fixed for the day: luxon's named-zone arithmetic is the
      // generator's hot spot, and a fixed offset keeps every timestamp self-consistent.
      const civil = resolved.start.plus({ days: day });
      const noon = DateTime.fromObject(
        { year: civil.year, month: civil.month, day: civil.day, hour: 12 },
        { zone: habits.profile.timeZone },
      );
      const date = DateTime.fromObject(
        { year: civil.year, month: civil.month, day: civil.day },
        { zone: FixedOffsetZone.instance(noon.offset) },
      );
      for (const occurrence of dayOccurrences(habits, date, resolved.activity, random)) {
        pending.push(...deliveries(resolved, habits, occurrence, random));
      }
    }
    // Everything delivered before the earliest moment a later day could deliver is final.
    const horizonMs = startMs + (day - 1) * dayMs;
    pending.sort(compareDelivery);
    let ready = 0;
    while (ready < pending.length && Date.parse(pending[ready]!.deliveredAt) < horizonMs) ready++;
    yield* pending.splice(0, ready);
  }
  pending.sort(compareDelivery);
  yield* pending;
}

function compareDelivery(a: GeneratedTransaction, b: GeneratedTransaction): number {
  return a.deliveredAt < b.deliveredAt ? -1 : a.deliveredAt > b.deliveredAt ? 1 : 0;
}

function deliveries(
  options: ResolvedOptions,
  h: Habits,
  o: Occurrence,
  random: Random,
): GeneratedTransaction[] {
  const externalId = `${o.localTime.toFormat('yyyyMMdd')}${random.chars(12)}`;
  const late = random.chance(options.anomalies.late);
  const lagDays = late ? random.int(5, 20) : random.int(o.postingLagDays[0], o.postingLagDays[1]);
  const posted = o.localTime.plus({
    days: lagDays,
    hours: lagDays === 0 ? random.int(0, 2) : 0,
    minutes: random.int(1, 59),
  });
  const bankCategory = random.chance(0.6)
    ? bankCategoryLabels[h.profile.bankCategoryStyle][o.category]
    : undefined;
  const base: RawTransactionV1 = {
    transactionId: transactionIdFor(options.source, externalId),
    source: options.source,
    externalId,
    userId: h.user.userId,
    walletId: o.wallet.walletId,
    kind: o.kind,
    amount: {
      amount: o.amount,
      currency: o.wallet.currency as RawTransactionV1['amount']['currency'],
    },
    occurredAt: o.localTime.toISO({ suppressMilliseconds: true }) ?? '',
    ...(o.merchant ? { merchant: o.merchant } : {}),
    description: o.description,
    ...(o.mcc ? { mcc: o.mcc } : {}),
    ...(bankCategory ? { bankCategory } : {}),
    tags: [],
    metadata: {
      postedAt: posted.toUTC().toISO({ suppressMilliseconds: true }) ?? '',
      ...(o.wallet.type === 'card' ? { cardLast4: h.cardLast4 } : {}),
    },
    ...(o.transferId
      ? {
          transfer: {
            transferId: o.transferId,
            internal: true,
            ...(o.counterpartyWalletId ? { counterpartyWalletId: o.counterpartyWalletId } : {}),
          },
        }
      : {}),
    channel: 'api',
    version: 1,
    status: 'booked',
  };
  const truth = { merchant: o.canonical, category: o.category, subcategory: o.subcategory, late };
  const deliveredAt = (t: DateTime): string => t.toUTC().toISO() ?? '';
  const out: GeneratedTransaction[] = [
    { event: base, delivery: 'original', deliveredAt: deliveredAt(posted), truth },
  ];

  if (random.chance(options.anomalies.duplicate)) {
    const again = posted.plus({ minutes: random.int(1, 24 * 60) });
    out.push({ event: base, delivery: 'duplicate', deliveredAt: deliveredAt(again), truth });
  }
  let latest = base;
  let latestAt = posted;
  // Tips make restaurant card payments the classic correction: the pre-authorised amount grows.
  const correctionRate = options.anomalies.correction * (o.category === 'restaurants' ? 5 : 1);
  if (o.correctable && random.chance(correctionRate)) {
    const tip = o.category === 'restaurants' || random.chance(0.5);
    const corrected: RawTransactionV1 = tip
      ? {
          ...latest,
          version: latest.version + 1,
          amount: {
            ...latest.amount,
            amount:
              latest.amount.amount +
              (latest.amount.amount * BigInt(random.int(10, 20))) / 100n +
              1n,
          },
        }
      : {
          ...latest,
          version: latest.version + 1,
          occurredAt: o.localTime.minus({ days: 1 }).toISO({ suppressMilliseconds: true }) ?? '',
        };
    latestAt = latestAt.plus({ days: random.int(1, 3) });
    out.push({
      event: corrected,
      delivery: 'correction',
      deliveredAt: deliveredAt(latestAt),
      truth,
    });
    latest = corrected;
  }
  if (o.kind === 'expense' && random.chance(options.anomalies.reversal)) {
    const reversed: RawTransactionV1 = {
      ...latest,
      version: latest.version + 1,
      status: 'reversed',
    };
    latestAt = latestAt.plus({ days: random.int(1, 5) });
    out.push({ event: reversed, delivery: 'reversal', deliveredAt: deliveredAt(latestAt), truth });
  }
  return out;
}

/**
 * The final state after exact-once ingestion: one record per transaction id, its highest version
 * (reversed ones keep status `reversed`). What every downstream store should converge to.
 */
export function finalTransactions(
  transactions: Iterable<GeneratedTransaction>,
): RawTransactionV1[] {
  const byId = new Map<string, RawTransactionV1>();
  for (const { event } of transactions) {
    const known = byId.get(event.transactionId);
    if (!known || known.version < event.version) byId.set(event.transactionId, event);
  }
  return [...byId.values()].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}
