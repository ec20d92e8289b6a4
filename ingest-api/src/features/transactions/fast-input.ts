/**
 * The hot path's validator for one transaction body: the same rules as `transactionInputSchema`
 * (which stays the schema of record, for the OpenAPI document and every error message), checked by
 * hand in one pass. A zod parse of the body cost about a sixth of the server's CPU per transaction.
 *
 * It only ever says "valid, here is the parsed input" or "not sure": anything it does not accept
 * goes through the zod schema, which then either throws the canonical error or (should this
 * check be stricter than zod somewhere) returns zod's own result. So the answers and errors are
 * zod's by construction; what the tests must show is that this never accepts what zod refuses and
 * returns exactly zod's output when it accepts (`fast-input.test.ts`, samples and mutations).
 */
import {
  categoryIdLengthMax,
  idLengthMax,
  labelLengthMax,
  metadataEntriesMax,
  metadataKeyLengthMax,
  metadataValueLengthMax,
  tagLengthMax,
  tagsPerTransactionMax,
  textLengthMax,
  transactionKinds,
  type TransactionKind,
} from '@spendstream/core/events';
import { metadataBytesMax, transactionInputSchema, type TransactionInput } from './schema.js';

const idPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const categoryIdPattern = /^[a-z0-9][a-z0-9_-]*$/;
const mccPattern = /^[0-9]{4}$/;
const tagPattern = /^[^$.\s][^.]*$/;
const metadataKeyPattern = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
/** Longest amount text (decimal or minor units), as in the schema. */
const amountTextLengthMax = 40;
/** Longest occurredAt text, as in the schema. */
const occurredAtLengthMax = 64;
const kinds: ReadonlySet<string> = new Set(transactionKinds);

const knownKeys: ReadonlySet<string> = new Set(Object.keys(transactionInputSchema.shape));

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const isId = (v: unknown): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= idLengthMax && idPattern.test(v);

const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;

/** A label the schema trims before checking its length (merchant, bankCategory). */
function trimmedLabel(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const trimmed = v.trim();
  return isText(trimmed, 1, labelLengthMax) ? trimmed : undefined;
}

function checkTags(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || v.length > tagsPerTransactionMax) return undefined;
  for (const tag of v as unknown[]) {
    if (!isText(tag, 1, tagLengthMax) || !tagPattern.test(tag)) return undefined;
  }
  return [...(v as string[])];
}

/**
 * Most UTF-8 bytes one UTF-16 code unit of a string takes in JSON text: a control character or a
 * lone surrogate is escaped as `\uXXXX` (6); anything else takes at most 3.
 */
const jsonBytesPerCharMax = 6;
/**
 * Most characters of a finite number in JSON text: `-0.0000012345678901234567` (a sign, `0.`,
 * five zeros and 17 digits) is 25; the exponent form (`-1.7976931348623157e+308`) is 24.
 */
const jsonNumberCharsMax = 25;

function checkMetadata(v: unknown): TransactionInput['metadata'] {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, string | number | boolean | null> = {};
  let entries = 0;
  // An upper bound of the serialized size (`{}`, and per entry its quoted key, `:`, value and
  // `,`): when it fits, the exact size does too, without serializing the object for it (the
  // usual few bank fields); only above it is the size measured.
  let bytesBound = 2;
  for (const key in v) {
    if (!Object.hasOwn(v, key)) return undefined;
    entries++;
    if (entries > metadataEntriesMax) return undefined;
    if (key.length > metadataKeyLengthMax || !metadataKeyPattern.test(key)) return undefined;
    const value = v[key];
    if (typeof value === 'string') {
      if (value.length > metadataValueLengthMax) return undefined;
      bytesBound += value.length * jsonBytesPerCharMax + 2;
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return undefined;
      bytesBound += jsonNumberCharsMax;
    } else if (typeof value !== 'boolean' && value !== null) return undefined;
    else bytesBound += 5;
    bytesBound += key.length + 4; // the key pattern allows only ASCII that JSON does not escape
    out[key] = value;
  }
  if (bytesBound > metadataBytesMax && Buffer.byteLength(JSON.stringify(out)) > metadataBytesMax)
    return undefined;
  return out;
}

/**
 * The parsed input when `item` is certainly valid (then it equals what the zod schema returns),
 * or undefined when it is not, or this check is not sure.
 */
export function checkTransactionInput(item: unknown): TransactionInput | undefined {
  if (!isPlainObject(item)) return undefined;
  let undefinedValues = false;
  for (const key in item) {
    if (!knownKeys.has(key)) return undefined;
    if (item[key] === undefined) undefinedValues = true;
  }
  const {
    externalId,
    walletId,
    userId,
    kind,
    amount,
    amountMinor,
    currency,
    occurredAt,
    merchant,
    description,
    category,
    mcc,
    bankCategory,
    tags,
    note,
    metadata,
    status,
  } = item;
  if (!isText(externalId, 1, labelLengthMax) || !isId(walletId)) return undefined;
  if (!isText(currency, 3, 3) || !isText(occurredAt, 0, occurredAtLengthMax)) return undefined;
  const out: TransactionInput = { externalId, walletId, currency, occurredAt };
  if (userId !== undefined) {
    if (!isId(userId)) return undefined;
    out.userId = userId;
  }
  if (kind !== undefined) {
    if (typeof kind !== 'string' || !kinds.has(kind)) return undefined;
    out.kind = kind as TransactionKind;
  }
  // Exactly one of amount and amountMinor.
  if ((amount === undefined) === (amountMinor === undefined)) return undefined;
  if (amount !== undefined) {
    if (!isText(amount, 1, amountTextLengthMax)) return undefined;
    out.amount = amount;
  } else if (typeof amountMinor === 'number') {
    if (!Number.isSafeInteger(amountMinor)) return undefined;
    out.amountMinor = amountMinor;
  } else {
    if (!isText(amountMinor, 1, amountTextLengthMax)) return undefined;
    out.amountMinor = amountMinor;
  }
  if (merchant !== undefined) {
    const trimmed = trimmedLabel(merchant);
    if (trimmed === undefined) return undefined;
    out.merchant = trimmed;
  }
  if (description !== undefined) {
    if (!isText(description, 0, textLengthMax)) return undefined;
    out.description = description;
  }
  if (category !== undefined) {
    if (!isText(category, 1, categoryIdLengthMax) || !categoryIdPattern.test(category))
      return undefined;
    out.category = category;
  }
  if (mcc !== undefined) {
    if (typeof mcc !== 'string' || !mccPattern.test(mcc)) return undefined;
    out.mcc = mcc;
  }
  if (bankCategory !== undefined) {
    const trimmed = trimmedLabel(bankCategory);
    if (trimmed === undefined) return undefined;
    out.bankCategory = trimmed;
  }
  if (tags !== undefined) {
    const checked = checkTags(tags);
    if (checked === undefined) return undefined;
    out.tags = checked;
  }
  if (note !== undefined) {
    if (!isText(note, 0, textLengthMax)) return undefined;
    out.note = note;
  }
  if (metadata !== undefined) {
    const checked = checkMetadata(metadata);
    if (checked === undefined) return undefined;
    out.metadata = checked;
  }
  if (status !== undefined) {
    if (status !== 'booked' && status !== 'reversed') return undefined;
    out.status = status;
  }
  // zod keeps a key given with the value undefined (never the case in parsed JSON; code may do it).
  if (undefinedValues) {
    for (const key in item)
      if (item[key] === undefined) (out as Record<string, unknown>)[key] = undefined;
  }
  return out;
}

/**
 * Parse one transaction body: the hand-written check when it is sure, else the zod schema (which
 * throws its ZodError for an invalid body).
 */
export function parseTransactionInput(item: unknown): TransactionInput {
  return checkTransactionInput(item) ?? transactionInputSchema.parse(item);
}
