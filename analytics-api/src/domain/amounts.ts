/**
 * Integer arithmetic on minor units. Averages and projections divide bigints and round half up
 * (away from zero on .5), written down in docs/analytics-api.md.
 */
import { invariant } from '@spendstream/core/errors';

/** `numerator / denominator` rounded half up; denominator must be positive. */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  invariant(denominator > 0n, 'divisor must be positive');
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice < denominator) return quotient;
  return numerator < 0n ? quotient - 1n : quotient + 1n;
}

/** `part / whole` as a percentage with two decimals (a ratio, so a number is fine); null when whole is 0. */
export function percentOf(part: bigint, whole: bigint): number | null {
  if (whole === 0n) return null;
  const sign = whole < 0n ? -1n : 1n;
  return Number(divideRoundHalfUp(part * 10_000n * sign, whole * sign)) / 100;
}
