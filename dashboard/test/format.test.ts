import test from 'ava';
import {
  alertText,
  AmountError,
  currencyDigits,
  formatMoney,
  minorToDecimal,
  occurredAtFor,
  offsetAt,
  parseAmount,
  shiftDate,
  todayIn,
} from '../src/app/format.js';

test('minor units become exact decimals with the currency own number of digits', (t) => {
  t.is(minorToDecimal('123456', 'EUR'), '1234.56');
  t.is(minorToDecimal('-5', 'EUR'), '-0.05');
  t.is(minorToDecimal('1234', 'JPY'), '1234');
  t.is(minorToDecimal('1234', 'KWD'), '1.234');
  t.is(minorToDecimal('900719925474099312', 'EUR'), '9007199254740993.12');
  t.is(currencyDigits('KWD'), 3);
});

test('amounts are formatted in the locale and keep every digit past 2^53', (t) => {
  t.is(formatMoney({ amount: '123456', currency: 'EUR' }, 'en-GB'), '€1,234.56');
  t.is(formatMoney({ amount: '123456', currency: 'EUR' }, 'de-DE'), '1.234,56\u00a0€');
  t.is(formatMoney({ amount: '500', currency: 'JPY' }, 'ja-JP'), '￥500');
  t.is(
    formatMoney({ amount: '900719925474099312', currency: 'USD' }, 'en-US'),
    '$9,007,199,254,740,993.12',
  );
  t.is(
    formatMoney({ amount: '250', currency: 'EUR' }, 'en-GB', { signDisplay: 'exceptZero' }),
    '+€2.50',
  );
});

test('typed amounts are read in the locale and checked against the currency decimals', (t) => {
  t.is(parseAmount('12.5', 'EUR', 'en-GB'), '1250');
  t.is(parseAmount('12,50', 'EUR', 'de-DE'), '1250');
  t.is(parseAmount('1.234,56', 'EUR', 'de-DE'), '123456');
  t.is(parseAmount('1,234.56', 'USD', 'en-US'), '123456');
  t.is(parseAmount('1 234,56', 'EUR', 'fr-FR'), '123456');
  // A lone group of three after the locale's thousands separator is a thousand, not a fraction.
  t.is(parseAmount('1.234', 'EUR', 'de-DE'), '123400');
  t.is(parseAmount('1,234', 'USD', 'en-US'), '123400');
  t.is(parseAmount('1.234', 'KWD', 'en-US'), '1234');
  t.is(parseAmount('500', 'JPY', 'ja-JP'), '500');
  t.throws(() => parseAmount('12.345', 'EUR', 'en-GB'), {
    instanceOf: AmountError,
    message: /2 decimals/,
  });
  t.throws(() => parseAmount('5.5', 'JPY', 'en-GB'), {
    instanceOf: AmountError,
    message: /no decimals/,
  });
  t.throws(() => parseAmount('', 'EUR'), { instanceOf: AmountError });
  t.throws(() => parseAmount('0', 'EUR'), { instanceOf: AmountError, message: /above zero/ });
  t.throws(() => parseAmount('-3', 'EUR'), { instanceOf: AmountError });
  t.throws(() => parseAmount('1.2.3,4', 'EUR', 'en-GB'), { instanceOf: AmountError });
  t.throws(() => parseAmount('12abc', 'EUR'), { instanceOf: AmountError });
});

test('dates are cut in the user zone, not the browser one', (t) => {
  const instant = new Date('2026-01-31T11:30:00Z');
  // Already 1 February in Kiritimati (+14), still 31 January in Pago Pago (-11).
  t.is(todayIn('Pacific/Kiritimati', instant), '2026-02-01');
  t.is(todayIn('Pacific/Pago_Pago', instant), '2026-01-31');
  t.is(offsetAt('Asia/Kolkata', instant), '+05:30');
  t.is(offsetAt('America/New_York', new Date('2026-07-01T12:00:00Z')), '-04:00');
  t.is(offsetAt('UTC', instant), '+00:00');
});

test('a movement dated today happens now, any other day at noon, with the zone offset', (t) => {
  const now = new Date('2026-11-25T21:52:10Z');
  t.is(occurredAtFor('2026-11-25', 'Europe/Paris', now), '2026-11-25T22:52:10+01:00');
  t.is(occurredAtFor('2026-11-26', 'Pacific/Auckland', now), '2026-11-26T10:52:10+13:00');
  t.is(occurredAtFor('2026-11-20', 'America/New_York', now), '2026-11-20T12:00:00-05:00');
});

test('periods move by calendar units', (t) => {
  t.is(shiftDate('2026-01-31', 'month', 1), '2026-02-28');
  t.is(shiftDate('2026-03-15', 'month', -1), '2026-02-15');
  t.is(shiftDate('2026-11-25', 'month', -1), '2026-10-25');
  t.is(shiftDate('2026-12-25', 'month', 1), '2027-01-25');
  t.is(shiftDate('2026-12-30', 'week', 1), '2027-01-06');
  t.is(shiftDate('2024-02-29', 'year', 1), '2025-03-01');
  t.is(shiftDate('2026-11-25', 'day', -25), '2026-10-31');
});

test('a budget alert is told with its amounts in the locale; other rules keep their message', (t) => {
  const alert = {
    rule: 'budget_threshold',
    message: 'Food: EUR 8750 spent, 80% of EUR 10000',
    subject: { name: 'Food' },
    threshold: { percent: 80 },
    amounts: {
      observed: { amount: '8750', currency: 'EUR' },
      limit: { amount: '10000', currency: 'EUR' },
    },
  };
  t.is(alertText(alert, 'en-GB'), 'Food: €87.50 spent, 80% of €100.00');
  t.is(alertText(alert, 'de-DE'), 'Food: 87,50\u00a0€ spent, 80% of 100,00\u00a0€');
  t.is(alertText({ rule: 'large_transaction', message: 'Large: EUR 90000' }), 'Large: EUR 90000');
  t.is(alertText({ ...alert, amounts: {} }), alert.message);
});
