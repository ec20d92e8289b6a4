/**
 * Money: an exact integer amount of minor units (cents, yen, fils) paired with its ISO 4217 currency.
 * Never a JavaScript number: every operation is bigint arithmetic, and every conversion or division
 * names its rounding mode.
 */
import { type CurrencyCode, currencyExponent, isCurrencyCode } from './currencies.js';
import { ValidationError } from './errors.js';

export type { CurrencyCode } from './currencies.js';

/** An exact amount: `amount` minor units of `currency` (EUR 12.34 is `{ amount: 1234n, currency: 'EUR' }`). */
export interface Money {
  readonly amount: bigint;
  readonly currency: CurrencyCode;
}

/**
 * The largest absolute amount accepted anywhere, in minor units: 10^15 (ten trillion euros). It leaves
 * room below MySQL's signed BIGINT (9.2 * 10^18) for sums of many amounts, and bounds input so no
 * request can carry an absurd number.
 */
export const amountMinorMax = 10n ** 15n;

/** Build a Money after checking the currency and the bound. */
export function money(amount: bigint, currency: string): Money {
  if (!isCurrencyCode(currency)) {
    throw new ValidationError(
      `unknown currency ${JSON.stringify(currency)}: not an active ISO 4217 code`,
      {
        field: 'currency',
      },
    );
  }
  assertAmountWithinBound(amount);
  return { amount, currency };
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
