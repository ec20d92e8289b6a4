/**
 * Aggregates over MongoDB from pre-summed yearly documents: one **sums** document per user and
 * local calendar year, `_id` = `<userId>|<YYYY>`, in a database and collection chosen by the user
 * id (`mongo-spread.ts`), holding
 * that year's rows summed by every dimension (local date, wallet, flow, category, subcategory,
 * merchant, currency, tag set) as one compact JSON string (`encodeSumRows`). A query reads the
 * years it spans by `_id`, all at once (one for a month, two for a 12-month series, at most three
 * for the longest range), decodes only the rows of its dates and folds them in memory
 * (`aggregateRows`).
 *
 * The projector's per-transaction **ledger** (which version of each transaction a year counts, and
 * the row it counted) lives in other documents and collections (`analytics_ledger_*`, in the same
 * database as the user's sums), which no
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
import { sumsCollectionOf } from './mongo-spread.js';

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
export const sumsLayout = 'compact-v2';

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

/** A row as one array (the first sums layout's row; the dimensions of it key `sumRows`). */
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

/** Sum rows sharing every dimension into one row each (the ids and versions are dropped). */
export function sumRows(rows: Iterable<BucketRow>): BucketRow[] {
  const byKey = new Map<string, BucketRow>();
  for (const row of rows) {
    const key = JSON.stringify([...encodeRow(row).slice(0, dimensionFields), row.merchantKey]);
    const existing = byKey.get(key);
    if (existing) {
      existing.homeMinor += row.homeMinor;
      existing.originalMinor += row.originalMinor;
      existing.count += row.count;
    } else {
      const { id: _id, v: _v, ...summed } = row;
      byKey.set(key, { ...summed, tags: [...row.tags] });
    }
  }
  return [...byKey.values()];
}

/**
 * The compact form of a year's rows, one JSON string, so FerretDB converts one value, not
 * thousands, and the bytes it scans and sends stay few:
 *
 * `{"s":[strings],"t":[[string index, ...] per tag set],"r":[numbers, flat],"k":[numbers]}`
 *
 * Per row: the local date as `MM * 100 + DD` (the year is the document's), then the indexes into
 * `s` of wallet, flow, category, subcategory (-1: none), merchant (-1: none) and currency, the
 * index into `t` of its tag set, the home and original sums (a number while it is a safe integer,
 * else its decimal string) and the count; a ledger's rows (`withIds`) lead with the index of the
 * transaction id in `s` and the version. Rows are in date order. About a third of the bytes of one
 * array of strings per row, and a query decodes only the rows of its own dates. `k` holds each
 * row's merchant key as an index into `s` (-1: none), in the rows' order; documents written before
 * analytics kept merchant keys (2026-11-26) have no `k`, and their rows read with no key (the
 * layout is otherwise unchanged, so they need no reprojection to be read).
 */
export interface CompactRows {
  s: string[];
  t: number[][];
  r: Array<number | string>;
  k?: number[];
}

/** Numbers per row of `CompactRows.r`: 11, and 2 more when rows carry their id and version. */
const compactRowWidth = 11;
const compactIdFields = 2;

/** A bigint as JSON keeps it exactly: a number while that is exact, else a string. */
function compactAmount(value: bigint): number | string {
  return value <= maxSafe && value >= -maxSafe ? Number(value) : value.toString();
}
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** `MM * 100 + DD` of a local date `YYYY-MM-DD`. */
function dayKey(localDate: string): number {
  return Number(localDate.slice(5, 7)) * 100 + Number(localDate.slice(8, 10));
}

/** Rows of one year in the compact form; `withIds` keeps each row's transaction id and version. */
export function packRows(rows: readonly BucketRow[], withIds: boolean): CompactRows {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const indexOf = (value: string | null): number => {
    if (value === null) return -1;
    let index = stringIndex.get(value);
    if (index === undefined) {
      index = strings.push(value) - 1;
      stringIndex.set(value, index);
    }
    return index;
  };
  const tagSets: number[][] = [];
  const tagSetIndex = new Map<string, number>();
  const sorted = [...rows].sort((a, b) =>
    a.localDate < b.localDate ? -1 : a.localDate > b.localDate ? 1 : 0,
  );
  const flat: Array<number | string> = [];
  const merchantKeys: number[] = [];
  for (const row of sorted) {
    const tagKey = JSON.stringify(row.tags);
    let tags = tagSetIndex.get(tagKey);
    if (tags === undefined) {
      tags = tagSets.push(row.tags.map((tag) => indexOf(tag))) - 1;
      tagSetIndex.set(tagKey, tags);
    }
    if (withIds) {
      invariant(row.id !== undefined && row.v !== undefined, 'a ledger row names its transaction');
      flat.push(indexOf(row.id), row.v);
    }
    flat.push(
      dayKey(row.localDate),
      indexOf(row.walletId),
      indexOf(row.flow),
      indexOf(row.category),
      indexOf(row.subcategory),
      indexOf(row.merchant),
      indexOf(row.currency),
      tags,
      compactAmount(row.homeMinor),
      compactAmount(row.originalMinor),
      row.count,
    );
    merchantKeys.push(indexOf(row.merchantKey));
  }
  return { s: strings, t: tagSets, r: flat, k: merchantKeys };
}

/**
 * The rows of a year (`packRows`) whose local dates lie in `[from, to)` (default: all of them);
 * the others are skipped before anything is built for them.
 */
export function unpackRows(
  compact: CompactRows,
  withIds: boolean,
  year: string,
  from = `${year}-01-01`,
  to = `${Number(year) + 1}-01-01`,
): BucketRow[] {
  invariant(
    Array.isArray(compact.s) && Array.isArray(compact.t) && Array.isArray(compact.r),
    'a compact document holds strings, tag sets and rows',
  );
  const first = from.slice(0, 4) < year ? 0 : from.slice(0, 4) > year ? 10_000 : dayKey(from);
  const end = to.slice(0, 4) > year ? 10_000 : to.slice(0, 4) < year ? 0 : dayKey(to);
  const { s: strings, t: tagSets, r: flat, k: merchantKeys } = compact;
  const stringAt = (index: number): string | null => (index < 0 ? null : strings[index]!);
  const lead = withIds ? compactIdFields : 0;
  const width = compactRowWidth + lead;
  invariant(
    merchantKeys === undefined ||
      (Array.isArray(merchantKeys) && merchantKeys.length * width === flat.length),
    'a compact document holds one merchant key per row',
  );
  const dates = new Map<number, string>();
  const rows: BucketRow[] = [];
  for (let start = 0; start < flat.length; start += width) {
    const at = start + lead;
    const day = flat[at] as number;
    if (day < first) continue;
    if (day >= end) break;
    let localDate = dates.get(day);
    if (localDate === undefined) {
      localDate = `${year}-${String(Math.floor(day / 100)).padStart(2, '0')}-${String(day % 100).padStart(2, '0')}`;
      dates.set(day, localDate);
    }
    const row: BucketRow = {
      localDate,
      walletId: strings[flat[at + 1] as number]!,
      flow: strings[flat[at + 2] as number] as Flow,
      category: strings[flat[at + 3] as number]!,
      subcategory: stringAt(flat[at + 4] as number),
      merchant: stringAt(flat[at + 5] as number),
      merchantKey: merchantKeys ? stringAt(merchantKeys[start / width]!) : null,
      currency: strings[flat[at + 6] as number]!,
      tags: tagSets[flat[at + 7] as number]!.map((index) => strings[index]!),
      homeMinor: BigInt(flat[at + 8]!),
      originalMinor: BigInt(flat[at + 9]!),
      count: flat[at + 10] as number,
    };
    if (withIds) {
      row.id = strings[flat[start] as number]!;
      row.v = flat[start + 1] as number;
    }
    rows.push(row);
  }
  return rows;
}

/** A year's summed rows as a sums document stores them (layout `sumsLayout`). */
export function encodeSumRows(rows: readonly BucketRow[]): string {
  return JSON.stringify(packRows(rows, false));
}

/** The rows of a sums document whose local dates lie in `[from, to)` (default: the year). */
export function decodeSumRows(text: string, year: string, from?: string, to?: string): BucketRow[] {
  return unpackRows(JSON.parse(text) as CompactRows, false, year, from, to);
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
 * Read a user's sums document of a year by `_id`. A read of the same document already in flight
 * is shared rather than sent again (a budget status reads the same year for two periods at
 * once). It returns what a second read sent at the same moment could have returned, so nothing
 * is served stale.
 */
function readSums(db: Db, userId: string, year: string): Promise<SumsDocument | null> {
  const _id = bucketId(userId, year);
  const key = `${db.databaseName}|${_id}`;
  const pending = readsInFlight.get(key);
  if (pending) return pending;
  const read = sumsCollectionOf<SumsDocument>(db, userId)
    .findOne({ _id })
    .finally(() => readsInFlight.delete(key));
  readsInFlight.set(key, read);
  return read;
}

/** Run one aggregate query against the yearly sums documents. */
export async function aggregateMongo(db: Db, query: AggregateQuery): Promise<AggregateRow[]> {
  const years = yearsOf(query.from, query.to);
  if (years.length === 0) return [];
  let documents;
  try {
    // One `_id` read per year, all in flight at once: measured on the 5M set (FerretDB 1.24),
    // two parallel reads cost 2.0-2.3 ms of FerretDB CPU against 3.3-3.6 ms for one
    // `find({ _id: { $in } })`, which FerretDB does not push down (it converts every document of
    // the collection), and made 592-595 reads of two years/s against 316-482.
    const found = await Promise.all(years.map((year) => readSums(db, query.userId, year)));
    documents = found.filter((document): document is SumsDocument => document !== null);
  } catch (error) {
    throw new UnavailableError('the rollup store did not answer', 1, { cause: error });
  }
  const rows = documents.flatMap((document) =>
    decodeSumRows(document.rows, document.year, query.from, query.to),
  );
  return aggregateRows(rows, query);
}
