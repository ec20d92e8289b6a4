/**
 * Currency conversion into the user's home currency with an explicit, stored rate. Rates are exact
 * decimals (strings); a cross rate is computed in bigint at `ratePrecisionDigits` fractional digits
 * with half-even rounding, and the converted amount is rounded half-even too (banker's rounding,
 * written into every document's `conversion`).
 *
 * The built-in table holds reference rates per EUR for a few dates; a rate is taken from the latest
 * date on or before the transaction's local date (or the earliest date for older transactions).
 * `createRatesTable` accepts other tables (a provider feed) with the same shape.
 */
import type { CurrencyCode, Money } from '@spendstream/core/money';
import { currencyExponent, isCurrencyCode } from '@spendstream/core/currencies';
import { ValidationError } from '@spendstream/core/errors';

/** Fractional digits kept in a cross rate. */
export const ratePrecisionDigits = 10;

/** Units of each currency per 1 EUR, by date (`YYYY-MM-DD`). */
export type RatesByDate = Record<string, Partial<Record<CurrencyCode, string>>>;

/** Reference rates (units per EUR), close to the published ECB figures of the dates. */
export const builtInRates: RatesByDate = {
  '2025-01-02': {
    EUR: '1',
    USD: '1.0321',
    GBP: '0.82888',
    JPY: '162.79',
    CHF: '0.9388',
    AUD: '1.6651',
    NZD: '1.8414',
    CAD: '1.4883',
    SEK: '11.4935',
    NOK: '11.7665',
    DKK: '7.4594',
    PLN: '4.2718',
    CZK: '25.179',
    HUF: '411.45',
    CNY: '7.5394',
    INR: '88.6105',
    SGD: '1.4081',
    HKD: '8.0185',
    KRW: '1514.91',
    MXN: '21.3418',
    BRL: '6.3929',
    ZAR: '19.4291',
    TRY: '36.4962',
    ILS: '3.7765',
    THB: '35.353',
    KWD: '0.3181',
    CLP: '1030.37',
  },
  '2025-07-01': {
    EUR: '1',
    USD: '1.1793',
    GBP: '0.8594',
    JPY: '169.36',
    CHF: '0.9366',
    AUD: '1.7936',
    NZD: '1.9347',
    CAD: '1.6091',
    SEK: '11.2095',
    NOK: '11.9015',
    DKK: '7.4611',
    PLN: '4.2418',
    CZK: '24.662',
    HUF: '399.2',
    CNY: '8.4466',
    INR: '100.9665',
    SGD: '1.5007',
    HKD: '9.2574',
    KRW: '1592.63',
    MXN: '22.0811',
    BRL: '6.4188',
    ZAR: '20.8016',
    TRY: '46.9637',
    ILS: '3.9653',
    THB: '38.361',
    KWD: '0.3606',
    CLP: '1099.5',
  },
  '2026-01-02': {
    EUR: '1',
    USD: '1.1621',
    GBP: '0.8712',
    JPY: '180.14',
    CHF: '0.9298',
    AUD: '1.7551',
    NZD: '2.0135',
    CAD: '1.6052',
    SEK: '10.9375',
    NOK: '11.8095',
    DKK: '7.4692',
    PLN: '4.2245',
    CZK: '24.291',
    HUF: '387.6',
    CNY: '8.2136',
    INR: '104.1495',
    SGD: '1.5003',
    HKD: '9.0423',
    KRW: '1671.05',
    MXN: '20.9012',
    BRL: '6.3804',
    ZAR: '19.5573',
    TRY: '49.8541',
    ILS: '3.7307',
    THB: '36.575',
    KWD: '0.3566',
    CLP: '1080.95',
  },
};

/** A conversion's result: the amount in the target currency and how it was obtained. */
export interface Converted {
  amount: Money;
  rate: string;
  rateDate: string;
  rounding: 'half-even';
  provider: string;
}

/** Divide with half-even rounding (banker's): ties go to the even neighbour. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  if (denominator < 0n) return divideHalfEven(-numerator, -denominator);
  const quotient = numerator / denominator; // truncates toward zero
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  const away = numerator < 0n ? quotient - 1n : quotient + 1n;
  if (twice > denominator) return away;
  if (twice < denominator) return quotient;
  return quotient % 2n === 0n ? quotient : away;
}

/** A decimal string as a scaled bigint: `'1.5'` at 3 digits is 1500n. */
function scaled(decimal: string, digits: number): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.');
  if (fraction.length > digits) {
    return divideHalfEven(BigInt(whole + fraction), 10n ** BigInt(fraction.length - digits));
  }
  return BigInt(whole + fraction.padEnd(digits, '0'));
}

function formatScaled(value: bigint, digits: number): string {
  const text = value.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = text.slice(text.length - digits).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

export interface RatesTable {
  /** Converts `value` into `target` using the rate of `date` (the transaction's local date). */
  convert(value: Money, target: CurrencyCode, date: string): Converted;
}

/** A rates table from per-EUR rates by date. */
export function createRatesTable(
  rates: RatesByDate = builtInRates,
  provider = 'reference',
): RatesTable {
  const dates = Object.keys(rates).sort();
  if (dates.length === 0)
    throw new ValidationError('a rates table needs at least one date', { field: 'rates' });
  function dateFor(date: string): string {
    let chosen = dates[0]!;
    for (const candidate of dates) if (candidate <= date) chosen = candidate;
    return chosen;
  }
  return {
    convert(value, target, date) {
      if (value.currency === target) {
        return {
          amount: value,
          rate: '1',
          rateDate: date,
          rounding: 'half-even',
          provider: 'identity',
        };
      }
      const rateDate = dateFor(date);
      const day = rates[rateDate]!;
      const from = day[value.currency];
      const to = day[target];
      if (from === undefined || to === undefined || !isCurrencyCode(target)) {
        throw new ValidationError(
          `no exchange rate from ${value.currency} to ${target} on ${rateDate}`,
          {
            field: 'amount.currency',
          },
        );
      }
      const unit = 10n ** BigInt(ratePrecisionDigits);
      // target units per 1 source unit = (target per EUR) / (source per EUR), at the kept precision.
      const rate = divideHalfEven(
        scaled(to, ratePrecisionDigits) * unit,
        scaled(from, ratePrecisionDigits),
      );
      const exponentShift = currencyExponent(target) - currencyExponent(value.currency);
      let numerator = value.amount * rate;
      let denominator = unit;
      if (exponentShift >= 0) numerator *= 10n ** BigInt(exponentShift);
      else denominator *= 10n ** BigInt(-exponentShift);
      return {
        amount: { amount: divideHalfEven(numerator, denominator), currency: target },
        rate: formatScaled(rate, ratePrecisionDigits),
        rateDate,
        rounding: 'half-even',
        provider,
      };
    },
  };
}
