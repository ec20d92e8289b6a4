/**
 * Money: an exact integer amount of minor units (cents, yen, fils) paired with its ISO 4217 currency.
 * Never a JavaScript number: every operation is bigint arithmetic, and every conversion or division
 * names its rounding mode.
 */
import { type CurrencyCode, currencyExponent, isCurrencyCode } from './currencies.js';
import { ValidationError, type DomainErrorOptions } from './errors.js';

export type { CurrencyCode } from './currencies.js';

/** An exact amount: `amount` minor units of `currency` (EUR 12.34 is `{ amount: 1234n, currency: 'EUR' }`). */
export interface Money {
  readonly amount: bigint;
  readonly currency: CurrencyCode;
}

/**
 * The largest absolute amount accepted as input, in minor units: 10^15 (ten trillion euros). It leaves
 * room below MySQL's signed BIGINT (9.2 * 10^18) for sums of many amounts, and bounds input so no
 * request can carry an absurd number. Arithmetic itself is unbounded (bigint); stores check the bound
 * again where a column has one.
 */
export const amountMinorMax = 10n ** 15n;

/** Longest decimal or minor-unit string accepted by the parsers, in characters. */
export const amountTextLengthMax = 40;

/** Longest exchange-rate string, in characters (digits and the point). */
export const rateTextLengthMax = 40;

/** How a value exactly halfway between two minor units is rounded. */
export type RoundingMode = 'half-even' | 'half-up';

/** The rounding modes, for schemas and docs. `half-up` rounds halves away from zero. */
export const roundingModes: readonly RoundingMode[] = ['half-even', 'half-up'];

/** Two amounts in different currencies met where one currency is required. */
export class CurrencyMismatchError extends ValidationError {
  readonly currencies: readonly [CurrencyCode, CurrencyCode];

  constructor(
    operation: string,
    left: CurrencyCode,
    right: CurrencyCode,
    options: DomainErrorOptions = {},
  ) {
    super(
      `cannot ${operation} ${left} and ${right}: amounts must be in the same currency (convert first)`,
      {
        field: 'currency',
        ...options,
      },
    );
    this.currencies = [left, right];
  }
}

function checkCurrency(currency: string, field: string): CurrencyCode {
  if (!isCurrencyCode(currency)) {
    throw new ValidationError(
      `unknown currency ${JSON.stringify(currency)}: not an active ISO 4217 code with a minor unit`,
      { field },
    );
  }
  return currency;
}

/** Build a Money after checking the currency and the bound. */
export function money(amount: bigint, currency: string): Money {
  const code = checkCurrency(currency, 'currency');
  assertAmountWithinBound(amount);
  return { amount, currency: code };
}

/** Zero of a currency. */
export function zero(currency: CurrencyCode): Money {
  return { amount: 0n, currency };
}

/** Throw a ValidationError when |amount| exceeds amountMinorMax. */
export function assertAmountWithinBound(amount: bigint, field = 'amount'): void {
  if (amount > amountMinorMax || amount < -amountMinorMax) {
    throw new ValidationError(
      `amount ${amount} minor units is beyond the bound of ±${amountMinorMax}`,
      { field },
    );
  }
}

/** The minor-unit exponent of a Money's currency (2 for EUR). */
export function exponentOf(value: Money): number {
  return currencyExponent(value.currency);
}

function sameCurrency(operation: string, left: Money, right: Money): CurrencyCode {
  if (left.currency !== right.currency) {
    throw new CurrencyMismatchError(operation, left.currency, right.currency);
  }
  return left.currency;
}

/** left + right; same currency required. */
export function add(left: Money, right: Money): Money {
  return { amount: left.amount + right.amount, currency: sameCurrency('add', left, right) };
}

/** left - right; same currency required. */
export function subtract(left: Money, right: Money): Money {
  return { amount: left.amount - right.amount, currency: sameCurrency('subtract', left, right) };
}

/** -value. */
export function negate(value: Money): Money {
  return { amount: -value.amount, currency: value.currency };
}

/** |value|. */
export function abs(value: Money): Money {
  return value.amount < 0n ? negate(value) : value;
}

/** value * factor, for an integer factor (quantities, counts). */
export function multiply(value: Money, factor: bigint): Money {
  return { amount: value.amount * factor, currency: value.currency };
}

/** -1, 0 or 1 as left is less than, equal to or greater than right; same currency required. */
export function compare(left: Money, right: Money): -1 | 0 | 1 {
  sameCurrency('compare', left, right);
  return left.amount < right.amount ? -1 : left.amount > right.amount ? 1 : 0;
}

/** True when both have the same currency and amount. */
export function equals(left: Money, right: Money): boolean {
  return left.currency === right.currency && left.amount === right.amount;
}

/** The sum of values, all in `currency` (the currency makes the empty sum well defined). */
export function sum(currency: CurrencyCode, values: Iterable<Money>): Money {
  let total = 0n;
  for (const value of values) {
    if (value.currency !== currency)
      throw new CurrencyMismatchError('sum', currency, value.currency);
    total += value.amount;
  }
  return { amount: total, currency };
}

const decimalPattern = /^([+-]?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parse a decimal string in major units: `"12.34"`, `"-0.5"`, `"+7"`, `"1200"` (JPY). Rejects
 * exponent notation, grouping separators, a fraction with more digits than the currency's exponent
 * (`"1.005"` EUR, even `"1.000"`: the caller is confused about units), an unknown currency and any
 * value beyond amountMinorMax.
 */
export function parseMoney(text: string, currency: string, field = 'amount'): Money {
  const code = checkCurrency(currency, 'currency');
  if (typeof text !== 'string' || text.length > amountTextLengthMax) {
    throw new ValidationError(
      `amount must be a decimal string of at most ${amountTextLengthMax} characters`,
      {
        field,
      },
    );
  }
  const match = decimalPattern.exec(text);
  if (match === null) {
    throw new ValidationError(
      `amount ${JSON.stringify(text)} is not a plain decimal such as "12.34" (no exponent, no grouping, no spaces)`,
      { field },
    );
  }
  const [, sign, whole = '0', fraction = ''] = match;
  const exponent = currencyExponent(code);
  if (fraction.length > exponent) {
    throw new ValidationError(
      `amount ${JSON.stringify(text)} has ${fraction.length} decimal places; ${code} has ${exponent}`,
      { field },
    );
  }
  const minor = BigInt(whole + fraction.padEnd(exponent, '0'));
  const amount = sign === '-' ? -minor : minor;
  assertAmountWithinBound(amount, field);
  return { amount, currency: code };
}

const minorPattern = /^-?(0|[1-9][0-9]*)$/;

/**
 * Parse an amount already in minor units: a decimal integer string (`"1234"`), a bigint, or a JS
 * number that is a safe integer (anything else may already have lost precision, so it is refused).
 */
export function parseMinorUnits(
  value: string | bigint | number,
  currency: string,
  field = 'amount',
): Money {
  const code = checkCurrency(currency, 'currency');
  let amount: bigint;
  if (typeof value === 'bigint') {
    amount = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new ValidationError(
        `amount ${value} is not a safe integer number of minor units; send it as a string`,
        { field },
      );
    }
    amount = BigInt(value);
  } else if (
    typeof value === 'string' &&
    value.length <= amountTextLengthMax &&
    minorPattern.test(value)
  ) {
    amount = BigInt(value);
  } else {
    throw new ValidationError(
      `amount ${JSON.stringify(value)} is not an integer number of minor units such as "1234"`,
      { field },
    );
  }
  assertAmountWithinBound(amount, field);
  return { amount, currency: code };
}

/** The amount as a plain decimal string in major units: `"12.34"`, `"-0.05"`, `"1200"` (JPY). */
export function formatMoney(value: Money): string {
  return formatDecimal(value.amount, currencyExponent(value.currency));
}

function formatDecimal(amount: bigint, exponent: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString();
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const whole = padded.slice(0, padded.length - exponent);
  const fraction = padded.slice(padded.length - exponent);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * The amount for people, localized with Intl (`"12,34 €"` in fr-FR, `"-$1,234.50"` in en-US). Always
 * shows the currency's full exponent, so no minor unit is hidden by rounding; the decimal string is
 * handed to Intl exactly (no float on the way).
 */
export function formatMoneyDisplay(
  value: Money,
  locale = 'en-US',
  options: { currencyDisplay?: 'symbol' | 'narrowSymbol' | 'code' | 'name' } = {},
): string {
  const exponent = currencyExponent(value.currency);
  const format = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: value.currency,
    currencyDisplay: options.currencyDisplay ?? 'symbol',
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  // Intl formats a decimal string exactly (ECMA-402 NumberFormat v3); the cast is for older lib types.
  return format.format(formatMoney(value) as unknown as number);
}

/**
 * numerator / denominator rounded to an integer with `mode`; denominator must be positive.
 * `half-up` rounds a tie away from zero, `half-even` to the even neighbour (banker's rounding).
 */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator <= 0n) throw new RangeError('divideRounded needs a positive denominator');
  const quotient = numerator / denominator; // truncates toward zero
  const remainder = numerator % denominator; // same sign as numerator
  if (remainder === 0n) return quotient;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  const away = numerator < 0n ? quotient - 1n : quotient + 1n;
  if (twice > denominator) return away;
  if (twice < denominator) return quotient;
  if (mode === 'half-up') return away;
  return quotient % 2n === 0n ? quotient : away;
}

const ratePattern = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** An exact decimal as numerator / 10^scale. */
interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

function parseRate(rate: string): Decimal {
  const match =
    typeof rate === 'string' && rate.length <= rateTextLengthMax ? ratePattern.exec(rate) : null;
  if (match === null) {
    throw new ValidationError(
      `rate ${JSON.stringify(rate)} is not a plain positive decimal such as "1.0842"`,
      { field: 'rate' },
    );
  }
  const [, whole = '0', fraction = ''] = match;
  const units = BigInt(whole + fraction);
  if (units === 0n) throw new ValidationError('rate must be greater than zero', { field: 'rate' });
  return { units, scale: fraction.length };
}

/** A converted amount with everything needed to reproduce it. */
export interface Conversion {
  /** The amount converted. */
  readonly from: Money;
  /** The result, rounded to the target currency's minor unit. */
  readonly to: Money;
  /** Units of the target currency per one major unit of the source currency, as given. */
  readonly rate: string;
  readonly rounding: RoundingMode;
}

/**
 * Convert `value` into `currency` at `rate` (target major units per one source major unit, as an
 * exact decimal string), rounding the result to the target's minor unit with `rounding`. Exact: the
 * product is computed as a bigint fraction and rounded once. Converting into the same currency needs
 * rate "1".
 */
export function convert(
  value: Money,
  currency: string,
  rate: string,
  rounding: RoundingMode,
): Conversion {
  const target = checkCurrency(currency, 'currency');
  const { units, scale } = parseRate(rate);
  if (target === value.currency && units !== 10n ** BigInt(scale)) {
    throw new ValidationError(`converting ${target} into itself needs rate 1, not ${rate}`, {
      field: 'rate',
    });
  }
  if (rounding !== 'half-even' && rounding !== 'half-up') {
    throw new ValidationError(`unknown rounding mode ${JSON.stringify(rounding)}`, {
      field: 'rounding',
    });
  }
  const fromExponent = BigInt(currencyExponent(value.currency));
  const toExponent = BigInt(currencyExponent(target));
  // to_minor = from_minor / 10^fromExp * (units / 10^scale) * 10^toExp
  const numerator = value.amount * units * 10n ** toExponent;
  const denominator = 10n ** (fromExponent + BigInt(scale));
  const amount = divideRounded(numerator, denominator, rounding);
  return { from: value, to: { amount, currency: target }, rate, rounding };
}

/** Most parts one allocation may produce. */
export const allocationPartsMax = 10_000;

/**
 * Split `value` into parts proportional to `ratios` (non-negative integers, not all zero), so that the
 * parts sum exactly to `value`. Each part is the floor of its exact share (toward zero for negative
 * amounts); the leftover minor units go one each to the parts with the largest remainders, earlier
 * parts first on ties. Deterministic: the same input always gives the same parts.
 */
export function allocate(value: Money, ratios: readonly (bigint | number)[]): Money[] {
  if (ratios.length === 0 || ratios.length > allocationPartsMax) {
    throw new ValidationError(`allocation needs 1..${allocationPartsMax} ratios`, {
      field: 'ratios',
    });
  }
  const weights = ratios.map((ratio) => {
    if (typeof ratio === 'number' && !Number.isSafeInteger(ratio)) {
      throw new ValidationError(`ratio ${ratio} is not an integer`, { field: 'ratios' });
    }
    const weight = BigInt(ratio);
    if (weight < 0n) throw new ValidationError('ratios must not be negative', { field: 'ratios' });
    return weight;
  });
  const total = weights.reduce((accumulator, weight) => accumulator + weight, 0n);
  if (total === 0n) throw new ValidationError('ratios must not all be zero', { field: 'ratios' });
  const negative = value.amount < 0n;
  const magnitude = negative ? -value.amount : value.amount;
  const parts = weights.map((weight) => (magnitude * weight) / total);
  const remainders = weights.map((weight, index) => ({
    index,
    remainder: (magnitude * weight) % total,
  }));
  let leftover = magnitude - parts.reduce((accumulator, part) => accumulator + part, 0n);
  remainders.sort((left, right) =>
    left.remainder === right.remainder
      ? left.index - right.index
      : left.remainder > right.remainder
        ? -1
        : 1,
  );
  for (const { index } of remainders) {
    if (leftover === 0n) break;
    parts[index] = (parts[index] ?? 0n) + 1n;
    leftover -= 1n;
  }
  return parts.map((part) => ({ amount: negative ? -part : part, currency: value.currency }));
}

/** Split `value` into `count` parts as equal as possible (they differ by at most one minor unit). */
export function split(value: Money, count: number): Money[] {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ValidationError('split needs a positive integer count', { field: 'count' });
  }
  return allocate(
    value,
    Array.from({ length: count }, () => 1n),
  );
}
