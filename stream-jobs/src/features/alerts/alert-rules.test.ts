import { createHash } from 'node:crypto';
import test from 'ava';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { alertIdentity, alertRaisedV1Schema } from '@spendstream/core/events/alerts';
import { documentOf, monthlyBudget, rawTransaction } from '../documents/test-documents.js';
import { zeroAmounts } from '../rollups/contributions.js';
import {
  alertIdOf,
  budgetAlerts,
  largeTransactionAlerts,
  unusualSpendingAlerts,
} from './alert-rules.js';

const now = DateTime.fromISO('2026-11-25T12:00:00Z', { zone: 'utc' });
const firedAt = '2026-11-25T12:00:00.000Z';

test('a large expense raises the absolute and the history alert, each whole: every field, its id from its identity', (t) => {
  const doc = documentOf(
    rawTransaction({ transactionId: 'tx-big', amount: { amount: 90_000n, currency: 'NZD' } }),
  );
  const alerts = largeTransactionAlerts({
    doc,
    settings: {
      alerts: { enabled: true, largeTransactionMin: { amount: 50_000n, currency: 'NZD' } },
    } as never,
    history: { ...zeroAmounts, count: 6n, expense: 60_000n },
    now,
  });
  const period = { kind: 'day', start: '2026-11-20', end: '2026-11-21', timeZone: doc.timeZone };
  const subject = { kind: 'transaction', id: 'tx-big', name: doc.merchantName };
  const observed = { amount: 90_000n, currency: 'NZD' };
  t.deepEqual(
    alerts.map((alert) => ({ ...alert })),
    [
      {
        alertId: alertIdOf(`large_transaction:transaction:tx-big:2026-11-20:a50000NZD`),
        userId: 'user-1',
        rule: 'large_transaction',
        subject,
        period,
        threshold: { kind: 'amount', amount: { amount: 50_000n, currency: 'NZD' } },
        severity: 'warning',
        late: true,
        amounts: { observed, limit: { amount: 50_000n, currency: 'NZD' } },
        transactionId: 'tx-big',
        message: `Large transaction at ${doc.merchantName}: NZD 90000`,
        firedAt,
      },
      {
        alertId: alertIdOf(`large_transaction:transaction:tx-big:2026-11-20:f3`),
        userId: 'user-1',
        rule: 'large_transaction',
        subject,
        period,
        threshold: { kind: 'factor', factor: '3' },
        severity: 'info',
        late: true,
        amounts: { observed, baseline: { amount: 10_000n, currency: 'NZD' } },
        transactionId: 'tx-big',
        message: `${doc.merchantName}: NZD 90000 is over 3x your usual ${doc.category.name} spend`,
        firedAt,
      },
    ] as never,
  );
  for (const alert of alerts) {
    t.is(alert.alertId, alertIdOf(alertIdentity(alert)));
    t.true(z.safeEncode(alertRaisedV1Schema, alert).success);
  }
});

test('budget and unusual-spending alerts carry every field and pass the schema', (t) => {
  const doc = documentOf(rawTransaction({ amount: { amount: 90_000n, currency: 'NZD' } }));
  const budget = monthlyBudget('b-1', 100_000n);
  const budgetFired = budgetAlerts({
    userId: 'user-1',
    budget,
    period: { start: '2026-11-01', end: '2026-12-01', kind: 'month' },
    timeZone: doc.timeZone,
    spent: { ...zeroAmounts, expense: 85_000n },
    transactionId: doc.id,
    now,
  });
  t.deepEqual(
    budgetFired.map((alert) => [alert.threshold, alert.severity, alert.late, alert.transactionId]),
    [
      [{ kind: 'percent', percent: 50 }, 'info', false, doc.id],
      [{ kind: 'percent', percent: 80 }, 'warning', false, doc.id],
    ] as never,
  );
  const unusual = unusualSpendingAlerts({
    doc,
    settings: undefined,
    day: { ...zeroAmounts, expense: 90_000n },
    trailing: Array.from({ length: 7 }, () => 4_000n),
    now,
  });
  t.is(unusual.length, 1);
  t.like(unusual[0], {
    rule: 'unusual_spending',
    subject: { kind: 'user', id: 'user-1' },
    amounts: { observed: { amount: 90_000n }, baseline: { amount: 1_000n } },
    transactionId: doc.id,
    firedAt,
  });
  for (const alert of [...budgetFired, ...unusual]) {
    t.is(alert.alertId, alertIdOf(alertIdentity(alert)));
    t.true(z.safeEncode(alertRaisedV1Schema, alert).success, alert.rule);
  }
});

test('an alert id is the base64url SHA-256 digest of its identity, cut to 32 characters', (t) => {
  for (const identity of [
    'large_transaction:transaction:tx-big:2026-11-20:f3',
    'caf\u00e9 \u2211',
    '',
  ]) {
    const digest = createHash('sha256').update(identity).digest('base64url').slice(0, 32);
    t.is(alertIdOf(identity), `al-${digest}`);
  }
});
