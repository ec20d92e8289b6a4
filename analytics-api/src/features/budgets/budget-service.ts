/**
 * Budgets: create, update, delete (after each change the user's whole set is published to the
 * compacted `ref.budgets` topic that stream-jobs reads, through its outbox: a send that fails is
 * retried by the sweep, the change itself is stored and answered), and status for the period
 * containing today: spent, remaining, percent, projected, days left, with optional rollover of the
 * previous period's unspent amount.
 */
import { randomUUID } from 'node:crypto';
import { budgetsPerUserMax, type Budget, type BudgetPeriod } from '@spendstream/core/events';
import { NotFoundError, ValidationError } from '@spendstream/core/errors';
import type { AnalyticsStore } from '../../query/analytics-store.js';
import type { UserSettingsStore } from '../../domain/user-settings.js';
import type { CategoryCatalog } from '../../domain/categories.js';
import { percentOf } from '../../domain/amounts.js';
import {
  addDays,
  daysBetween,
  resolvePeriod,
  todayIn,
  type DateRange,
} from '../../domain/periods.js';
import { spendPace } from '../cash-flow/cash-flow-service.js';
import type { SnapshotOutboxes } from '../../snapshots.js';
import { BudgetChangedError, type BudgetStore } from './budget-store.js';

/** Times a budget change is made again from a newer budget before it answers 409. */
export const budgetUpdateAttemptsMax = 3;

/** What a caller gives to create a budget (defaults as in core's schema). */
export type BudgetDraft = Omit<Budget, 'budgetId' | 'createdAt' | 'updatedAt'>;

/** The local date range of a budget's period containing `date`. */
export function budgetPeriodRange(period: BudgetPeriod, date: string): DateRange {
  switch (period.kind) {
    case 'day':
      return resolvePeriod({ kind: 'day', anchor: date });
    case 'week':
      return resolvePeriod({ kind: 'week', anchor: date });
    case 'month':
      return resolvePeriod({ kind: 'month', anchor: date, monthStartDay: period.startDay });
    case 'every_n_days': {
      const steps = Math.floor(daysBetween(period.anchorDate, date) / period.lengthDays);
      const from = addDays(period.anchorDate, steps * period.lengthDays);
      return { from, to: addDays(from, period.lengthDays) };
    }
  }
}

export interface BudgetStatus {
  budget: Budget;
  period: DateRange;
  spentMinor: bigint;
  /** Carried from the previous period when rollover is on (never negative). */
  carriedMinor: bigint;
  availableMinor: bigint;
  remainingMinor: bigint;
  percentUsed: number | null;
  projectedMinor: bigint;
  daysLeft: number;
  thresholdsReached: number[];
}

export interface BudgetServiceDeps {
  budgets: BudgetStore;
  store: AnalyticsStore;
  settings: UserSettingsStore;
  /** The built-in categories; any other id of a scope must be one of the user's custom ones. */
  categories: CategoryCatalog;
  /** Publishes each user's budgets to ref.budgets after a change. */
  snapshots: Pick<SnapshotOutboxes, 'budgets'>;
  clock: () => Date;
}

export function createBudgetService(deps: BudgetServiceDeps) {
  /**
   * Check a draft; the ids of its scope that are not built-in, which the store checks against the
   * user's custom categories in the save's own transaction (the stored set, not this instance's
   * view of the topic, which may lag a change made on another instance).
   */
  async function validate(userId: string, draft: BudgetDraft): Promise<string[]> {
    const customCategoryIds = draft.scope.categories.filter((id) => !deps.categories.has(id));
    const { homeCurrency } = await deps.settings.get(userId);
    if (draft.limit.currency !== homeCurrency) {
      throw new ValidationError(`a budget limit is in the home currency ${homeCurrency}`, {
        field: 'limit.currency',
      });
    }
    const thresholds = draft.thresholds;
    if (thresholds.some((value, index) => index > 0 && value <= thresholds[index - 1]!)) {
      throw new ValidationError('thresholds must be strictly ascending', { field: 'thresholds' });
    }
    return customCategoryIds;
  }

  /** Publish the user's budgets after a committed change (the outbox retries a failed send). */
  async function publish(userId: string): Promise<void> {
    await deps.snapshots.budgets.publish(userId);
  }

  async function spentIn(userId: string, budget: Budget, range: DateRange): Promise<bigint> {
    const rows = await deps.store.aggregate({
      userId,
      from: range.from,
      to: range.to,
      flows: ['spend'],
      categories: budget.scope.categories.length ? budget.scope.categories : undefined,
      walletIds: budget.scope.walletIds.length ? budget.scope.walletIds : undefined,
      tags: budget.scope.tags.length ? budget.scope.tags : undefined,
      merchantKeys: budget.scope.merchantKeys.length ? budget.scope.merchantKeys : undefined,
      groupBy: [],
    });
    return rows.reduce((sum, row) => sum + row.homeMinor, 0n);
  }

  return {
    list: (userId: string) => deps.budgets.list(userId),

    async get(userId: string, budgetId: string): Promise<Budget> {
      const budget = await deps.budgets.get(userId, budgetId);
      // Another user's budget id answers exactly like one that does not exist.
      if (!budget) throw new NotFoundError(`no budget ${budgetId}`, { field: 'id' });
      return budget;
    },

    async create(userId: string, draft: BudgetDraft): Promise<Budget> {
      const customCategoryIds = await validate(userId, draft);
      const now = deps.clock().toISOString();
      const budget: Budget = {
        ...draft,
        budgetId: `bud_${randomUUID().replaceAll('-', '')}`,
        createdAt: now,
        updatedAt: now,
      };
      await deps.budgets.save(userId, budget, customCategoryIds, {
        kind: 'create',
        budgetsMax: budgetsPerUserMax,
      });
      await publish(userId);
      return budget;
    },

    /**
     * Apply `changes` to the stored budget. The store replaces it only if it is still the budget
     * read (else another change's fields would be lost): the change is then made again from the
     * newer one, up to `budgetUpdateAttemptsMax` times; a budget deleted meanwhile is a 404.
     */
    async update(userId: string, budgetId: string, changes: Partial<BudgetDraft>): Promise<Budget> {
      for (let attempt = 1; ; attempt += 1) {
        const existing = await this.get(userId, budgetId);
        const { budgetId: _id, createdAt, updatedAt: _updated, ...current } = existing;
        const draft: BudgetDraft = { ...current, ...changes };
        const customCategoryIds = await validate(userId, draft);
        const budget: Budget = {
          ...draft,
          budgetId,
          createdAt,
          updatedAt: deps.clock().toISOString(),
        };
        try {
          const saved = await deps.budgets.save(userId, budget, customCategoryIds, {
            kind: 'replace',
            expected: existing,
          });
          if (saved === null) throw new NotFoundError(`no budget ${budgetId}`, { field: 'id' });
        } catch (error) {
          if (error instanceof BudgetChangedError && attempt < budgetUpdateAttemptsMax) continue;
          throw error;
        }
        await publish(userId);
        return budget;
      }
    },

    async remove(userId: string, budgetId: string): Promise<void> {
      const revision = await deps.budgets.remove(userId, budgetId);
      if (revision === null) throw new NotFoundError(`no budget ${budgetId}`, { field: 'id' });
      await publish(userId);
    },

    /**
     * The status of a user's budget by id (or, without one, of every active budget). The current
     * period always contains today, so today's year of sums is asked beside the budget read: a
     * backend that shares a read in flight (MongoDB: the same sums document asked while a read of
     * it is under way) then answers the status from that one read, which returns what any read
     * sent at that moment would (nothing kept, nothing stale). When the budget read is the slower
     * one, the status reads again.
     */
    async statusesOf(userId: string, budgetId?: string): Promise<BudgetStatus[]> {
      const { timeZone } = await deps.settings.get(userId);
      const today = todayIn(timeZone, deps.clock());
      const warm = deps.store
        .aggregate({ userId, from: today, to: addDays(today, 1), groupBy: [] })
        .catch(() => []);
      try {
        const budgets = budgetId
          ? [await this.get(userId, budgetId)]
          : (await deps.budgets.list(userId)).filter((budget) => budget.active);
        return await Promise.all(budgets.map((budget) => this.status(userId, budget)));
      } finally {
        await warm;
      }
    },

    async status(userId: string, budget: Budget): Promise<BudgetStatus> {
      const { timeZone } = await deps.settings.get(userId);
      const today = todayIn(timeZone, deps.clock());
      const period = budgetPeriodRange(budget.period, today);
      const previous = budgetPeriodRange(budget.period, addDays(period.from, -1));
      // Both periods at once: they often share the stored year the backend reads.
      const [spentMinor, previousSpentMinor] = await Promise.all([
        spentIn(userId, budget, period),
        budget.rollover ? spentIn(userId, budget, previous) : Promise.resolve(0n),
      ]);
      let carriedMinor = 0n;
      if (budget.rollover) {
        const unspent = budget.limit.amount - previousSpentMinor;
        carriedMinor = unspent > 0n ? unspent : 0n;
      }
      const availableMinor = budget.limit.amount + carriedMinor;
      return {
        budget,
        period,
        spentMinor,
        carriedMinor,
        availableMinor,
        remainingMinor: availableMinor - spentMinor,
        percentUsed: percentOf(spentMinor, availableMinor),
        projectedMinor: spendPace(period, today, spentMinor).projectedMinor,
        daysLeft: Math.max(0, daysBetween(today, period.to)),
        thresholdsReached: budget.thresholds.filter(
          (percent) => spentMinor * 100n >= availableMinor * BigInt(percent),
        ),
      };
    },
  };
}

export type BudgetService = ReturnType<typeof createBudgetService>;
