import test from 'ava';
import { createRatesTable, divideHalfEven } from './rates.js';

test('half-even rounding sends ties to the even neighbour, both signs', (t) => {
  t.is(divideHalfEven(25n, 10n), 2n);
  t.is(divideHalfEven(35n, 10n), 4n);
  t.is(divideHalfEven(26n, 10n), 3n);
  t.is(divideHalfEven(-25n, 10n), -2n);
  t.is(divideHalfEven(-35n, 10n), -4n);
  t.is(divideHalfEven(-26n, 10n), -3n);
});

test('it converts with the rate of the latest date on or before the transaction date and stores it', (t) => {
  const rates = createRatesTable({
    '2026-01-01': { EUR: '1', USD: '1.25' },
    '2026-06-01': { EUR: '1', USD: '2' },
  });
  const early = rates.convert({ amount: 1000n, currency: 'USD' }, 'EUR', '2026-03-15');
  t.deepEqual(early.amount, { amount: 800n, currency: 'EUR' });
  t.is(early.rate, '0.8');
  t.is(early.rateDate, '2026-01-01');
  const late = rates.convert({ amount: 1000n, currency: 'USD' }, 'EUR', '2026-07-01');
  t.is(late.amount.amount, 500n);
  t.is(late.rateDate, '2026-06-01');
});

test('it adjusts for currencies with other minor-unit exponents (JPY 0, KWD 3)', (t) => {
  const rates = createRatesTable({ '2026-01-01': { EUR: '1', JPY: '160', KWD: '0.35' } });
  // 1.00 EUR = 160 JPY; 10.00 EUR = 3.500 KWD.
  t.is(rates.convert({ amount: 100n, currency: 'EUR' }, 'JPY', '2026-01-02').amount.amount, 160n);
  t.is(rates.convert({ amount: 1000n, currency: 'EUR' }, 'KWD', '2026-01-02').amount.amount, 3500n);
  t.is(rates.convert({ amount: 160n, currency: 'JPY' }, 'EUR', '2026-01-02').amount.amount, 100n);
});

test('the same currency converts at rate 1 with the identity provider', (t) => {
  const result = createRatesTable().convert(
    { amount: 1234n, currency: 'NZD' },
    'NZD',
    '2026-11-25',
  );
  t.is(result.amount.amount, 1234n);
  t.is(result.provider, 'identity');
});

test('a currency without a rate is a validation error', (t) => {
  t.throws(() => createRatesTable().convert({ amount: 1n, currency: 'XOF' }, 'EUR', '2026-11-25'), {
    message: /no exchange rate/,
  });
});
