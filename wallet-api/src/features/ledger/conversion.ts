/**
 * Currency conversion for transfers: exact bigint arithmetic on an explicit decimal rate, with a
 * named rounding mode. The rate and the mode are stored on the movement, so the result can be
 * recomputed and audited later.
 */
import { ValidationError } from '@spendstream/core/errors';

export const roundingModes = ['half-even', 'half-up'] as const;
export type RoundingMode = (typeof roundingModes)[number];

/** Most fractional digits a rate may carry. */
export const rateFractionDigitsMax = 12;

/** Divide with the given rounding; numerator may be negative, denominator is positive. */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const quotient = n / denominator;
  const twiceRemainder = (n % denominator) * 2n;
  let rounded = quotient;
  if (twiceRemainder > denominator) rounded += 1n;
  else if (twiceRemainder === denominator) {
    if (mode === 'half-up' || quotient % 2n === 1n) rounded += 1n;
  }
  return negative ? -rounded : rounded;
}

/**
 * Convert `amount` minor units of a currency with exponent `fromExponent` into minor units of a
 * currency with exponent `toExponent`, at `rate` (units of the target per one unit of the source).
 */
export function convertMinor(
  amount: bigint,
  fromExponent: number,
  toExponent: number,
  rate: string,
  mode: RoundingMode,
): bigint {
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(rate);
  if (!match)
    throw new ValidationError('rate must be a plain positive decimal such as "1.0842"', {
      field: 'rate',
    });
  const fraction = match[2] ?? '';
  if (fraction.length > rateFractionDigitsMax) {
    throw new ValidationError(`rate has more than ${rateFractionDigitsMax} fractional digits`, {
      field: 'rate',
    });
  }
  const rateUnits = BigInt(`${match[1]}${fraction}`);
  if (rateUnits === 0n) throw new ValidationError('rate must be above zero', { field: 'rate' });
  // amount / 10^from * rateUnits / 10^scale * 10^to, as one division so rounding happens once.
  const numerator = amount * rateUnits * 10n ** BigInt(toExponent);
  const denominator = 10n ** BigInt(fraction.length + fromExponent);
  return divideRounded(numerator, denominator, mode);
}
