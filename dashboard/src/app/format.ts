/**
 * Money and dates for people: amounts are integer minor units (strings on the wire, bigint here)
 * shown in the browser's locale with the currency's own number of decimals; dates are shown in the
 * user's time zone (from their account), whatever zone the browser is in.
 */

/** The wire form of money every API uses. */
export interface Money {
  amount: string;
  currency: string;
}

/** Decimals of a currency (EUR 2, JPY 0, KWD 3), as Intl knows them. */
export function currencyDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits ?? 2
  );
}

/** `"-123456"` minor units of EUR -> `"-1234.56"`: exact, no floating point. */
export function minorToDecimal(minor: string | bigint, currency: string): string {
  const digits = currencyDigits(currency);
  const value = BigInt(minor);
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * Formats minor units in `locale`. Intl formats a decimal string exactly (no rounding through a
 * double), so 2^53 and beyond print right.
 */
export function formatMoney(
  money: Money | { amount: string | bigint; currency: string },
  locale?: string,
  options: { signDisplay?: 'auto' | 'always' | 'exceptZero'; compact?: boolean } = {},
): string {
  const decimal = minorToDecimal(money.amount, money.currency);
  const format = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: money.currency,
    signDisplay: options.signDisplay ?? 'auto',
    ...(options.compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
  });
  // The string overload (Intl.NumberFormat v3) keeps every digit.
  return format.format(decimal as unknown as number);
}

/** The locale's decimal separator ("." in en, "," in de). */
export function decimalSeparator(locale?: string): string {
  return new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')!.value;
}

export class AmountError extends Error {}

/**
 * What a person typed ("12.5", "12,50", "1 234,56", "1,234.56") -> minor units as a string, checked
 * against the currency's decimals. A lone separator followed by exactly three digits is read as a
 * thousands group only when the locale says so.
 */
export function parseAmount(text: string, currency: string, locale?: string): string {
  const digits = currencyDigits(currency);
  const cleaned = text.replace(/[\s\u00a0\u202f']/g, '').replace(/^[+]/, '');
  if (cleaned === '') throw new AmountError('enter an amount');
  if (!/^\d[\d.,]*$/.test(cleaned)) throw new AmountError('use digits and one decimal separator');
  const localeSeparator = decimalSeparator(locale);
  const lastDot = cleaned.lastIndexOf('.');
  const lastComma = cleaned.lastIndexOf(',');
  let separator: string | undefined;
  if (lastDot >= 0 && lastComma >= 0) separator = lastDot > lastComma ? '.' : ',';
  else if (lastDot >= 0 || lastComma >= 0) {
    const only = lastDot >= 0 ? '.' : ',';
    const count = cleaned.split(only).length - 1;
    const after = cleaned.length - cleaned.lastIndexOf(only) - 1;
    // "1.234" in a comma-decimal locale is a thousand; "12.5" is twelve and a half everywhere.
    separator = count > 1 || (after === 3 && only !== localeSeparator) ? undefined : only;
  }
  const [whole = '', fraction = '', ...rest] =
    separator === undefined ? [cleaned.replace(/[.,]/g, '')] : cleaned.split(separator);
  if (rest.length > 0) throw new AmountError('use one decimal separator');
  // Thousands separators only between groups of three: "1.2.3" is a typo, not 123.
  if (!/^\d+$/.test(whole) && !/^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$/.test(whole)) {
    throw new AmountError('thousands separators go between groups of three digits');
  }
  if (/[.,]/.test(fraction)) throw new AmountError('use one decimal separator');
  const wholeDigits = whole.replace(/[.,]/g, '');
  if (fraction.length > digits) {
    throw new AmountError(
      digits === 0 ? `${currency} has no decimals` : `${currency} has ${digits} decimals at most`,
    );
  }
  const minor = BigInt((wholeDigits || '0') + fraction.padEnd(digits, '0'));
  if (minor <= 0n) throw new AmountError('enter an amount above zero');
  return minor.toString();
}

/** A date (YYYY-MM-DD or an instant) shown in the user's zone, e.g. "25 Nov 2026". */
export function formatDate(value: string, timeZone: string, locale?: string): string {
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T12:00:00Z`)
    : new Date(value);
  return new Intl.DateTimeFormat(locale, {
    timeZone: /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'UTC' : timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  }).format(instant);
}

/** An instant with the time, in the user's zone: "25 Nov, 21:52". */
export function formatDateTime(value: string, timeZone: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(value));
}

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export function todayIn(timeZone: string, now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The offset of `timeZone` at `instant`, as "+05:30". */
export function offsetAt(timeZone: string, instant: Date): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    timeZoneName: 'longOffset',
  }).formatToParts(instant);
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return match ? `${match[1]}:${match[2] ?? '00'}` : '+00:00';
}

/**
 * When a movement dated `date` happened, with the user's offset: now when the date is today, noon
 * of that day otherwise (a date without a time should not slide into the neighbouring day).
 */
export function occurredAtFor(date: string, timeZone: string, now = new Date()): string {
  if (date === todayIn(timeZone, now)) {
    const local = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(now);
    return `${date}T${local}${offsetAt(timeZone, now)}`;
  }
  const noonUtc = new Date(`${date}T12:00:00Z`);
  return `${date}T12:00:00${offsetAt(timeZone, noonUtc)}`;
}

/** Shifts a YYYY-MM-DD by whole days, weeks, months or years (calendar arithmetic on UTC dates). */
export function shiftDate(
  date: string,
  unit: 'day' | 'week' | 'month' | 'year',
  n: number,
): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (unit === 'day') d.setUTCDate(d.getUTCDate() + n);
  if (unit === 'week') d.setUTCDate(d.getUTCDate() + 7 * n);
  if (unit === 'month') {
    // The same day of the target month, or its last day (31 January + 1 month = 28 February).
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + n);
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, last));
  }
  if (unit === 'year') d.setUTCFullYear(d.getUTCFullYear() + n);
  return d.toISOString().slice(0, 10);
}

/** A period's label: "November 2026", "Week of 23 Nov", "2026". */
export function periodLabel(
  period: 'day' | 'week' | 'month' | 'year',
  from: string,
  locale?: string,
): string {
  const d = new Date(`${from}T12:00:00Z`);
  const format = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat(locale, { timeZone: 'UTC', ...options }).format(d);
  if (period === 'month') return format({ month: 'long', year: 'numeric' });
  if (period === 'year') return format({ year: 'numeric' });
  if (period === 'week') return `Week of ${format({ day: 'numeric', month: 'short' })}`;
  return format({ day: 'numeric', month: 'long', year: 'numeric' });
}

/**
 * An alert in words, amounts in the locale: "Groceries: €87.50 spent, 80% of €100.00". Rules this
 * page does not know keep the pipeline's own message.
 */
export function alertText(
  alert: {
    rule: string;
    message: string;
    subject?: { name?: string };
    threshold?: { percent?: number };
    amounts?: { observed?: Money; limit?: Money };
  },
  locale?: string,
): string {
  const { observed, limit } = alert.amounts ?? {};
  if (
    alert.rule === 'budget_threshold' &&
    observed &&
    limit &&
    alert.threshold?.percent !== undefined
  ) {
    const name = alert.subject?.name ?? 'Budget';
    return `${name}: ${formatMoney(observed, locale)} spent, ${alert.threshold.percent}% of ${formatMoney(limit, locale)}`;
  }
  return alert.message;
}
