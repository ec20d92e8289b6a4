/**
 * One realistic, valid example event per (topic, type, version). They illustrate the AsyncAPI
 * document, and tests (here and in other workspaces) start from them with `structuredClone` and
 * change what they need.
 */
import type { TopicEvent } from './catalog.js';
import { topics, type TopicName } from './topics.js';

const userId = 'user_7Hq2';
const at = '2026-11-24T19:32:10.000+01:00';
const producedAt = '2026-11-24T18:32:10.412Z';

const rawTransaction: TopicEvent<typeof topics.transactionsRaw> = {
  id: 'evt_tx_acme-000123_v1',
  type: 'transaction.raw',
  version: 1,
  key: userId,
  occurredAt: at,
  producedAt,
  source: 'ingest-api',
  payload: {
    transactionId: 'tx_acme-000123',
    source: 'client_acme-bank',
    externalId: 'ACME-2026-11-24-000123',
    userId,
    walletId: 'wal_card1',
    kind: 'expense',
    amount: { amount: 4_599n, currency: 'EUR' },
    occurredAt: at,
    merchant: 'CARREFOUR CITY 1234 PARIS',
    description: 'CB CARREFOUR CITY 24/11',
    mcc: '5411',
    bankCategory: 'Groceries',
    tags: ['weekly-shop'],
    metadata: { bankReference: 'RF18539007547034' },
    channel: 'api',
    version: 1,
    status: 'booked',
  },
};

const enrichedTransaction: TopicEvent<typeof topics.transactionsEnriched> = {
  ...rawTransaction,
  id: 'evt_txe_acme-000123_v1',
  type: 'transaction.enriched',
  source: 'stream-jobs/enricher',
  causationId: rawTransaction.id,
  payload: {
    ...rawTransaction.payload,
    merchantClean: 'Carrefour City',
    merchantKey: 'carrefour',
    category: { id: 'groceries', name: 'Groceries', path: ['food', 'groceries'], source: 'mcc' },
    homeAmount: { amount: 4_599n, currency: 'EUR' },
    conversion: { rate: '1', rateDate: '2026-11-24', rounding: 'half-even', provider: 'identity' },
    timeZone: 'Europe/Paris',
    localDate: '2026-11-24',
    localWeek: '2026-W48',
    localMonth: '2026-11',
  },
};

const recategorized: TopicEvent<typeof topics.transactionsCorrections> = {
  id: 'evt_corr_01',
  type: 'transaction.recategorized',
  version: 1,
  key: userId,
  occurredAt: '2026-11-25T08:00:00.000Z',
  producedAt: '2026-11-25T08:00:00.020Z',
  source: 'analytics-api',
  payload: {
    correctionId: 'corr_01',
    transactionId: 'tx_acme-000123',
    userId,
    category: 'household',
    previousCategory: 'groceries',
    applyToMerchant: true,
    merchantKey: 'carrefour',
    correctedAt: '2026-11-25T08:00:00.000Z',
  },
};

const alertRaised: TopicEvent<typeof topics.alerts> = {
  id: 'evt_alert_budget_groceries_2026-11-01_p80',
  type: 'alert.raised',
  version: 1,
  key: userId,
  occurredAt: at,
  producedAt: '2026-11-24T18:32:10.900Z',
  source: 'stream-jobs/alerts',
  causationId: enrichedTransaction.id,
  payload: {
    alertId: 'alert_budget_groceries_2026-11-01_p80',
    userId,
    rule: 'budget_threshold',
    subject: { kind: 'budget', id: 'bud_groceries', name: 'Groceries' },
    period: { kind: 'month', start: '2026-11-01', end: '2026-12-01', timeZone: 'Europe/Paris' },
    threshold: { kind: 'percent', percent: 80 },
    severity: 'warning',
    late: false,
    amounts: {
      observed: { amount: 32_150n, currency: 'EUR' },
      limit: { amount: 40_000n, currency: 'EUR' },
    },
    transactionId: 'tx_acme-000123',
    message: 'You have spent 80% of your Groceries budget for November (€321.50 of €400.00).',
    firedAt: '2026-11-24T18:32:10.880Z',
  },
};

const walletRef = {
  walletId: 'wal_card1',
  name: 'Everyday card',
  kind: 'card',
  currency: 'EUR',
  status: 'active',
  lowBalanceThreshold: { amount: 5_000n, currency: 'EUR' },
  allowNegative: false,
} as const;

const walletOpened: TopicEvent<typeof topics.walletEvents> = {
  id: 'evt_wallet_opened_wal_card1',
  type: 'wallet.opened',
  version: 1,
  key: userId,
  occurredAt: '2026-01-03T10:00:00.000Z',
  producedAt: '2026-01-03T10:00:00.050Z',
  source: 'wallet-api',
  payload: { userId, wallet: walletRef, openedAt: '2026-01-03T10:00:00.000Z' },
};

const walletUpdated: TopicEvent<typeof topics.walletEvents> = {
  ...walletOpened,
  id: 'evt_wallet_updated_wal_card1_2',
  type: 'wallet.updated',
  payload: {
    userId,
    wallet: { ...walletRef, name: 'Main card' },
    updatedAt: '2026-02-01T09:00:00.000Z',
  },
};

const walletBalanceChanged: TopicEvent<typeof topics.walletEvents> = {
  id: 'evt_posting_wal_card1_42',
  type: 'wallet.balance_changed',
  version: 1,
  key: userId,
  occurredAt: at,
  producedAt,
  source: 'wallet-api',
  payload: {
    userId,
    walletId: 'wal_card1',
    sequence: 42,
    delta: { amount: -4_599n, currency: 'EUR' },
    balance: { amount: 120_401n, currency: 'EUR' },
    transactionId: 'tx_acme-000123',
    postedAt: at,
  },
};

const deadLetter: TopicEvent<typeof topics.deadLetter> = {
  id: 'dl:transactions.raw:3:1842',
  type: 'dead_letter',
  version: 1,
  key: userId,
  occurredAt: '2026-11-24T18:40:00.000Z',
  producedAt: '2026-11-24T18:40:00.000Z',
  source: 'stream-jobs/enricher',
  payload: {
    original: {
      topic: 'transactions.raw',
      partition: 3,
      offset: '1842',
      key: userId,
      valueBase64: Buffer.from('{"type":"transaction.raw","version":9}').toString('base64'),
      valueTruncated: false,
      headers: { 'event-type': 'transaction.raw', 'event-version': '9' },
      eventType: 'transaction.raw',
      eventVersion: 9,
    },
    reason: {
      code: 'unknown_version',
      message:
        'event type transaction.raw version 9 is unknown on transactions.raw (known versions: 1)',
      issues: [],
    },
    consumer: 'stream-jobs.enricher',
    attempts: 1,
    failedAt: '2026-11-24T18:40:00.000Z',
  },
};

const budgetsSnapshot: TopicEvent<typeof topics.refBudgets> = {
  id: 'evt_budgets_user_7Hq2_r7',
  type: 'budgets.snapshot',
  version: 1,
  key: userId,
  occurredAt: '2026-11-01T07:00:00.000Z',
  producedAt: '2026-11-01T07:00:00.010Z',
  source: 'analytics-api',
  payload: {
    userId,
    revision: 7,
    budgets: [
      {
        budgetId: 'bud_groceries',
        name: 'Groceries',
        limit: { amount: 40_000n, currency: 'EUR' },
        period: { kind: 'month', startDay: 1 },
        scope: { categories: ['food'], walletIds: [], tags: [], merchantKeys: [] },
        thresholds: [80, 100],
        rollover: false,
        active: true,
        createdAt: '2026-01-03T10:00:00.000Z',
        updatedAt: '2026-11-01T07:00:00.000Z',
      },
      {
        budgetId: 'bud_payday',
        name: 'Fun money, payday to payday',
        limit: { amount: 25_000n, currency: 'EUR' },
        period: { kind: 'month', startDay: 25 },
        scope: {
          categories: ['leisure', 'restaurants'],
          walletIds: [],
          tags: [],
          merchantKeys: [],
        },
        thresholds: [50, 90, 100],
        rollover: false,
        active: true,
        createdAt: '2026-01-03T10:00:00.000Z',
        updatedAt: '2026-01-03T10:00:00.000Z',
      },
    ],
  },
};

const userSettings: TopicEvent<typeof topics.refUserSettings> = {
  id: 'evt_settings_user_7Hq2_r3',
  type: 'user_settings.snapshot',
  version: 1,
  key: userId,
  occurredAt: '2026-06-01T12:00:00.000Z',
  producedAt: '2026-06-01T12:00:00.010Z',
  source: 'wallet-api',
  payload: {
    userId,
    revision: 3,
    timeZone: 'Europe/Paris',
    homeCurrency: 'EUR',
    locale: 'fr-FR',
    alerts: {
      enabled: true,
      largeTransactionMin: { amount: 50_000n, currency: 'EUR' },
      unusualSpendingFactor: '3',
    },
    updatedAt: '2026-06-01T12:00:00.000Z',
  },
};

const categoryRules: TopicEvent<typeof topics.refCategoryRules> = {
  id: 'evt_rules_user_7Hq2_r12',
  type: 'category_rules.snapshot',
  version: 1,
  key: userId,
  occurredAt: '2026-11-25T08:00:00.000Z',
  producedAt: '2026-11-25T08:00:00.030Z',
  source: 'analytics-api',
  payload: {
    userId,
    revision: 12,
    rules: [
      {
        ruleId: 'rule_carrefour',
        priority: 10,
        match: { merchantKey: 'carrefour' },
        category: 'household',
        addTags: [],
        origin: 'correction',
        createdAt: '2026-11-25T08:00:00.000Z',
      },
      {
        ruleId: 'rule_big_rent',
        priority: 20,
        match: { descriptionContains: 'loyer', amountMin: { amount: 50_000n, currency: 'EUR' } },
        category: 'rent',
        addTags: ['housing'],
        origin: 'user',
        createdAt: '2026-02-01T09:00:00.000Z',
      },
    ],
    categories: [{ id: 'household', name: 'Household', parentId: 'home' }],
  },
};

const walletsSnapshot: TopicEvent<typeof topics.refWallets> = {
  id: 'evt_wallets_user_7Hq2_r4',
  type: 'wallets.snapshot',
  version: 1,
  key: userId,
  occurredAt: '2026-02-01T09:00:00.000Z',
  producedAt: '2026-02-01T09:00:00.010Z',
  source: 'wallet-api',
  payload: {
    userId,
    revision: 4,
    wallets: [
      walletRef,
      {
        walletId: 'wal_cash',
        name: 'Cash',
        kind: 'cash',
        currency: 'EUR',
        status: 'active',
        allowNegative: false,
      },
      {
        walletId: 'wal_usd',
        name: 'US account',
        kind: 'bank',
        currency: 'USD',
        status: 'active',
        allowNegative: true,
        members: [
          { userId: 'user_9Lk3', role: 'editor' },
          { userId: 'user_4Rt8', role: 'viewer' },
        ],
      },
    ],
    shared: [
      {
        walletId: 'wal_household',
        ownerId: 'user_2Bn5',
        role: 'editor',
        name: 'Household',
        currency: 'EUR',
        status: 'active',
      },
    ],
  },
};

const annotated: TopicEvent<typeof topics.transactionsCorrections> = {
  id: 'evt_corr_02',
  type: 'transaction.annotated',
  version: 1,
  key: userId,
  occurredAt: '2026-11-25T08:05:00.000Z',
  producedAt: '2026-11-25T08:05:00.020Z',
  source: 'analytics-api',
  payload: {
    correctionId: 'corr_02',
    transactionId: 'tx_acme-000123',
    userId,
    tags: ['weekly-shop', 'shared'],
    note: 'split with Sam',
    annotatedAt: '2026-11-25T08:05:00.000Z',
  },
};

/** One example of every (topic, type, version) in the catalog. */
export const exampleEvents = {
  [topics.transactionsRaw]: [rawTransaction],
  [topics.transactionsEnriched]: [enrichedTransaction],
  [topics.transactionsCorrections]: [recategorized, annotated],
  [topics.alerts]: [alertRaised],
  [topics.walletEvents]: [walletOpened, walletUpdated, walletBalanceChanged],
  [topics.deadLetter]: [deadLetter],
  [topics.refBudgets]: [budgetsSnapshot],
  [topics.refUserSettings]: [userSettings],
  [topics.refCategoryRules]: [categoryRules],
  [topics.refWallets]: [walletsSnapshot],
} as const satisfies { [T in TopicName]: readonly TopicEvent<T>[] };
