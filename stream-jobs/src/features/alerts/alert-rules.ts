/**
 * Alert rules: pure functions from what was just written (a document, the rollup cells it touched,
 * the user's settings) to candidate alerts. Each candidate's id is a digest of its identity
 * (rule, subject, period, threshold), so evaluating the same facts again - a replay, a duplicate -
 * yields the same ids, and the store records each id once. An alert whose period ended before the
 * crossing arrived is marked `late`.
 */
import { hash } from 'node:crypto';
import type { DateTime } from 'luxon';
import {
  alertIdentity,
  type AlertRaisedV1,
  type AlertThreshold,
} from '@spendstream/core/events/alerts';
import type { Budget, UserSettingsV1, WalletRef } from '@spendstream/core/events/reference';
import type { CurrencyCode } from '@spendstream/core/money';
import type { TransactionDocument } from '../documents/transaction-document.js';
import type { RollupAmounts } from '../rollups/contributions.js';
import { localDateAt, localTime, nextLocalDate, utcIsoOf } from '../rollups/windows.js';

/** A transaction this many times the user's average for its category is "large". */
export const largeTransactionFactorDefault = 3n;
/** The category history needs this many transactions before "large for you" means anything. */
export const largeTransactionHistoryCountMin = 5n;
/** A day this many times the user's usual daily spend is "unusual". */
export const unusualSpendingFactorDefault = '3';
/** Days of trailing history for the usual daily spend. */
export const unusualBaselineDays = 28;
/** Days with spending needed in the trailing window before a baseline counts. */
export const unusualBaselineActiveDaysMin = 7;

/**
 * The alert id of an identity: its SHA-256 digest, base64url, cut to 32 characters. One-shot
 * `crypto.hash` gives the same digest as a `createHash` object without making one (an alert is made
 * per transaction in a backlog where every transaction crosses a threshold).
 */
export function alertIdOf(identity: string): string {
  return `al-${hash('sha256', identity, 'base64url').slice(0, 32)}`;
}

type Candidate = Omit<AlertRaisedV1, 'alertId' | 'firedAt' | 'message'> & { message: string };

/**
 * The alert of a candidate: its id and firing time added. Written as one object literal in the
 * schema's key order, not as a spread of the candidate: an object spread with added keys was
 * several times slower to build and, for the encoder, to read (alerts are made per transaction in
 * a backlog where every transaction crosses a threshold).
 */
function finish(candidate: Candidate, now: DateTime): AlertRaisedV1 {
  const alert: AlertRaisedV1 = {
    alertId: alertIdOf(alertIdentity(candidate)),
    userId: candidate.userId,
    rule: candidate.rule,
    subject: candidate.subject,
    period: candidate.period,
    threshold: candidate.threshold,
    severity: candidate.severity,
    late: candidate.late,
    amounts: candidate.amounts,
    message: candidate.message,
    firedAt: utcIsoOf(now),
  };
  if (candidate.transactionId !== undefined) alert.transactionId = candidate.transactionId;
  return alert;
}

/** Whether a period ending on local date `end` (exclusive) was over at `now` in `zone`. */
export function isLate(end: string, zone: string, now: DateTime): boolean {
  return localDateAt(now.toMillis(), zone) >= end;
}

function money(amount: bigint, currency: CurrencyCode) {
  return { amount, currency };
}

function formatMinor(amount: bigint, currency: string): string {
  return `${currency} ${amount}`;
}

/** Budget thresholds crossed by the budget's spend in one period (`expense - refund` of its cell). */
export function budgetAlerts(input: {
  userId: string;
  budget: Budget;
  period: { start: string; end: string; kind: AlertRaisedV1['period']['kind'] };
  timeZone: string;
  spent: RollupAmounts;
  transactionId: string;
  now: DateTime;
}): AlertRaisedV1[] {
  const { budget, spent } = input;
  const net = spent.expense - spent.refund;
  if (budget.limit.amount <= 0n) return [];
  const late = isLate(input.period.end, input.timeZone, input.now);
  return budget.thresholds
    .filter((percent) => net * 100n >= budget.limit.amount * BigInt(percent))
    .map((percent) =>
      finish(
        {
          userId: input.userId,
          rule: 'budget_threshold',
          subject: { kind: 'budget', id: budget.budgetId, name: budget.name },
          period: {
            kind: input.period.kind,
            start: input.period.start,
            end: input.period.end,
            timeZone: input.timeZone,
          },
          threshold: { kind: 'percent', percent },
          severity: percent >= 100 ? 'critical' : percent >= 80 ? 'warning' : 'info',
          late,
          amounts: { observed: money(net, budget.limit.currency), limit: budget.limit },
          transactionId: input.transactionId,
          message: `${budget.name}: ${formatMinor(net, budget.limit.currency)} spent, ${percent}% of ${formatMinor(budget.limit.amount, budget.limit.currency)}${late ? ' (late)' : ''}`,
        },
        input.now,
      ),
    );
}

function dayPeriod(doc: TransactionDocument): AlertRaisedV1['period'] {
  return {
    kind: 'day',
    start: doc.localDate,
    end: nextLocalDate(doc.localDate),
    timeZone: doc.timeZone,
  };
}

/**
 * A large-transaction candidate: the parts both thresholds share, then its own (a function of the
 * module, not a closure made per transaction).
 */
function largeCandidate(
  shared: {
    doc: TransactionDocument;
    subject: AlertRaisedV1['subject'];
    period: AlertRaisedV1['period'];
    late: boolean;
  },
  threshold: AlertThreshold,
  severity: AlertRaisedV1['severity'],
  amounts: AlertRaisedV1['amounts'],
  message: string,
): Candidate {
  return {
    userId: shared.doc.userId,
    rule: 'large_transaction',
    subject: shared.subject,
    period: shared.period,
    threshold,
    severity,
    late: shared.late,
    amounts,
    transactionId: shared.doc.id,
    message,
  };
}

/**
 * A large expense: at or above the user's own absolute threshold, or `largeTransactionFactorDefault`
 * times the user's average in this category over the previous months (`history`).
 */
export function largeTransactionAlerts(input: {
  doc: TransactionDocument;
  settings: Pick<UserSettingsV1, 'alerts'> | undefined;
  history: RollupAmounts;
  now: DateTime;
}): AlertRaisedV1[] {
  const { doc, history } = input;
  if (doc.status !== 'booked' || doc.direction !== 'out' || doc.kind.startsWith('transfer'))
    return [];
  if (input.settings?.alerts.enabled === false) return [];
  const period = dayPeriod(doc);
  const late = isLate(period.end, doc.timeZone, input.now);
  const observed = money(doc.homeAmountMinor, doc.homeCurrency);
  const alerts: AlertRaisedV1[] = [];
  const minimum = input.settings?.alerts.largeTransactionMin;
  const shared = {
    doc,
    subject: { kind: 'transaction' as const, id: doc.id, name: doc.merchantName },
    period,
    late,
  };
  if (minimum && minimum.currency === doc.homeCurrency && doc.homeAmountMinor >= minimum.amount) {
    alerts.push(
      finish(
        largeCandidate(
          shared,
          { kind: 'amount', amount: minimum },
          'warning',
          { observed, limit: minimum },
          `Large transaction at ${doc.merchantName}: ${formatMinor(doc.homeAmountMinor, doc.homeCurrency)}`,
        ),
        input.now,
      ),
    );
  }
  if (history.count >= largeTransactionHistoryCountMin && history.expense > 0n) {
    const average = history.expense / history.count;
    if (doc.homeAmountMinor >= average * largeTransactionFactorDefault) {
      alerts.push(
        finish(
          largeCandidate(
            shared,
            { kind: 'factor', factor: largeTransactionFactorDefault.toString() },
            'info',
            { observed, baseline: money(average, doc.homeCurrency) },
            `${doc.merchantName}: ${formatMinor(doc.homeAmountMinor, doc.homeCurrency)} is over ${largeTransactionFactorDefault}x your usual ${doc.category.name} spend`,
          ),
          input.now,
        ),
      );
    }
  }
  return alerts;
}

/** Multiplies a bigint by a decimal string exactly, rounding toward zero. */
function timesDecimal(value: bigint, factor: string): bigint {
  const [whole = '0', fraction = ''] = factor.split('.');
  const scale = 10n ** BigInt(fraction.length);
  return (value * BigInt(whole + fraction)) / scale;
}

/** A day whose spend is at least `factor` times the user's usual daily spend (trailing days). */
export function unusualSpendingAlerts(input: {
  doc: TransactionDocument;
  settings: Pick<UserSettingsV1, 'alerts'> | undefined;
  day: RollupAmounts;
  /** Net spend of each of the previous `unusualBaselineDays` days that had any. */
  trailing: bigint[];
  now: DateTime;
}): AlertRaisedV1[] {
  const { doc } = input;
  if (input.settings?.alerts.enabled === false) return [];
  if (input.trailing.filter((v) => v > 0n).length < unusualBaselineActiveDaysMin) return [];
  const baseline = input.trailing.reduce((a, b) => a + b, 0n) / BigInt(unusualBaselineDays);
  const spent = input.day.expense - input.day.refund;
  const factor = input.settings?.alerts.unusualSpendingFactor ?? unusualSpendingFactorDefault;
  if (baseline <= 0n || spent < timesDecimal(baseline, factor)) return [];
  const period = dayPeriod(doc);
  return [
    finish(
      {
        userId: doc.userId,
        rule: 'unusual_spending',
        subject: { kind: 'user', id: doc.userId },
        period,
        threshold: { kind: 'factor', factor },
        severity: 'warning',
        late: isLate(period.end, doc.timeZone, input.now),
        amounts: {
          observed: money(spent, doc.homeCurrency),
          baseline: money(baseline, doc.homeCurrency),
        },
        transactionId: doc.id,
        message: `You spent ${formatMinor(spent, doc.homeCurrency)} on ${doc.localDate}, ${factor}x your usual day`,
      },
      input.now,
    ),
  ];
}

/** A wallet balance below its low-balance threshold, once per wallet, local day and threshold. */
export function lowBalanceAlerts(input: {
  userId: string;
  wallet: WalletRef;
  balance: { amount: bigint; currency: CurrencyCode };
  postedAt: string;
  transactionId: string;
  timeZone: string;
  now: DateTime;
}): AlertRaisedV1[] {
  const threshold = input.wallet.lowBalanceThreshold;
  if (
    !threshold ||
    threshold.currency !== input.balance.currency ||
    input.balance.amount >= threshold.amount
  )
    return [];
  const day = localTime(input.postedAt, input.timeZone).startOf('day');
  const period = {
    kind: 'day' as const,
    start: day.toISODate()!,
    end: day.plus({ days: 1 }).toISODate()!,
    timeZone: input.timeZone,
  };
  return [
    finish(
      {
        userId: input.userId,
        rule: 'low_balance',
        subject: { kind: 'wallet', id: input.wallet.walletId, name: input.wallet.name },
        period,
        threshold: { kind: 'amount', amount: threshold },
        severity: input.balance.amount < 0n ? 'critical' : 'warning',
        late: isLate(period.end, input.timeZone, input.now),
        amounts: { observed: input.balance, limit: threshold },
        transactionId: input.transactionId,
        message: `${input.wallet.name} is down to ${formatMinor(input.balance.amount, input.balance.currency)}`,
      },
      input.now,
    ),
  ];
}
