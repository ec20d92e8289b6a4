/**
 * JSON text of strings and flat objects, written as `JSON.stringify` writes it, for the event
 * value the batched path builds per transaction (raw-event.ts). A plain string (printable ASCII
 * without `"` or `\`: ids, names, dates nearly always are) is quoted as it is, after one
 * regular-expression test, instead of through a `JSON.stringify` call each (the bench's event went
 * from 5.4 to 4.5 us of CPU, docs/benchmarks.md, ingest-api session 13); anything else goes
 * through `JSON.stringify`, so the text is the same either way (json-text.test.ts and
 * raw-event.test.ts compare them).
 */

/** A string JSON writes between quotes as it is. */
const plainText = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as JSON text (quoted and escaped). */
export function quoted(value: string): string {
  return plainText.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** A UTF-16 code unit of a surrogate pair without its other half. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A string as JSON text with each lone surrogate replaced by U+FFFD first: the text a UTF-8
 * encoder (Buffer, mysql2) would have made of it, for a JSON parser that refuses an escaped lone
 * surrogate (MariaDB's does).
 */
export function quotedWellFormed(value: string): string {
  return plainText.test(value)
    ? `"${value}"`
    : JSON.stringify(value.replace(loneSurrogate, '\ufffd'));
}

/** Strings as a JSON array. */
export function quotedArray(values: readonly string[]): string {
  if (values.length === 0) return '[]';
  let text = `[${quoted(values[0]!)}`;
  for (let i = 1; i < values.length; i++) text += `,${quoted(values[i]!)}`;
  return `${text}]`;
}

/**
 * A JSON object of scalar values (transaction metadata) as `JSON.stringify` writes it: keys in
 * the object's own order, a key whose value is undefined left out.
 */
export function flatObjectJson(object: Readonly<Record<string, unknown>>): string {
  let text = '';
  for (const key of Object.keys(object)) {
    const value = object[key];
    // JSON.stringify leaves out a member without JSON text (undefined, a function).
    const json = typeof value === 'string' ? quoted(value) : JSON.stringify(value);
    if (json === undefined) continue;
    text = text === '' ? `${quoted(key)}:${json}` : `${text},${quoted(key)}:${json}`;
  }
  return `{${text}}`;
}
