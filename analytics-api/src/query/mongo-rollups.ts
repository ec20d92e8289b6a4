/**
 * Aggregates over MongoDB from pre-summed yearly documents: one **sums** document per user and
 * local calendar year, `_id` = `<userId>|<YYYY>`, in a collection chosen by the user id, holding
 * that year's rows summed by every dimension (local date, wallet, flow, category, subcategory,
 * merchant, currency, tag set) as one compact JSON string (`encodeSumRows`). A query reads the
 * years it spans by `_id` (one or two for a month or a 12-month series, at most three for the
 * longest range), decodes the string and folds the rows in memory (`aggregateRows`).
 *
 * The projector's per-transaction **ledger** (which version of each transaction a year counts, and
 * the row it counted) lives in other documents and collections (`analytics_ledger_*`), which no
 * query reads; the sums document of a year is rewritten from its ledger after each ledger write
 * and records the ledger `rev` it was summed from (`mongo-read-model-writer.ts`).
 *
 * Why this shape (measured on FerretDB 1.24.2 / SQLite, docs/analytics-api.md): every filter is a
 * collection scan, including `_id` equality (FerretDB pushes it down as
 * `_ferretdb_sjson->'$._id' = ?`, which does not match the `_id` index's expression
 * `_ferretdb_sjson->"_id"`, so SQLite scans); each scanned document costs in proportion to its
 * bytes, and the matched document costs in proportion to the number of BSON values FerretDB
 * converts (a 62 kB document of 3,500 values: ~30 ms to read alone; the same rows as one string:
 * ~2 ms). So the documents queries read are small, one string each, in collections holding nothing
 * else; genuine MongoDB serves the same `_id` reads from its index.
 */
import type { Db } from 'mongodb';
import { invariant, UnavailableError } from '@spendstream/core/errors';
import type { AggregateQuery, AggregateRow, Flow } from './analytics-store.js';
import { aggregateRows, type BucketRow } from './row-aggregate.js';

export const mongoCollections = {
  /** Prefix of the sums collections queries read: `analytics_sums_<0..bucketCollections-1>`. */
  sums: 'analytics_sums',
  /** Prefix of the projector's ledger collections: `analytics_ledger_<0..bucketCollections-1>`. */
  ledgers: 'analytics_ledger',
} as const;

/**
 * How many collections the sums (and, apart, the ledgers) are spread over, by a hash of the user
 * id. FerretDB v1 (SQLite) answers even an `_id` equality by scanning the collection until it
 * finds the document, so small collections are what make a read cheap; genuine MongoDB does not
 * care. At 10,000 users (20,000 yearly documents) 4,096 leaves ~5 per collection.
 */
export const bucketCollections = 4096;

/** FNV-1a of the user id: a stable spread over the collections. */
function collectionNumberOf(userId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < userId.length; index += 1) {
    hash ^= userId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % bucketCollections;
}

/** The sums collection of a user (what queries read). */
export function sumsCollectionOf(userId: string): string {
  return `${mongoCollections.sums}_${collectionNumberOf(userId)}`;
}

/** The ledger collection of a user (the projector's per-transaction versions). */
export function ledgerCollectionOf(userId: string): string {
  return `${mongoCollections.ledgers}_${collectionNumberOf(userId)}`;
}

/** The `_id` of a user's yearly sums or ledger document (`YYYY`). */
export function bucketId(userId: string, year: string): string {
  return `${userId}|${year}`;
}

/** The years (`YYYY`) a half-open range of local dates touches. */
export function yearsOf(from: string, to: string): string[] {
  const years: string[] = [];
  for (let year = Number(from.slice(0, 4)); `${year}-01-01` < to; year += 1)
    years.push(String(year));
  return years;
}

/**
 * The name of the sums documents' layout (the `rows` encoding): a kept benchmark data set records
 * it and is reloaded when it changes.
 */
export const sumsLayout = 'json-rows-v1';

/** A yearly sums document: what queries read. */
export interface SumsDocument {
  _id: string;
  userId: string;
  year: string;
  /** The `rev` of the ledger document these sums were computed from. */
  ledgerRev: number;
  /** `encodeSumRows` of the year's pre-summed rows. */
  rows: string;
}

/** A row on the wire: every dimension, then home sum, original sum, count. */
export type EncodedRow = [
  localDate: string,
  walletId: string,
  flow: string,
  category: string,
  subcategory: string | null,
  merchant: string | null,
  currency: string,
  tags: string[],
  homeMinor: string,
  originalMinor: string,
  count: number,
];

/** How many leading fields of an `EncodedRow` are dimensions (tags sorted and distinct). */
const dimensionFields = 8;

export function encodeRow(row: BucketRow): EncodedRow {
  return [
    row.localDate,
    row.walletId,
    row.flow,
    row.category,
    row.subcategory,
    row.merchant,
    row.currency,
    row.tags,
    row.homeMinor.toString(),
    row.originalMinor.toString(),
    row.count,
  ];
}

export function decodeRow(encoded: EncodedRow): BucketRow {
  const [localDate, walletId, flow, category, subcategory, merchant, currency, tags] = encoded;
  return {
    localDate,
    walletId,
    flow: flow as Flow,
    category,
    subcategory,
    merchant,
    currency,
    tags,
    homeMinor: BigInt(encoded[8]),
    originalMinor: BigInt(encoded[9]),
    count: encoded[10],
  };
}

/** Sum rows sharing every dimension into one row each (the ids and versions are dropped). */
export function sumRows(rows: Iterable<BucketRow>): EncodedRow[] {
  const byKey = new Map<string, EncodedRow>();
  for (const row of rows) {
    const encoded = encodeRow(row);
    const key = JSON.stringify(encoded.slice(0, dimensionFields));
    const existing = byKey.get(key);
    if (existing) {
      existing[8] = (BigInt(existing[8]) + row.homeMinor).toString();
      existing[9] = (BigInt(existing[9]) + row.originalMinor).toString();
      existing[10] += row.count;
    } else byKey.set(key, encoded);
  }
  return [...byKey.values()];
}

/** The compact form of summed rows: one JSON string, so FerretDB converts one value, not thousands. */
export function encodeSumRows(rows: readonly EncodedRow[]): string {
  return JSON.stringify(rows);
}

export function decodeSumRows(text: string): BucketRow[] {
  const encoded = JSON.parse(text) as EncodedRow[];
  invariant(Array.isArray(encoded), 'a sums document holds an array of rows');
  return encoded.map(decodeRow);
}

/** The sums document of a user's year, summed from its ledger rows at `ledgerRev`. */
export function sumsDocumentOf(
  userId: string,
  year: string,
  ledgerRev: number,
  ledgerRows: Iterable<BucketRow>,
): SumsDocument {
  return {
    _id: bucketId(userId, year),
    userId,
    year,
    ledgerRev,
    rows: encodeSumRows(sumRows(ledgerRows)),
  };
}

/** Reads of sums documents in flight in this process, by database and `_id`. */
const readsInFlight = new Map<string, Promise<SumsDocument | null>>();

/**
 * Read one sums document; a read of the same document already in flight is shared rather than
 * sent again (a budget status reads the same year for two periods at once). It returns what a
 * second read sent at the same moment could have returned, so nothing is served stale.
 */
function readSums(db: Db, userId: string, year: string): Promise<SumsDocument | null> {
  const _id = bucketId(userId, year);
  const key = `${db.databaseName}|${_id}`;
  const pending = readsInFlight.get(key);
  if (pending) return pending;
  const read = db
    .collection<SumsDocument>(sumsCollectionOf(userId))
    .findOne({ _id })
    .finally(() => readsInFlight.delete(key));
  readsInFlight.set(key, read);
  return read;
}

/** Run one aggregate query against the yearly sums documents. */
export async function aggregateMongo(db: Db, query: AggregateQuery): Promise<AggregateRow[]> {
  let documents;
  try {
    // One equality read per year: FerretDB pushes down `_id` equality only, not `$in`.
    documents = await Promise.all(
      yearsOf(query.from, query.to).map((year) => readSums(db, query.userId, year)),
    );
  } catch (error) {
    throw new UnavailableError('the rollup store did not answer', 1, { cause: error });
  }
  const rows = documents.flatMap((document) => (document ? decodeSumRows(document.rows) : []));
  return aggregateRows(rows, query);
}
