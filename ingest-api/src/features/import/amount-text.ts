/**
 * Amounts as bank files write them, turned into a sign and a plain decimal magnitude: `1.234,56`
 * (decimal comma), `1,234.56`, `1 234,56`, `1'234.56`, `-12.00`, `12.00-`, `(12.00)`, `+5`, with
 * currency symbols or codes around them. Thousands groups must be groups of three, so a file read
 * with the wrong decimal separator fails loudly instead of being off by a factor of a thousand.
 */

export type DecimalSeparator = '.' | ',';

export interface DecimalText {
  negative: boolean;
  /** Plain decimal magnitude: digits, optionally `.` and more digits. */
  magnitude: string;
}

/** Longest amount text accepted, in characters. */
export const amountTextCharsMax = 40;

const currencyNoise = /^[A-Z]{3}\s*|\s*[A-Z]{3}$|[€$£¥₹₩₺₽₪₫฿₦₴₲₱₡₵₸]|R\$|kr|zł|Kč/g;

/** Parse an amount text; returns undefined for an empty cell, throws a message for a bad one. */
export function parseAmountText(
  raw: string,
  decimalSeparator: DecimalSeparator,
): DecimalText | undefined {
  let text = raw.trim();
  if (text === '') return undefined;
  if (text.length > amountTextCharsMax)
    throw new Error(`amount is longer than ${amountTextCharsMax} characters`);
  let negative = false;
  if (text.startsWith('(') && text.endsWith(')')) {
    negative = true;
    text = text.slice(1, -1).trim();
  }
  text = text.replace(currencyNoise, '').trim();
  if (text.startsWith('-') || text.startsWith('\u2212')) {
    negative = !negative;
    text = text.slice(1).trim();
  } else if (text.startsWith('+')) {
    text = text.slice(1).trim();
  } else if (text.endsWith('-')) {
    negative = !negative;
    text = text.slice(0, -1).trim();
  }
  text = text.replace(currencyNoise, '').trim();

  const groupSeparators =
    decimalSeparator === ','
      ? ['.', ' ', '\u00a0', '\u202f', "'"]
      : [',', ' ', '\u00a0', '\u202f', "'"];
  const decimalAt = text.lastIndexOf(decimalSeparator);
  const whole = decimalAt === -1 ? text : text.slice(0, decimalAt);
  const fraction = decimalAt === -1 ? '' : text.slice(decimalAt + 1);
  if (decimalAt !== -1 && !/^[0-9]+$/.test(fraction)) {
    throw new Error(
      `${JSON.stringify(raw)} is not an amount with decimal separator "${decimalSeparator}"`,
    );
  }
  let digits = whole;
  if (!/^[0-9]+$/.test(whole)) {
    const separator = groupSeparators.find((s) => whole.includes(s));
    const groups = separator === undefined ? [whole] : whole.split(separator);
    const [head, ...rest] = groups;
    const grouped =
      separator !== undefined &&
      /^[0-9]{1,3}$/.test(head ?? '') &&
      rest.length > 0 &&
      rest.every((g) => /^[0-9]{3}$/.test(g));
    if (!grouped) {
      throw new Error(
        `${JSON.stringify(raw)} is not an amount with decimal separator "${decimalSeparator}"`,
      );
    }
    digits = groups.join('');
  }
  if (digits === '' && fraction === '') throw new Error(`${JSON.stringify(raw)} has no digits`);
  const normalizedWhole = digits.replace(/^0+(?=[0-9])/, '') || '0';
  return {
    negative,
    magnitude: fraction === '' ? normalizedWhole : `${normalizedWhole}.${fraction}`,
  };
}
