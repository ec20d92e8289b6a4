/**
 * Reference data on compacted topics. Each message is the user's whole current state for that topic
 * (all their budgets, all their rules, all their wallets), keyed by the user id: compaction keeps the
 * latest snapshot per user, a consumer rebuilds its table by reading the topic from the start, and the
 * topic stays co-partitioned with the transactions. `revision` grows with every change so a consumer
 * can ignore a stale snapshot.
 */
import { z } from 'zod';
import {
  categoryIdSchema,
  currencyCodeSchema,
  decimalStringSchema,
  idSchema,
  isoDateSchema,
  isoDateTimeSchema,
  labelLengthMax,
  nonNegativeMoneySchema,
  moneySchema,
  tagSchema,
  timeZoneSchema,
} from './common.js';
import { transactionKindSchema } from './transactions.js';

/** Most budgets one user may have. */
export const budgetsPerUserMax = 200;
/** Most categorization rules one user may have. */
export const categoryRulesPerUserMax = 1000;
/** Most custom categories one user may define. */
export const customCategoriesPerUserMax = 500;
/** Most wallets one user may have. */
export const walletsPerUserMax = 100;
/** Most alert thresholds on one budget. */
export const thresholdsPerBudgetMax = 10;
/** Largest budget threshold, in percent of the budget. */
export const thresholdPercentMax = 1000;
/** Longest custom budget period, in days. */
export const periodLengthDaysMax = 366;

/**
 * How a budget's windows are cut, in the user's time zone:
 * - `day`, `week` (ISO week, Monday first);
 * - `month` starting on `startDay` (1..28: "the month starting on the 25th" runs 25th to 24th);
 * - `every_n_days` from `anchorDate` (a payday every 14 days).
 */
export const budgetPeriodSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('day') }),
  z.object({ kind: z.literal('week') }),
  z.object({ kind: z.literal('month'), startDay: z.int().min(1).max(28).default(1) }),
  z.object({
    kind: z.literal('every_n_days'),
    anchorDate: isoDateSchema,
    lengthDays: z.int().min(1).max(periodLengthDaysMax),
  }),
]);
export type BudgetPeriod = z.infer<typeof budgetPeriodSchema>;

/** Which transactions count against a budget; an empty list means "any". Only money going out counts. */
export const budgetScopeSchema = z.object({
  /** Categories (a parent includes its children). */
  categories: z.array(categoryIdSchema).max(100).default([]),
  walletIds: z.array(idSchema).max(walletsPerUserMax).default([]),
  tags: z.array(tagSchema).max(50).default([]),
  merchantKeys: z.array(z.string().min(1).max(labelLengthMax)).max(100).default([]),
});

export const budgetSchema = z.object({
  budgetId: idSchema,
  name: z.string().min(1).max(labelLengthMax),
  /** The limit per period, in the user's home currency (spending is compared in home currency). */
  limit: nonNegativeMoneySchema,
  period: budgetPeriodSchema,
  scope: budgetScopeSchema,
  /** Percentages of the limit that raise a `budget_threshold` alert, ascending (e.g. 50, 80, 100). */
  thresholds: z
    .array(z.int().min(1).max(thresholdPercentMax))
    .max(thresholdsPerBudgetMax)
    .default([80, 100]),
  /** Whether an unspent remainder carries into the next period. */
  rollover: z.boolean().default(false),
  active: z.boolean().default(true),
  createdAt: isoDateTimeSchema,
  updatedAt: isoDateTimeSchema,
});
export type Budget = z.infer<typeof budgetSchema>;

/** ref.budgets, type `budgets.snapshot`, version 1. */
export const budgetsSnapshotV1Schema = z.object({
  userId: idSchema,
  revision: z.int().min(0),
  budgets: z.array(budgetSchema).max(budgetsPerUserMax),
});
export type BudgetsSnapshotV1 = z.infer<typeof budgetsSnapshotV1Schema>;

/** ref.user-settings, type `user_settings.snapshot`, version 1. */
export const userSettingsV1Schema = z.object({
  userId: idSchema,
  revision: z.int().min(0),
  /** IANA zone; every window (day, week, month, budget period) is cut in it. */
  timeZone: timeZoneSchema,
  /** Rollups, budgets and alerts are in this currency. */
  homeCurrency: currencyCodeSchema,
  /** BCP 47 locale for display, e.g. `fr-FR`. */
  locale: z.string().min(2).max(35).default('en-US'),
  alerts: z
    .object({
      enabled: z.boolean().default(true),
      /** A single expense at or above this (home currency) raises `large_transaction`; none when absent. */
      largeTransactionMin: nonNegativeMoneySchema.optional(),
      /** A day's spend at or above this multiple of the usual daily spend raises `unusual_spending`. */
      unusualSpendingFactor: decimalStringSchema.optional(),
    })
    .default({ enabled: true }),
  updatedAt: isoDateTimeSchema,
});
export type UserSettingsV1 = z.infer<typeof userSettingsV1Schema>;

/** A user-defined category; built-in categories are known to the stream jobs. */
export const customCategorySchema = z.object({
  id: categoryIdSchema,
  name: z.string().min(1).max(labelLengthMax),
  /** Parent category id (built-in or custom); absent for a root. */
  parentId: categoryIdSchema.optional(),
});

/** What a rule matches; every present condition must hold (text matches ignore case). */
export const ruleMatchSchema = z
  .object({
    merchantKey: z.string().min(1).max(labelLengthMax).optional(),
    merchantContains: z.string().min(1).max(labelLengthMax).optional(),
    descriptionContains: z.string().min(1).max(labelLengthMax).optional(),
    mcc: z
      .array(z.string().regex(/^[0-9]{4}$/))
      .max(50)
      .optional(),
    bankCategory: z.string().min(1).max(labelLengthMax).optional(),
    kinds: z.array(transactionKindSchema).max(20).optional(),
    walletId: idSchema.optional(),
    /** Inclusive bounds on the transaction's own amount; currency must match. */
    amountMin: nonNegativeMoneySchema.optional(),
    amountMax: nonNegativeMoneySchema.optional(),
  })
  .refine(
    (match) => Object.values(match).some((value) => value !== undefined),
    'a rule needs at least one condition',
  );

export const categoryRuleSchema = z.object({
  ruleId: idSchema,
  /** Lower runs first; the first matching rule wins. */
  priority: z.int().min(0).max(1_000_000),
  match: ruleMatchSchema,
  category: categoryIdSchema,
  /** Tags the rule adds. */
  addTags: z.array(tagSchema).max(20).default([]),
  /** `correction` when learned from a user's recategorization. */
  origin: z.enum(['user', 'correction']).default('user'),
  createdAt: isoDateTimeSchema,
});
export type CategoryRule = z.infer<typeof categoryRuleSchema>;

/** ref.category-rules, type `category_rules.snapshot`, version 1. */
export const categoryRulesSnapshotV1Schema = z.object({
  userId: idSchema,
  revision: z.int().min(0),
  rules: z.array(categoryRuleSchema).max(categoryRulesPerUserMax),
  categories: z.array(customCategorySchema).max(customCategoriesPerUserMax).default([]),
});
export type CategoryRulesSnapshotV1 = z.infer<typeof categoryRulesSnapshotV1Schema>;

export const walletKindSchema = z.enum(['cash', 'bank', 'card', 'savings', 'other']);
export const walletStatusSchema = z.enum(['active', 'closed']);

export const walletRefSchema = z.object({
  walletId: idSchema,
  name: z.string().min(1).max(labelLengthMax),
  kind: walletKindSchema,
  currency: currencyCodeSchema,
  status: walletStatusSchema,
  /** A balance falling below this raises `low_balance`; none when absent. */
  lowBalanceThreshold: moneySchema.optional(),
  /** Whether the balance may go below zero. */
  allowNegative: z.boolean().default(false),
});
export type WalletRef = z.infer<typeof walletRefSchema>;

/** Most members (besides the owner) one wallet may have. */
export const walletMembersPerWalletMax = 50;
/** Most wallets of other users one user may be a member of. */
export const sharedWalletsPerUserMax = 100;

/** A role a user holds on another user's wallet (the owner's own role is implied). */
export const sharedWalletRoleSchema = z.enum(['editor', 'viewer']);
export type SharedWalletRole = z.infer<typeof sharedWalletRoleSchema>;

/** A member of an owned wallet: an `editor` may move money, a `viewer` may only read. */
export const walletMemberRefSchema = z.object({
  userId: idSchema,
  role: sharedWalletRoleSchema,
});
export type WalletMemberRef = z.infer<typeof walletMemberRefSchema>;

/** One wallet the snapshot's user owns, with the other users it is shared with. */
export const ownedWalletRefSchema = walletRefSchema.extend({
  /** Members besides the owner; absent (as in snapshots before members were published) means none. */
  members: z.array(walletMemberRefSchema).max(walletMembersPerWalletMax).optional(),
});
export type OwnedWalletRef = z.infer<typeof ownedWalletRefSchema>;

/** A wallet of another user that the snapshot's user is a member of. */
export const sharedWalletRefSchema = z.object({
  walletId: idSchema,
  ownerId: idSchema,
  role: sharedWalletRoleSchema,
  name: z.string().min(1).max(labelLengthMax),
  currency: currencyCodeSchema,
  status: walletStatusSchema,
});
export type SharedWalletRef = z.infer<typeof sharedWalletRefSchema>;

/**
 * ref.wallets, type `wallets.snapshot`, version 1: every wallet the user owns (archived ones as
 * `closed`) with its members, and every wallet of another user shared with them. A change to a
 * shared wallet or its members publishes the next snapshot of the owner and of every member it
 * concerns, so each user's latest snapshot alone answers "which wallets may this user read
 * (any role) or write (owner, editor)".
 */
export const walletsSnapshotV1Schema = z.object({
  userId: idSchema,
  revision: z.int().min(0),
  wallets: z.array(ownedWalletRefSchema).max(walletsPerUserMax),
  /** Wallets of other users shared with this user; absent in older snapshots, read as none. */
  shared: z.array(sharedWalletRefSchema).max(sharedWalletsPerUserMax).default([]),
});
export type WalletsSnapshotV1 = z.infer<typeof walletsSnapshotV1Schema>;
