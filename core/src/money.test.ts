import test from 'ava';
import { currencyCodes, currencyExponent, type CurrencyCode } from './currencies.js';
import { ValidationError } from './errors.js';
import {
  abs,
  add,
  allocate,
  amountMinorMax,
  compare,
  convert,
  CurrencyMismatchError,
  divideRounded,
  equals,
  formatMoney,
  formatMoneyDisplay,
  money,
  multiply,
  negate,
  parseMinorUnits,
  parseMoney,
  split,
  subtract,
  sum,
  zero,
  type Money,
  type RoundingMode,
} from './money.js';
import { seededRandom } from './testing/random.js';

/** Seeded numbers so property failures reproduce; the seed is in the title. */
function generator(seed: number) {
  const next = seededRandom(seed);
  const int = (below: number): number => Math.floor(next() * below);
  /** A bigint with a random number of digits (1..maxDigits), so every magnitude is covered. */
  const bigintDigits = (maxDigits: number): bigint => {
    const digits = 1 + int(maxDigits);
    let text = '';
    for (let index = 0; index < digits; index += 1) text += String(int(10));
    return BigInt(text);
  };
  const amount = (): bigint => {
    const magnitude = bigintDigits(16) % (amountMinorMax + 1n);
    return int(2) === 0 ? -magnitude : magnitude;
  };
  const currency = (): CurrencyCode => currencyCodes[int(currencyCodes.length)] as CurrencyCode;
  return { next, int, bigintDigits, amount, currency };
}

const iterations = 3000;
const seed = 20261125;
const modes: RoundingMode[] = ['half-even', 'half-up'];

test(`parseMoney(formatMoney(m)) is m for ${iterations} generated amounts and currencies (seed ${seed})`, (t) => {
  const random = generator(seed);
  for (let index = 0; index < iterations; index += 1) {
    const value = money(random.amount(), random.currency());
    const text = formatMoney(value);
    const back = parseMoney(text, value.currency);
    if (!equals(back, value)) t.fail(`${text} ${value.currency} parsed to ${back.amount}`);
    const fraction = text.split('.')[1] ?? '';
    if (fraction.length !== currencyExponent(value.currency))
      t.fail(`${text} has the wrong exponent`);
  }
  t.pass();
});

test(`add, subtract, negate and compare obey the laws of integers (seed ${seed + 1})`, (t) => {
  const random = generator(seed + 1);
  for (let index = 0; index < iterations; index += 1) {
    const currency = random.currency();
    const a = money(random.amount(), currency);
    const b = money(random.amount(), currency);
    const c = money(random.amount(), currency);
    t.true(equals(add(a, b), add(b, a)));
    t.true(equals(add(add(a, b), c), add(a, add(b, c))));
    t.true(equals(subtract(add(a, b), b), a));
    t.true(equals(negate(negate(a)), a));
    t.true(equals(add(a, negate(a)), zero(currency)));
    t.is(Number(compare(a, b)), 0 - compare(b, a));
    t.is(compare(a, b), subtract(a, b).amount === 0n ? 0 : subtract(a, b).amount > 0n ? 1 : -1);
    t.true(abs(a).amount >= 0n);
    t.true(equals(sum(currency, [a, b, c]), add(add(a, b), c)));
  }
});

test('arithmetic refuses mixed currencies with a CurrencyMismatchError naming both', (t) => {
  const eur = money(100n, 'EUR');
  const usd = money(100n, 'USD');
  for (const operation of [
    () => add(eur, usd),
    () => subtract(eur, usd),
    () => compare(eur, usd),
    () => sum('EUR', [eur, usd]),
  ]) {
    const error = t.throws(operation, { instanceOf: CurrencyMismatchError });
    t.regex(error.message, /EUR and USD/);
    t.is(error.code, 'validation_failed');
  }
});

test('sum of nothing is zero in the given currency; multiply scales exactly', (t) => {
  t.deepEqual(sum('JPY', []), { amount: 0n, currency: 'JPY' });
  t.deepEqual(multiply(money(333n, 'EUR'), 3n), { amount: 999n, currency: 'EUR' });
});

test('parseMoney reads decimals with the currency exponent', (t) => {
  t.deepEqual(parseMoney('12.34', 'EUR'), { amount: 1234n, currency: 'EUR' });
  t.deepEqual(parseMoney('-0.5', 'EUR'), { amount: -50n, currency: 'EUR' });
  t.deepEqual(parseMoney('+7', 'USD'), { amount: 700n, currency: 'USD' });
  t.deepEqual(parseMoney('1200', 'JPY'), { amount: 1200n, currency: 'JPY' });
  t.deepEqual(parseMoney('1.005', 'KWD'), { amount: 1005n, currency: 'KWD' });
  t.deepEqual(parseMoney('0.1', 'BHD'), { amount: 100n, currency: 'BHD' });
  t.deepEqual(parseMoney('2.5', 'CLF'), { amount: 25000n, currency: 'CLF' });
  t.deepEqual(parseMoney('10000000000000.00', 'EUR'), { amount: amountMinorMax, currency: 'EUR' });
  t.deepEqual(parseMoney('-10000000000000', 'EUR'), { amount: -amountMinorMax, currency: 'EUR' });
});

test('parseMoney rejects fractions beyond the exponent, bad syntax, unknown currencies and values beyond the bound', (t) => {
  const cases: [string, string, RegExp][] = [
    ['1.005', 'EUR', /3 decimal places; EUR has 2/],
    ['1.000', 'EUR', /3 decimal places/],
    ['1.5', 'JPY', /JPY has 0/],
    ['1.0001', 'KWD', /KWD has 3/],
    ['1e3', 'EUR', /plain decimal/],
    ['1,000.00', 'EUR', /plain decimal/],
    ['1 000', 'EUR', /plain decimal/],
    [' 1', 'EUR', /plain decimal/],
    ['', 'EUR', /plain decimal/],
    ['.5', 'EUR', /plain decimal/],
    ['5.', 'EUR', /plain decimal/],
    ['--1', 'EUR', /plain decimal/],
    ['01.00', 'EUR', /plain decimal/],
    ['0x10', 'EUR', /plain decimal/],
    ['Infinity', 'EUR', /plain decimal/],
    ['1'.repeat(41), 'EUR', /at most 40 characters/],
    ['10000000000000.01', 'EUR', /beyond the bound/],
    ['1000000000000001', 'JPY', /beyond the bound/],
    ['1.00', 'XXX', /unknown currency/],
    ['1.00', 'eur', /unknown currency/],
    ['1.00', 'XAU', /unknown currency/],
  ];
  for (const [text, currency, message] of cases) {
    const error = t.throws(
      () => parseMoney(text, currency),
      { instanceOf: ValidationError },
      `${text} ${currency}`,
    );
    t.regex(error.message, message, `${text} ${currency}`);
  }
});

test('parseMinorUnits accepts integer strings, bigints and safe integers only', (t) => {
  t.deepEqual(parseMinorUnits('1234', 'EUR'), { amount: 1234n, currency: 'EUR' });
  t.deepEqual(parseMinorUnits(-5n, 'EUR'), { amount: -5n, currency: 'EUR' });
  t.is(parseMinorUnits(999_999_999_999_999, 'JPY').amount, 999_999_999_999_999n);
  t.throws(() => parseMinorUnits(2 ** 53 - 1, 'JPY'), { message: /beyond the bound/ });
  t.throws(() => parseMinorUnits(2 ** 53, 'JPY'), { message: /not a safe integer/ });
  for (const bad of ['12.5', '1e3', ' 1', '', '-0x1', 1.5, 2 ** 53, Number.NaN, Infinity, '007']) {
    t.throws(() => parseMinorUnits(bad, 'EUR'), { instanceOf: ValidationError }, String(bad));
  }
  t.throws(() => parseMinorUnits(amountMinorMax + 1n, 'EUR'), { message: /beyond the bound/ });
  t.throws(() => money(-amountMinorMax - 1n, 'EUR'), { message: /beyond the bound/ });
});

test('formatMoney writes plain decimals with the full exponent', (t) => {
  t.is(formatMoney({ amount: 1234n, currency: 'EUR' }), '12.34');
  t.is(formatMoney({ amount: -5n, currency: 'EUR' }), '-0.05');
  t.is(formatMoney({ amount: 0n, currency: 'EUR' }), '0.00');
  t.is(formatMoney({ amount: 1200n, currency: 'JPY' }), '1200');
  t.is(formatMoney({ amount: -1n, currency: 'KWD' }), '-0.001');
  t.is(formatMoney({ amount: 12345n, currency: 'CLF' }), '1.2345');
});

test('formatMoneyDisplay localizes with Intl and keeps every minor unit', (t) => {
  t.is(formatMoneyDisplay({ amount: 123450n, currency: 'USD' }, 'en-US'), '$1,234.50');
  t.is(formatMoneyDisplay({ amount: -5n, currency: 'EUR' }, 'en-US'), '-€0.05');
  t.is(
    formatMoneyDisplay({ amount: 1234n, currency: 'EUR' }, 'fr-FR').replace(/\s/g, ' '),
    '12,34 €',
  );
  t.is(formatMoneyDisplay({ amount: 1200n, currency: 'JPY' }, 'en-US'), '¥1,200');
  t.is(
    formatMoneyDisplay({ amount: 1005n, currency: 'KWD' }, 'en-US', {
      currencyDisplay: 'code',
    }).replace(/\s/g, ' '),
    'KWD 1.005',
  );
  // Beyond 2^53 minor units: a float would have lost the last cents.
  t.is(
    formatMoneyDisplay({ amount: 999_999_999_999_999n, currency: 'EUR' }, 'en-US'),
    '€9,999,999,999,999.99',
  );
});

test('divideRounded breaks ties by mode and otherwise rounds to nearest', (t) => {
  const cases: [bigint, bigint, bigint, bigint][] = [
    // numerator, denominator, half-even, half-up
    [5n, 2n, 2n, 3n],
    [7n, 2n, 4n, 4n],
    [-5n, 2n, -2n, -3n],
    [-7n, 2n, -4n, -4n],
    [1n, 3n, 0n, 0n],
    [2n, 3n, 1n, 1n],
    [-2n, 3n, -1n, -1n],
    [25n, 10n, 2n, 3n],
    [35n, 10n, 4n, 4n],
    [0n, 7n, 0n, 0n],
  ];
  for (const [numerator, denominator, halfEven, halfUp] of cases) {
    t.is(
      divideRounded(numerator, denominator, 'half-even'),
      halfEven,
      `${numerator}/${denominator} half-even`,
    );
    t.is(
      divideRounded(numerator, denominator, 'half-up'),
      halfUp,
      `${numerator}/${denominator} half-up`,
    );
  }
  t.throws(() => divideRounded(1n, 0n, 'half-up'), { instanceOf: RangeError });
});

test(`divideRounded is within half a unit and obeys its tie rule on ${iterations} generated fractions (seed ${seed + 2})`, (t) => {
  const random = generator(seed + 2);
  for (let index = 0; index < iterations; index += 1) {
    const numerator = random.amount();
    const denominator = 1n + random.bigintDigits(4);
    for (const mode of modes) {
      const quotient = divideRounded(numerator, denominator, mode);
      const error = numerator - quotient * denominator; // exact minus rounded, times denominator
      const twice = 2n * (error < 0n ? -error : error);
      if (twice > denominator) t.fail(`${numerator}/${denominator} ${mode} gave ${quotient}`);
      if (twice === denominator) {
        const ok =
          mode === 'half-even'
            ? quotient % 2n === 0n
            : quotient < 0n === numerator < 0n && error * (numerator < 0n ? 1n : -1n) > 0n;
        if (!ok) t.fail(`tie ${numerator}/${denominator} ${mode} gave ${quotient}`);
      }
    }
  }
  t.pass();
});

test('convert applies the rate exactly and rounds once with the named mode, keeping the rate', (t) => {
  const usd = parseMoney('100.00', 'USD');
  t.deepEqual(convert(usd, 'EUR', '0.9215', 'half-even'), {
    from: usd,
    to: { amount: 9215n, currency: 'EUR' },
    rate: '0.9215',
    rounding: 'half-even',
  });
  t.deepEqual(convert(parseMoney('1000', 'JPY'), 'EUR', '0.0062', 'half-even').to, {
    amount: 620n,
    currency: 'EUR',
  });
  t.deepEqual(convert(parseMoney('12.34', 'EUR'), 'JPY', '161.5', 'half-even').to, {
    amount: 1993n,
    currency: 'JPY',
  });
  t.deepEqual(convert(parseMoney('1.000', 'KWD'), 'USD', '3.2541', 'half-up').to, {
    amount: 325n,
    currency: 'USD',
  });
  // 0.05 EUR * 0.5 = 0.025 USD: a tie.
  t.is(convert(parseMoney('0.05', 'EUR'), 'USD', '0.5', 'half-even').to.amount, 2n);
  t.is(convert(parseMoney('0.05', 'EUR'), 'USD', '0.5', 'half-up').to.amount, 3n);
  t.is(convert(parseMoney('-0.05', 'EUR'), 'USD', '0.5', 'half-even').to.amount, -2n);
  t.is(convert(parseMoney('-0.05', 'EUR'), 'USD', '0.5', 'half-up').to.amount, -3n);
  t.deepEqual(convert(usd, 'USD', '1.000', 'half-up').to, usd);
});

test('convert rejects rates that are not plain positive decimals and self-conversion at another rate', (t) => {
  const eur = parseMoney('1.00', 'EUR');
  for (const rate of ['1e2', '-1', '0', '0.000', '1,5', '', ' 1', '.5', 'NaN']) {
    t.throws(() => convert(eur, 'USD', rate, 'half-even'), { instanceOf: ValidationError }, rate);
  }
  t.throws(() => convert(eur, 'EUR', '1.1', 'half-even'), { message: /rate 1/ });
  t.throws(() => convert(eur, 'EURO', '1', 'half-even'), { message: /unknown currency/ });
  t.throws(() => convert(eur, 'USD', '1', 'down' as RoundingMode), { message: /rounding/ });
});

test(`convert is within half a target minor unit of the exact product on ${iterations} generated cases (seed ${seed + 3})`, (t) => {
  const random = generator(seed + 3);
  for (let index = 0; index < iterations; index += 1) {
    const from = money(random.amount(), random.currency());
    const target = random.currency();
    const scale = random.int(7);
    const units = 1n + random.bigintDigits(8);
    const text = units.toString().padStart(scale + 1, '0');
    const rate =
      scale === 0
        ? text
        : `${text.slice(0, text.length - scale)}.${text.slice(text.length - scale)}`;
    if (target === from.currency) continue;
    for (const mode of modes) {
      const { to } = convert(from, target, rate, mode);
      const numerator = from.amount * units * 10n ** BigInt(currencyExponent(target));
      const denominator = 10n ** BigInt(currencyExponent(from.currency) + scale);
      const error = numerator - to.amount * denominator;
      if (2n * (error < 0n ? -error : error) > denominator)
        t.fail(`${formatMoney(from)} ${from.currency} at ${rate} gave ${to.amount}`);
    }
  }
  t.pass();
});

test('allocate conserves the total and hands leftovers to the largest remainders', (t) => {
  const euro = parseMoney('1.00', 'EUR');
  t.deepEqual(
    split(euro, 3).map((part) => part.amount),
    [34n, 33n, 33n],
  );
  t.deepEqual(
    allocate(money(5n, 'EUR'), [1, 1]).map((part) => part.amount),
    [3n, 2n],
  );
  t.deepEqual(
    allocate(money(100n, 'EUR'), [70, 20, 10]).map((part) => part.amount),
    [70n, 20n, 10n],
  );
  t.deepEqual(
    allocate(money(10n, 'EUR'), [1, 0, 2]).map((part) => part.amount),
    [3n, 0n, 7n],
  );
  t.deepEqual(
    allocate(money(-100n, 'EUR'), [1, 1, 1]).map((part) => part.amount),
    [-34n, -33n, -33n],
  );
  t.throws(() => allocate(euro, []), { instanceOf: ValidationError });
  t.throws(() => allocate(euro, [0, 0]), { message: /all be zero/ });
  t.throws(() => allocate(euro, [1, -1]), { message: /negative/ });
  t.throws(() => allocate(euro, [1.5]), { message: /not an integer/ });
  t.throws(() => split(euro, 0), { instanceOf: ValidationError });
});

test(`allocate conserves the total, stays within one unit of each exact share, on ${iterations} generated cases (seed ${seed + 4})`, (t) => {
  const random = generator(seed + 4);
  for (let index = 0; index < iterations; index += 1) {
    const value = money(random.amount(), random.currency());
    const ratios = Array.from({ length: 1 + random.int(12) }, () =>
      BigInt(random.int(4) === 0 ? 0 : random.int(1000)),
    );
    if (!ratios.some((ratio) => ratio > 0n)) ratios[0] = 1n;
    const parts = allocate(value, ratios);
    const total = ratios.reduce((accumulator, ratio) => accumulator + ratio, 0n);
    if (!equals(sum(value.currency, parts), value))
      t.fail(`allocation of ${value.amount} lost money`);
    parts.forEach((part, partIndex) => {
      const ratio = ratios[partIndex] ?? 0n;
      const gap = part.amount * total - value.amount * ratio;
      if ((gap < 0n ? -gap : gap) >= total)
        t.fail(`part ${partIndex} of ${value.amount} is ${part.amount}`);
      if (ratio === 0n && part.amount !== 0n) t.fail('a zero ratio received money');
    });
    const pieces = split(value, 1 + random.int(50));
    const amounts = pieces.map((piece: Money) => piece.amount);
    const spread =
      amounts.reduce((max, amount) => (amount > max ? amount : max)) -
      amounts.reduce((min, amount) => (amount < min ? amount : min));
    if (spread > 1n || !equals(sum(value.currency, pieces), value))
      t.fail(`split of ${value.amount} is uneven`);
  }
  t.pass();
});

test('the currency table has the exponents of ISO 4217', (t) => {
  const expected: Record<string, number> = {
    JPY: 0,
    KRW: 0,
    EUR: 2,
    USD: 2,
    GBP: 2,
    BHD: 3,
    KWD: 3,
    JOD: 3,
    OMR: 3,
    TND: 3,
    LYD: 3,
    IQD: 3,
    CLF: 4,
    UYW: 4,
    ISK: 0,
    XAF: 0,
  };
  for (const [code, exponent] of Object.entries(expected))
    t.is(currencyExponent(code as CurrencyCode), exponent, code);
  t.true(currencyCodes.length > 150);
  t.false((currencyCodes as readonly string[]).includes('XAU'));
});
