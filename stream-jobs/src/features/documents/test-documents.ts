/**
 * Test factories: raw transactions and the documents enrichment makes of them, with a fixed
 * context, so store and pipeline tests build their own data in one line.
 */
import { DateTime } from 'luxon';
import type { RawTransactionV1 } from '@spendstream/core/events/transactions';
import type { Budget } from '@spendstream/core/events/reference';
import { enrich, type UserContext } from '../enrich/enrich.js';
import { createRatesTable } from '../enrich/rates.js';
import {
  contributionList,
  transactionCellsOf,
  type Contribution,
} from '../rollups/contributions.js';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createMongoDocumentStore, dropMongoDatabase } from './mongo-store.js';
import type { ApplyItem, DocumentStore } from './store.js';
import type { TransactionDocument } from './transaction-document.js';

const rates = createRatesTable();
const fixedNow = DateTime.fromISO('2026-11-25T12:00:00Z', { zone: 'utc' });

/** Merchant descriptors as banks send them, for generated transactions. */
export const sampleMerchants: readonly string[] = [
  'COUNTDOWN PONSONBY',
  'UBER *TRIP',
  'NETFLIX.COM',
  'SQ *JOES CAFE',
  'SHELL OIL 5744',
  'AMZN MKTP US*2K4',
];

export function rawTransaction(overrides: Partial<RawTransactionV1> = {}): RawTransactionV1 {
  const id = overrides.transactionId ?? 'tx-1';
  return {
    transactionId: id,
    source: 'bank-a',
    externalId: `ext-${id}`,
    userId: 'user-1',
    walletId: 'wallet-1',
    kind: 'expense',
    amount: { amount: 1250n, currency: 'NZD' },
    occurredAt: '2026-11-20T10:00:00+13:00',
    merchant: 'COUNTDOWN PONSONBY',
    tags: [],
    metadata: {},
    version: 1,
    status: 'booked',
    ...overrides,
  };
}

export function userContext(overrides: Partial<UserContext> = {}): UserContext {
  return {
    settings: { timeZone: 'Pacific/Auckland', homeCurrency: 'NZD' },
    budgets: [],
    categorization: { rules: [], merchantCorrections: new Map(), customCategories: new Map() },
    categoryRevision: 0,
    ...overrides,
  };
}

export function monthlyBudget(
  budgetId: string,
  limitMinor: bigint,
  categories: string[] = [],
  startDay = 1,
): Budget {
  return {
    budgetId,
    name: `Budget ${budgetId}`,
    limit: { amount: limitMinor, currency: 'NZD' },
    period: { kind: 'month', startDay },
    scope: { categories, walletIds: [], tags: [], merchantKeys: [] },
    thresholds: [50, 80, 100],
    rollover: false,
    active: true,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

export function documentOf(
  raw: RawTransactionV1,
  user: UserContext = userContext(),
): TransactionDocument {
  return enrich({
    raw,
    eventId: `ev-${raw.transactionId}-${raw.version}`,
    user,
    rates,
    now: fixedNow,
  });
}

/** An item to apply, with its cells also as `Contribution` objects (what the tests compare). */
export function applyItemOf(
  raw: RawTransactionV1,
  user: UserContext = userContext(),
): ApplyItem & { contributions: Contribution[] } {
  const doc = documentOf(raw, user);
  const cells = transactionCellsOf(doc);
  return { doc, cells, contributions: contributionList(cells) };
}

export function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** A MongoDB store on a fresh database of the real server; `cleanup` closes it and drops the database. */
export function freshMongoDocumentStore(prefix: string): {
  store: DocumentStore;
  cleanup(): Promise<void>;
} {
  const url = realServers(['MONGODB_URL']).MONGODB_URL;
  const dbName = uniqueName(prefix);
  const store = createMongoDocumentStore({ url, dbName });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropMongoDatabase(url, dbName);
    },
  };
}
