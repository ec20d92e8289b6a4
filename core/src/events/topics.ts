/**
 * Topic names, one constant each, and what each topic is for. Every message on every topic is keyed
 * by the user id, so one user's events stay in order on one partition, and the reference topics are
 * co-partitioned with the transaction topics (a stream job joins a transaction with its user's
 * budgets, settings and rules from the same partition number).
 */

export const topics = {
  /** Raw transactions as accepted by ingest-api (banks, apps, file imports) and wallet-api. */
  transactionsRaw: 'transactions.raw',
  /** Canonical transactions: cleaned merchant, category path, home-currency amount, local date. */
  transactionsEnriched: 'transactions.enriched',
  /** User corrections from analytics-api (recategorize a transaction, learn a merchant rule). */
  transactionsCorrections: 'transactions.corrections',
  /** Spend alerts, one per (rule, subject, period, threshold); other systems subscribe here. */
  alerts: 'alerts',
  /** Wallet lifecycle and balance changes from wallet-api's outbox. */
  walletEvents: 'wallet.events',
  /** Poison messages from any consumer, with the original bytes and the reason. */
  deadLetter: 'dead-letter',
  /** Compacted: each user's current budgets (the whole set, one message per user). */
  refBudgets: 'ref.budgets',
  /** Compacted: each user's settings (time zone, home currency, alert preferences). */
  refUserSettings: 'ref.user-settings',
  /** Compacted: each user's categorization rules and custom categories. */
  refCategoryRules: 'ref.category-rules',
  /** Compacted: each user's wallets (currency, low-balance threshold, status). */
  refWallets: 'ref.wallets',
} as const;

export type TopicName = (typeof topics)[keyof typeof topics];

/** Every topic, in a stable order (for creating them at start). */
export const topicNames: readonly TopicName[] = Object.freeze(Object.values(topics));

export interface TopicSpec {
  readonly name: TopicName;
  /** Compacted topics keep the last message per key forever; others expire by retention. */
  readonly compacted: boolean;
  /** Default partition count when a topic is created; the key (user id) picks the partition. */
  readonly partitions: number;
  /** Retention in ms for non-compacted topics; null keeps forever (compacted topics). */
  readonly retentionMs: number | null;
  readonly description: string;
}

/** Default partition count: enough for a few consumers per group on one small cluster. */
export const partitionsDefault = 6;
const weekMs = 7 * 24 * 3600 * 1000;

function spec(
  name: TopicName,
  compacted: boolean,
  retentionMs: number | null,
  description: string,
): TopicSpec {
  return { name, compacted, partitions: partitionsDefault, retentionMs, description };
}

/** How each topic is created. All topics use the same partition count to stay co-partitioned. */
export const topicSpecs: Readonly<Record<TopicName, TopicSpec>> = Object.freeze({
  [topics.transactionsRaw]: spec(
    topics.transactionsRaw,
    false,
    4 * weekMs,
    'Raw transactions from ingest-api and wallet-api.',
  ),
  [topics.transactionsEnriched]: spec(
    topics.transactionsEnriched,
    false,
    4 * weekMs,
    'Canonical enriched and categorized transactions.',
  ),
  [topics.transactionsCorrections]: spec(
    topics.transactionsCorrections,
    false,
    4 * weekMs,
    'User recategorizations from analytics-api.',
  ),
  [topics.alerts]: spec(
    topics.alerts,
    false,
    4 * weekMs,
    'Spend alerts for subscribers (notifications, fraud, coaching).',
  ),
  [topics.walletEvents]: spec(
    topics.walletEvents,
    false,
    4 * weekMs,
    'Wallet lifecycle and balance changes from wallet-api.',
  ),
  [topics.deadLetter]: spec(
    topics.deadLetter,
    false,
    8 * weekMs,
    'Messages a consumer could not decode or process, with the reason.',
  ),
  [topics.refBudgets]: spec(topics.refBudgets, true, null, "Compacted: each user's budgets."),
  [topics.refUserSettings]: spec(
    topics.refUserSettings,
    true,
    null,
    "Compacted: each user's settings.",
  ),
  [topics.refCategoryRules]: spec(
    topics.refCategoryRules,
    true,
    null,
    "Compacted: each user's category rules and custom categories.",
  ),
  [topics.refWallets]: spec(topics.refWallets, true, null, "Compacted: each user's wallets."),
});

/** Kafka header names set by the producer so a consumer can route without parsing the value. */
export const eventHeaders = {
  id: 'event-id',
  type: 'event-type',
  version: 'event-version',
  contentType: 'content-type',
} as const;
