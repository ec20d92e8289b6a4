/**
 * Budgets: which transactions count against a budget, and which of its periods a transaction falls
 * in. Only money going out counts (kind `expense`, `fee`, `withdrawal`, `adjustment_out`), and a
 * refund counts back (budget spend is `expense - refund` of the budget's cell); transfers never count.
 */
import { DateTime } from 'luxon';
import type { Budget, BudgetPeriod } from '@spendstream/core/events/reference';
import type { TransactionDocument } from '../documents/transaction-document.js';
import { kindField } from './contributions.js';
import { budgetPeriodStart, localTime } from './windows.js';

/** Whether a document counts against a budget (scope lists are "any" when empty). */
export function budgetMatches(budget: Budget, doc: TransactionDocument): boolean {
  if (!budget.active || doc.homeCurrency !== budget.limit.currency) return false;
  const field = kindField[doc.kind];
  if (field !== 'expense' && field !== 'refund') return false;
  const scope = budget.scope;
  if (scope.categories.length > 0 && !scope.categories.some((c) => doc.category.path.includes(c)))
    return false;
  if (scope.walletIds.length > 0 && !scope.walletIds.includes(doc.walletId)) return false;
  if (scope.tags.length > 0 && !scope.tags.some((tag) => doc.tags.includes(tag))) return false;
  if (scope.merchantKeys.length > 0 && !scope.merchantKeys.includes(doc.merchantKey)) return false;
  return true;
}

/** The local-date bounds (start inclusive, end exclusive) of the budget period containing `occurredAt`. */
export function budgetPeriodOf(
  period: BudgetPeriod,
  occurredAt: string,
  timeZone: string,
): { start: string; end: string; kind: BudgetPeriod['kind'] } {
  const local = localTime(occurredAt, timeZone);
  switch (period.kind) {
    case 'day': {
      const start = local.startOf('day');
      return { kind: 'day', start: start.toISODate()!, end: start.plus({ days: 1 }).toISODate()! };
    }
    case 'week': {
      const start = local.startOf('week');
      return {
        kind: 'week',
        start: start.toISODate()!,
        end: start.plus({ weeks: 1 }).toISODate()!,
      };
    }
    case 'month': {
      const start = budgetPeriodStart(local, period.startDay);
      const end = budgetPeriodStart(start.plus({ months: 1 }).endOf('month'), period.startDay);
      return { kind: 'month', start: start.toISODate()!, end: end.toISODate()! };
    }
    case 'every_n_days': {
      const anchor = DateTime.fromISO(period.anchorDate, { zone: timeZone }).startOf('day');
      const days = Math.floor(local.startOf('day').diff(anchor, 'days').days);
      const index = Math.floor(days / period.lengthDays);
      const start = anchor.plus({ days: index * period.lengthDays });
      return {
        kind: 'every_n_days',
        start: start.toISODate()!,
        end: start.plus({ days: period.lengthDays }).toISODate()!,
      };
    }
  }
}
