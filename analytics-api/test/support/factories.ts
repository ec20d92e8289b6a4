/**
 * A seeded generator of enriched transaction documents for the contract suite: a few users in far
 * and DST-observing zones, several wallets and currencies, categories with subcategories, tags,
 * merchants with multi-word names, internal transfers; plus hand-placed transactions on the edges
 * (midnight in Kiritimati, the New York DST night, the end of a month in Pago Pago).
 */
import { DateTime } from 'luxon';
import { seededRandom } from '@spendstream/core/testing/random';
import type { Budget } from '@spendstream/core/events';
import type { Flow, TransactionDoc, TransactionKind } from '../../src/query/analytics-store.js';

export interface TestUser {
  userId: string;
  timeZone: string;
  homeCurrency: string;
  walletIds: string[];
}

const spendCategories: Array<[string, string | null, string[]]> = [
  ['food', 'groceries', ['Green Grocer Market', 'Fresh Foods Store']],
  ['food', 'coffee', ['Cafe Luna', 'Bean There Coffee']],
  ['food', 'restaurants', ['Pizza Planet', 'The Golden Wok']],
  ['transport', 'public_transport', ['Metro Transit']],
  ['transport', 'fuel', ['Shell Station']],
  ['housing', 'rent', ['Landlord Homes']],
  ['shopping', null, ['Book Nook', 'Mega Mart Online']],
];
const tagPool = ['work', 'family', 'travel', 'health', 'gift'];
const notePool = [null, null, null, 'team lunch', 'birthday gift for mum', 'reimbursable trip'];

/**
 * stream-jobs' key of a merchant not in its dictionary (`raw:<words>`): never the display name, so
 * a test can tell which of the two an answer or an event carries.
 */
export function merchantKeyOf(merchant: string | null): string | null {
  if (merchant === null) return null;
  const words = merchant.toLowerCase().split(/[^\p{L}\p{N}]+/u);
  return `raw:${words.filter((word) => word !== '').join('-')}`;
}

/**
 * Build one document, deriving the local date in the user's zone the way stream-jobs does, and the
 * merchant key from the merchant unless `fields` gives one.
 */
export function makeDoc(
  user: TestUser,
  fields: Partial<TransactionDoc> & { id: string; occurredAt: string },
): TransactionDoc {
  const occurredAt = DateTime.fromISO(fields.occurredAt, { setZone: true }).toUTC().toISO()!;
  const kind: TransactionKind = fields.kind ?? 'expense';
  const flow: Flow = fields.flow ?? (kind === 'income' ? 'income' : 'spend');
  const amountMinor = fields.amountMinor ?? 1000n;
  return {
    userId: user.userId,
    walletId: user.walletIds[0]!,
    kind,
    flow,
    status: 'booked',
    localDate: DateTime.fromISO(occurredAt).setZone(user.timeZone).toISODate()!,
    timeZone: user.timeZone,
    amountMinor,
    currency: user.homeCurrency,
    homeAmountMinor: fields.homeAmountMinor ?? amountMinor,
    homeCurrency: user.homeCurrency,
    category: 'shopping',
    subcategory: null,
    merchant: 'Book Nook',
    description: 'card payment',
    note: null,
    tags: [],
    ...fields,
    merchantKey:
      fields.merchantKey !== undefined
        ? fields.merchantKey
        : merchantKeyOf(fields.merchant === undefined ? 'Book Nook' : fields.merchant),
    occurredAt,
  };
}

export const testUsers: TestUser[] = [
  {
    userId: 'u-kiritimati',
    timeZone: 'Pacific/Kiritimati',
    homeCurrency: 'AUD',
    walletIds: ['w-k1', 'w-k2'],
  },
  {
    userId: 'u-newyork',
    timeZone: 'America/New_York',
    homeCurrency: 'USD',
    walletIds: ['w-n1', 'w-n2', 'w-n3'],
  },
  { userId: 'u-pagopago', timeZone: 'Pacific/Pago_Pago', homeCurrency: 'USD', walletIds: ['w-p1'] },
  { userId: 'u-paris', timeZone: 'Europe/Paris', homeCurrency: 'EUR', walletIds: ['w-f1', 'w-f2'] },
];

/** The hand-placed edge transactions (ids start with `edge-`). */
export function edgeDocs(users: TestUser[] = testUsers): TransactionDoc[] {
  const [kiritimati, newYork, pagoPago] = users as [TestUser, TestUser, TestUser];
  return [
    // 2026-02-01 00:30 in Kiritimati (+14): February there, still 31 January in UTC.
    makeDoc(kiritimati, {
      id: 'edge-k-feb',
      occurredAt: '2026-01-31T10:30:00Z',
      amountMinor: 7001n,
    }),
    // 2026-01-31 23:59 in Kiritimati: the last minute of January.
    makeDoc(kiritimati, {
      id: 'edge-k-jan',
      occurredAt: '2026-01-31T09:59:00Z',
      amountMinor: 7002n,
    }),
    // New York DST starts 2026-03-08 at 02:00 EST: 01:30 EST on the 8th...
    makeDoc(newYork, {
      id: 'edge-n-before',
      occurredAt: '2026-03-08T06:30:00Z',
      amountMinor: 8001n,
    }),
    // ...23:30 EDT, still the 8th...
    makeDoc(newYork, { id: 'edge-n-late', occurredAt: '2026-03-09T03:30:00Z', amountMinor: 8002n }),
    // ...00:30 EDT on the 9th (a fixed -05:00 offset would put it on the 8th).
    makeDoc(newYork, {
      id: 'edge-n-after',
      occurredAt: '2026-03-09T04:30:00Z',
      amountMinor: 8003n,
    }),
    // 2026-02-28 23:30 in Pago Pago (-11): February there, 1 March in UTC.
    makeDoc(pagoPago, { id: 'edge-p-feb', occurredAt: '2026-03-01T10:30:00Z', amountMinor: 9001n }),
  ];
}

/** Generate `perUser` random documents for each user between 2025-01-01 and 2026-12-31. */
export function generateDocs(
  seed: number,
  perUser: number,
  users: TestUser[] = testUsers,
): TransactionDoc[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const start = Date.parse('2025-01-01T00:00:00Z');
  const spanMs = Date.parse('2027-01-01T00:00:00Z') - start;
  const docs: TransactionDoc[] = [];
  for (const user of users) {
    for (let index = 0; index < perUser; index += 1) {
      const occurredAt = new Date(start + Math.floor(random() * spanMs)).toISOString();
      const roll = random();
      const id = `${user.userId}-t${index}`;
      const walletId = pick(user.walletIds);
      const foreign = random() < 0.2;
      const amountMinor = BigInt(100 + Math.floor(random() * 20_000));
      const homeAmountMinor = foreign ? (amountMinor * 9n) / 10n : amountMinor;
      const currency = foreign ? (user.homeCurrency === 'EUR' ? 'GBP' : 'EUR') : user.homeCurrency;
      const tags = tagPool.filter(() => random() < 0.15);
      if (roll < 0.12) {
        docs.push(
          makeDoc(user, {
            id,
            occurredAt,
            walletId,
            kind: 'income',
            flow: 'income',
            amountMinor: amountMinor * 10n,
            homeAmountMinor: homeAmountMinor * 10n,
            currency,
            category: 'income',
            subcategory: 'salary',
            merchant: 'Acme Payroll',
            description: 'salary',
            tags,
          }),
        );
      } else if (roll < 0.17) {
        docs.push(
          makeDoc(user, {
            id,
            occurredAt,
            walletId,
            kind: 'transfer_out',
            flow: 'neutral',
            amountMinor,
            homeAmountMinor,
            currency,
            category: 'transfers',
            subcategory: 'own_transfers',
            merchant: null,
            description: 'to savings',
            tags,
          }),
        );
      } else {
        const [category, subcategory, merchants] = pick(spendCategories);
        const merchant = pick(merchants);
        docs.push(
          makeDoc(user, {
            id,
            occurredAt,
            walletId,
            kind: random() < 0.1 ? 'fee' : 'expense',
            flow: 'spend',
            amountMinor,
            homeAmountMinor,
            currency,
            category,
            subcategory,
            merchant,
            description: `card payment ${merchant.toLowerCase()}`,
            note: pick(notePool),
            status: random() < 0.05 ? 'reversed' : 'booked',
            tags,
          }),
        );
      }
    }
  }
  return docs;
}

/** A monthly EUR budget over all spend (10,000 minor units, 80 and 100 %), `fields` on top. */
export function makeBudget(budgetId: string, fields: Partial<Budget> = {}): Budget {
  return {
    budgetId,
    name: `Budget ${budgetId}`,
    limit: { amount: 10_000n, currency: 'EUR' },
    period: { kind: 'month', startDay: 1 },
    scope: { categories: [], walletIds: [], tags: [], merchantKeys: [] },
    thresholds: [80, 100],
    rollover: false,
    active: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}
