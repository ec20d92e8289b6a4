/**
 * Building blocks shared by every event schema. Amounts are bigint in code and a decimal string of
 * minor units on the wire (see json.ts for why); zod codecs convert both ways, so `decode` yields
 * bigint and `encode` yields strings. Field limits are named constants: every string, list and map in
 * an event has a bound.
 */
import { z } from 'zod';
import { currencyCodes, type CurrencyCode } from '../currencies.js';
import { amountMinorMax } from '../money.js';

/** Longest id (user, wallet, transaction, event, rule, budget), in characters. */
export const idLengthMax = 128;
/** Longest free-text label (merchant name, category name, tag), in characters. */
export const labelLengthMax = 200;
/** Longest free text (description, note, alert message), in characters. */
export const textLengthMax = 2000;

/**
 * An opaque identifier: letters, digits and `_ - : .` (so ids from banks like `acme:tx:2026-11-01:17`
 * fit), never starting with `$` or containing `/` or whitespace, so it is safe as a Kafka key, a
 * MongoDB `_id`, a URL path segment and a search-index id.
 */
export const idSchema = z
  .string()
  .min(1)
  .max(idLengthMax)
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/,
    'must be letters, digits, _ . : - (not starting with . : -)',
  );

/** Characters an id may not hold (`idSchema`). */
const idRefused = /[^A-Za-z0-9_.:-]/g;

/**
 * `text` made into an id for an event the system derives (an enriched version, a dead letter):
 * each refused character written as `_`, cut to `idLengthMax`. The text must start with a
 * character an id may start with.
 */
export function idFrom(text: string): string {
  return text.replace(idRefused, '_').slice(0, idLengthMax);
}

/** ISO 8601 date-time with an explicit offset or Z, e.g. `2026-11-25T18:04:05.123+01:00`. */
export const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** ISO 8601 calendar date, `YYYY-MM-DD`. */
export const isoDateSchema = z.iso.date();

/** An IANA time-zone name that this runtime knows (`Europe/Paris`, `UTC`). */
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => isKnownTimeZone(zone), 'must be an IANA time zone name such as Europe/Paris');

/** Most time-zone names remembered as valid (there are about 600 IANA names). */
const knownTimeZonesMax = 2000;
const knownTimeZones = new Set<string>();

/** Checking a zone builds an Intl formatter (~0.2 ms): remember the answer for valid names. */
function isKnownTimeZone(zone: string): boolean {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  if (knownTimeZones.size < knownTimeZonesMax) knownTimeZones.add(zone);
  return true;
}

/** An accepted ISO 4217 code. */
export const currencyCodeSchema = z.enum(
  currencyCodes as unknown as [CurrencyCode, ...CurrencyCode[]],
);

const minorUnitsPattern = /^-?(0|[1-9][0-9]*)$/;
const minorUnitsDigitsMax = amountMinorMax.toString().length;

const nonNegativeMinorUnitsPattern = /^(0|[1-9][0-9]*)$/;

function minorUnitsCodec(minimum: bigint) {
  const pattern = minimum >= 0n ? nonNegativeMinorUnitsPattern : minorUnitsPattern;
  return z.codec(
    z
      .string()
      .max(minorUnitsDigitsMax + 1)
      .regex(
        pattern,
        minimum >= 0n
          ? 'must be a non-negative integer number of minor units written as a string, e.g. "1234"'
          : 'must be an integer number of minor units written as a string, e.g. "-1234"',
      )
      .describe('An integer number of minor units as a decimal string (bigint in code).'),
    // The bound is checked on the bigint side, in both directions (decode and encode).
    z.bigint().min(minimum).max(amountMinorMax),
    { decode: (text) => BigInt(text), encode: (value) => value.toString() },
  );
}

/** Minor units: a decimal integer string on the wire (`"-1234"`), bigint in code, |value| <= amountMinorMax. */
export const minorUnitsSchema = minorUnitsCodec(-amountMinorMax);

/** Minor units, zero or more. */
export const nonNegativeMinorUnitsSchema = minorUnitsCodec(0n);

/** A Money value: `{ "amount": "1234", "currency": "EUR" }` on the wire, `{ amount: 1234n, ... }` in code. */
export const moneySchema = z
  .object({ amount: minorUnitsSchema, currency: currencyCodeSchema })
  .describe('An exact amount: minor units of an ISO 4217 currency (EUR "1234" is 12.34 EUR).');

/** A Money whose amount is zero or more (transaction magnitudes, limits, thresholds). */
export const nonNegativeMoneySchema = z
  .object({ amount: nonNegativeMinorUnitsSchema, currency: currencyCodeSchema })
  .describe('An exact amount, zero or more: minor units of an ISO 4217 currency.');

/** A positive decimal written as a string, exact (`"1.0842"`), used for exchange rates and factors. */
export const decimalStringSchema = z
  .string()
  .max(40)
  .regex(
    /^(0|[1-9][0-9]*)(\.[0-9]+)?$/,
    'must be a plain decimal such as "1.0842" (no sign, exponent or grouping)',
  );

/** Explicit rounding modes: banker's rounding (`half-even`) or commercial (`half-up`). */
export const roundingModeSchema = z.enum(['half-even', 'half-up']);

/** Most tags on one transaction. */
export const tagsPerTransactionMax = 20;
/** Longest tag, in characters. */
export const tagLengthMax = 40;

/** A tag: short text; no leading `$` and no `.` so it is safe as a MongoDB field name in rollups. */
export const tagSchema = z
  .string()
  .min(1)
  .max(tagLengthMax)
  .regex(/^[^$.\s][^.]*$/, 'must not start with $ or whitespace and must not contain "."');

/** Most metadata entries on one transaction. */
export const metadataEntriesMax = 32;
/** Longest metadata key, in characters. */
export const metadataKeyLengthMax = 64;
/** Longest metadata string value, in characters. */
export const metadataValueLengthMax = 512;

/**
 * Free-form metadata from the source (bank reference, app version): a flat, bounded map of scalar
 * values. Keys are safe as MongoDB field names (no `.`, no leading `$`).
 */
export const metadataSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(metadataKeyLengthMax)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, 'metadata keys are letters, digits, _ and -'),
    z.union([z.string().max(metadataValueLengthMax), z.number(), z.boolean(), z.null()]),
  )
  .refine(
    (map) => Object.keys(map).length <= metadataEntriesMax,
    `at most ${metadataEntriesMax} metadata entries`,
  );

/** Longest category id, in characters. */
export const categoryIdLengthMax = 64;
/** Deepest category tree (root to leaf). */
export const categoryDepthMax = 5;

/**
 * A category id such as `groceries` or `custom-7f3a`: lower case, no `.` (safe as a MongoDB field
 * name), unique across the category tree; the tree itself travels as a path (`['food', 'groceries']`).
 */
export const categoryIdSchema = z
  .string()
  .min(1)
  .max(categoryIdLengthMax)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ and -, e.g. groceries');
