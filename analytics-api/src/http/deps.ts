/**
 * What the feature routers are built from. `createAnalyticsApp` receives these, so tests wire
 * in-memory or embedded stores and main wires the configured backends.
 */
import type { TokenVerifier } from '@spendstream/core/auth';
import type { AnalyticsStore } from '../query/analytics-store.js';
import type { UserSettingsStore } from '../domain/user-settings.js';
import type { CategoryCatalog } from '../domain/categories.js';
import type { WalletAccessStore } from '../domain/wallet-access.js';
import type { CustomCategoryStore } from '../features/categories/custom-categories.js';
import type { EventPublisher } from '../domain/event-publisher.js';
import type { BudgetStore } from '../features/budgets/budget-store.js';
import type { CategoryRuleStore } from '../features/category-rules/category-rule-store.js';
import type { AlertStore } from '../features/alerts/alert-store.js';
import type { AlertHub } from '../features/alerts/alert-hub.js';
import type { TransactionFeed } from '../features/live/transaction-feed.js';
import type { SseRegistry } from './sse.js';
import type { SnapshotOutboxes } from '../snapshots.js';

export interface FeatureDeps {
  /** The query port in the user's read scope: own data plus wallets shared with them. */
  store: AnalyticsStore;
  /** Which other users' wallets each user may read, and with which role (from ref.wallets). */
  walletAccess: WalletAccessStore;
  settings: UserSettingsStore;
  categories: CategoryCatalog;
  /** Each user's custom categories (from ref.category-rules). */
  customCategories: CustomCategoryStore;
  verifier: TokenVerifier;
  budgets: BudgetStore;
  /** Each user's rules and custom categories as edited here (published on ref.category-rules). */
  categoryRules: CategoryRuleStore;
  alerts: AlertStore;
  alertHub: AlertHub;
  publisher: EventPublisher;
  /** Publish budgets and category rules after a change (and sweep up failed sends). */
  snapshots: SnapshotOutboxes;
  /** Transactions as the projector stores them, for the live stream. */
  transactionFeed: TransactionFeed;
  /** Open Server-Sent Events streams, ended when the server drains. */
  sse: SseRegistry;
  /** The current instant; tests pin it. */
  clock: () => Date;
}
