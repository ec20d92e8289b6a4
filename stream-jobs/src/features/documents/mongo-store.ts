/**
 * The MongoDB adapter of the documents-and-rollups port, written for what FerretDB v1 supports: no
 * multi-document transactions, only single-document atomic updates, unique `_id`, `$inc`, upserts.
 *
 * How a new version of a transaction reaches the rollups exactly once:
 * 1. the transaction document (`transactions_NNN`, `_id` = transaction id) is written with the new
 *    version and, in its `rollupState` field, the version whose amounts the rollups hold (`v`),
 *    every cell contribution of that version (`cells`) and the new version's contributions as
 *    `pending`: inserted for a transaction seen for the first time, else replaced on the condition
 *    that the stored version and an empty `pending` are still what this writer read;
 * 2. rollup cells live in one document per user x month (`cells.<grain|period|dimension|key|currency>`,
 *    see `rollupMonthOf`); each such document the transaction touches or touched gets one conditional update: filter
 *    `applied.<h> = old version` (or absent), `$inc` new minus old on each of its cells there,
 *    `$set applied.<h> = new`, where `<h>` is a digest of the transaction id. The update is atomic
 *    on its own document, so it happens at most once, and a repeat finds `applied.<h>` already at
 *    the new version;
 * 3. `rollupState` takes the pending version and its contributions, and `pending` is cleared.
 * A crash anywhere leaves `pending` set; the next `apply` of that transaction (the redelivery, or a
 * later version) finishes it first. Older or equal versions change nothing. (Until 2026-11-26
 * 14:53 the rollup state was a document of its own in `rollup_state_NNN`, a second write per
 * transaction: docs/stream-jobs.md.)
 */
import { createHash } from 'node:crypto';
import {
  MongoClient,
  MongoBulkWriteError,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type OptionalUnlessRequiredId,
} from 'mongodb';
import { ValidationError } from '@spendstream/core/errors';
import {
  addAmounts,
  amountFields,
  zeroAmounts,
  cellKeyOf,
  contributionList,
  type CellId,
  type Contribution,
  type RollupAmounts,
} from '../rollups/contributions.js';
import {
  applyBatchSizeMax,
  checkRollupKeys,
  documentFromJson,
  firstOfEachId,
  greatestStatePerKey,
  documentToJson,
  latestPerTransaction,
  pageSizeMax,
  type AlertRecord,
  type ApplyItem,
  type DocumentStore,
  type RollupRow,
  type StateEntry,
} from './store.js';
import type { TransactionDocument } from './transaction-document.js';

/** MongoDB's duplicate-key error code. */
const duplicateKeyCode = 11000;
/** Ids per `$in` list. */
const inListSizeMax = 1_000;
/**
 * Up to this many ids wanted from one bucket are read with one `find({ _id: <id> })` each instead
 * of one `$in`. FerretDB 1.24 pushes a filter into SQL only when it is exactly `{ _id: <string> }`
 * (SQLite then compares each row's `_id` in its JSON text); any other filter, `$in` included,
 * decodes every document of the collection in Go. Measured on a private FerretDB (FerretDB CPU per
 * read, bucket of 16 month documents of 20 cells): 1 id 12.0 ms as `$in`, 2.9 ms bare; 2 ids 10.0
 * vs 4.8; 4 ids 11.0 vs 9.1; 8 ids 13.6 vs 19.5. The saving grows with the bucket.
 */
export const bareIdReadsMax = 4;
/** How long the driver looks for a server before an operation fails (a stuck sink surfaces fast). */
export const serverSelectionTimeoutMs = 5_000;
/**
 * How many databases the bucketed collections are spread over (the main database holds none of
 * the store's collections). FerretDB 1.24 on SQLite keeps each database in its own SQLite file
 * with its own collection list, and every `find` lists (deep-copies and sorts) the collections of
 * its database before it reads: many collections in one database cost every read. Each database
 * holds `bucketsPerDatabase` buckets of each kind, so tens of collections.
 */
export const bucketDatabasesCount = 16;
/** Buckets of each bucketed collection kind per bucket database. */
export const bucketsPerDatabase = 8;
/**
 * How many collections each of `transactions`, `rollup_months`, `alerts` and the
 * reference `state` is split into.
 * FerretDB 1.24 on SQLite reads the whole collection for every update whose filter is more than a
 * bare `_id` (all of ours are conditional) and for every `$in` or field query, and even a bare
 * `_id` goes through a table scan (its `_id` index is on another expression than its lookup), so
 * one operation costs time in proportion to the collection (measured: 3-4 ms per conditional
 * update at 1,000 documents, 15-18 ms at 5,000; an `$in` read 37 us per stored document). A batch
 * makes one such operation per touched cell: over one collection that grew quadratically and
 * stalled the jobs. Split by key, each operation reads one bucket (docs/benchmarks.md: 16 -> 64
 * took the write step of 1,000 transactions from 111 s to 32 s; 64 -> 128 over 16 databases:
 * docs/stream-jobs.md, "Split collections").
 */
export const collectionBucketsCount = bucketDatabasesCount * bucketsPerDatabase;
/** At most this many operations of one batch (reads or bulk writes, each on its own bucket) in flight at once. */
export const bucketOperationsInFlightMax = 4;

/**
 * Whose bucket (`state_NNN`, `bucketOf` the owner) a state entry is stored in: its user's when the key is the user id or starts with
 * `<userId>|` (settings, budgets, rules, wallets, merchant corrections), so the entries a user
 * owns are listed from one bucket; else its key's (per-transaction overrides and annotations,
 * read by transaction id).
 */
export function stateOwnerOf(entry: Pick<StateEntry, 'key' | 'userId'>): string {
  return entry.key === entry.userId || entry.key.startsWith(`${entry.userId}|`)
    ? entry.userId
    : entry.key;
}

/**
 * The owners an entry read by key alone may be stored under: the key itself and each part of it
 * that ends before a `|` (a user id may hold `|` itself, so every such cut is a candidate; the
 * entry's `_id` is unique, so at most one of their buckets holds it).
 */
export function stateOwnerCandidatesOf(key: string): string[] {
  const owners = [key];
  for (let at = key.indexOf('|'); at !== -1; at = key.indexOf('|', at + 1))
    owners.push(key.slice(0, at));
  return owners;
}

/**
 * Rollups are stored one document per user x month (`rollup_months_NNN`), holding in its `cells`
 * map every cell of the days and the month of that month, of the weeks whose Monday is in it and
 * of the budget periods that start in it (`rollupMonthOf`): a transaction touches one document
 * (two or three at a month's edge) instead of one per grain, each a conditional update and so a
 * pass over its collection on FerretDB.
 */
export const rollupCollectionBase = 'rollup_months';

/** The bucket of a key: 0 .. collectionBucketsCount - 1 (FNV-1a of its UTF-16 code units). */
export function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % collectionBucketsCount;
}

/** The user of a rollup cell key (its first part, URI-encoded). */
function userOfCellKey(cellKey: string): string {
  return decodeURIComponent(cellKey.slice(0, cellKey.indexOf('|')));
}

/** Items grouped by a key, in first-seen order. */
function groupBy<T, K, V>(items: Iterable<T>, keyOf: (item: T) => K, valueOf: (item: T) => V) {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key) ?? [];
    list.push(valueOf(item));
    groups.set(key, list);
  }
  return groups;
}

/**
 * The filters that read `ids` from one bucket: `{ _id: <id> }` each when they are at most
 * bareIdReadsMax (FerretDB pushes only that filter into SQL), else `$in` lists of inListSizeMax.
 */
function idFilters(ids: string[]): Document[] {
  if (ids.length <= bareIdReadsMax) return ids.map((id) => ({ _id: id }));
  return chunks(ids, inListSizeMax).map((part) => ({ _id: { $in: part } }));
}

/** The collection name of a bucket: `rollup_periods_007`. */
export function bucketCollectionName(base: string, bucket: number): string {
  return `${base}_${String(bucket).padStart(String(collectionBucketsCount - 1).length, '0')}`;
}

/** FerretDB's longest database name. */
const databaseNameLengthMax = 63;

/**
 * The name of bucket database `index` of the store database `dbName`: `<dbName>_b07`, or, when
 * that is too long, `dbName` cut short with a digest of the whole name before `_b07`.
 */
export function bucketDatabaseName(dbName: string, index: number): string {
  const suffix = `_b${String(index).padStart(String(bucketDatabasesCount - 1).length, '0')}`;
  if (dbName.length + suffix.length <= databaseNameLengthMax) return `${dbName}${suffix}`;
  const digest = createHash('sha256').update(dbName).digest('hex').slice(0, 8);
  return `${dbName.slice(0, databaseNameLengthMax - suffix.length - digest.length - 1)}_${digest}${suffix}`;
}

/** Runs `task` on every item, at most `limit` at once; results in item order. */
async function mapInFlight<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Thrown when a concurrent writer changed a transaction's rollup state: retry the batch. */
export class RollupConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollupConflictError';
  }
}

/** A document whose `_id` is a string (all of ours are). */
interface StringIdDoc extends Document {
  _id: string;
}

interface StoredAmounts {
  expense: bigint;
  refund: bigint;
  income: bigint;
  transferIn: bigint;
  transferOut: bigint;
  count: bigint;
}

interface CellState {
  k: string;
  v: number;
  a: Partial<StoredAmounts>;
}

/** A cell a pending version contributes to: its key says which cell (`rowsOfRollupDoc`). */
interface PendingContribution {
  cellKey: string;
  periodEnd?: string;
  a: Partial<StoredAmounts>;
}

/** A transaction's rollup state as `apply` handles it (stored in its document: `RollupStateField`). */
interface StateDoc {
  _id: string;
  /** The version whose contributions the rollups hold (0: none yet). */
  version: number;
  cells: CellState[];
  pending: { version: number; contributions: PendingContribution[] } | null;
}

/** The field of a transaction document that holds its rollup state; readers project it out. */
const rollupStateField = 'rollupState';

/** `rollupState` as stored: short names, the document is decoded on every pass over its bucket. */
interface RollupStateField {
  v: number;
  cells: CellState[];
  pending: StateDoc['pending'];
}

export interface MongoStoreOptions {
  url: string;
  /** Database name; default the URL's path or `spendstream`. */
  dbName?: string;
  /** Reuse a connected client (the store will not close it). */
  client?: MongoClient;
  /**
   * Fault injection for crash tests: called after each step of `apply`; throwing there leaves the
   * work half done exactly as a crash (kill -9) at that point would.
   */
  afterStep?: (step: MongoApplyStep) => void;
}

/**
 * The steps of `apply`, in order (see the file comment): `pending` (the document and its pending
 * version written), `cells`, `state` (the pending version folded in; only when finishing a version
 * an earlier attempt left pending).
 */
export type MongoApplyStep = 'pending' | 'cells' | 'state';

function appliedField(txId: string): string {
  return `applied.h${createHash('sha256').update(txId).digest('base64url').slice(0, 22)}`;
}

/** The amounts that are not zero (an absent amount reads as zero): state documents stay small. */
function toStored(amounts: RollupAmounts): Partial<StoredAmounts> {
  const stored: Partial<StoredAmounts> = {};
  for (const field of amountFields) if (amounts[field] !== 0n) stored[field] = amounts[field];
  return stored;
}

function fromStored(
  value: Partial<Record<keyof StoredAmounts, unknown>> | undefined,
): RollupAmounts {
  const amounts = { ...zeroAmounts };
  if (value)
    for (const field of amountFields)
      amounts[field] = BigInt((value[field] as bigint | number | undefined) ?? 0);
  return amounts;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function docToBson(doc: TransactionDocument): Document {
  const json = documentToJson(doc);
  return {
    ...json,
    _id: doc.id,
    amountMinor: doc.amountMinor,
    homeAmountMinor: doc.homeAmountMinor,
  };
}

function docFromBson(bson: Document): TransactionDocument {
  return documentFromJson(bson as Record<string, unknown>);
}

/** Milliseconds in a day. */
const dayMs = 86_400_000;

/** The month (`YYYY-MM`) of the Monday of an ISO week (`YYYY-Www`): week 1 holds 4 January. */
function mondayMonthOfWeek(week: string): string {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!match) throw new Error(`rollup week period ${week} is not YYYY-Www`);
  const jan4 = Date.UTC(Number(match[1]), 0, 4);
  const fromMonday = (new Date(jan4).getUTCDay() + 6) % 7;
  const monday = jan4 - fromMonday * dayMs + (Number(match[2]) - 1) * 7 * dayMs;
  return new Date(monday).toISOString().slice(0, 7);
}

/**
 * The month document a period's cells live in: the month of a day, of a budget period's first
 * day and of a week's Monday, the month itself. Monotone in the period within a grain.
 */
export function rollupMonthOf(grain: string, period: string): string {
  switch (grain) {
    case 'day':
    case 'budget':
    case 'month':
      return period.slice(0, 7);
    case 'week':
      return mondayMonthOfWeek(period);
    default:
      throw new Error(`unknown rollup grain ${grain}`);
  }
}

/** The parts of a cell key, URI-decoded. */
function cellKeyParts(cellKey: string): string[] {
  return cellKey.split('|').map(decodeURIComponent);
}

/** The month document a cell belongs to: `user|month` (URI-encoded parts). */
export function rollupDocIdOf(cellKey: string): string {
  const [userId, grain, period] = cellKeyParts(cellKey);
  return `${encodeURIComponent(userId!)}|${encodeURIComponent(rollupMonthOf(grain!, period!))}`;
}

/**
 * A rollup cell's place in its month document: the cell key after `user|`
 * (`grain|period|dimension|key|currency`, parts URI-encoded) with `.` written `%2E` (a field name
 * holds no dot; URI encoding never produces `%2E` itself, so the name stays unique).
 */
function cellFieldOf(cellKey: string): string {
  return cellKey.slice(cellKey.indexOf('|') + 1).replaceAll('.', '%2E');
}

/** The URI-encoded user part of a key with the `|` after it: every key of a user starts with it. */
function userPrefixOf(key: string): string {
  return key.slice(0, key.indexOf('|') + 1);
}

/**
 * Every cell of a month document, in cell key order. A cell's identity is its field name
 * (`cellFieldOf`), its amounts the fields it holds (an amount never changed from zero is absent).
 */
function rowsOfRollupDoc(bson: Document): RollupRow[] {
  const cells = (bson.cells ?? {}) as Record<string, Document>;
  const rows = Object.entries(cells).map(([field, cell]) => {
    const [grain, period, dimension, key, currency] = field.split('|').map(decodeURIComponent);
    const id: CellId = {
      userId: bson.userId as string,
      grain: grain as RollupRow['grain'],
      period: period!,
      dimension: dimension as RollupRow['dimension'],
      key: key!,
      currency: currency!,
    };
    const row: RollupRow = {
      ...id,
      cellKey: cellKeyOf(id),
      amounts: fromStored(cell as Partial<Record<keyof StoredAmounts, unknown>>),
    };
    if (cell.periodEnd) row.periodEnd = cell.periodEnd as string;
    return row;
  });
  return rows.sort((a, b) => compareKeys(a.cellKey, b.cellKey));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Operations per bulk write. FerretDB 1.24 stalls for minutes on one bulk write of a few hundred
 * conditional upserts (measured here: 50 take about a second, 200 did not finish in 200 s), so
 * large writes go in slices.
 */
export const bulkOperationsMax = 50;

/** What a run of bulk writes inserted, matched, upserted, and refused as duplicate keys. */
type BulkTotals = { inserted: number; matched: number; upserted: number; duplicates: number };

/**
 * Runs unordered bulk write slices, up to bucketOperationsInFlightMax at once (each slice is on
 * one bucket collection, so they are independent); duplicate-key failures are counted, other
 * failures thrown.
 */
async function bulkInSlices<T extends Document>(
  slices: ReadonlyArray<readonly [Collection<T>, AnyBulkWriteOperation<T>[]]>,
): Promise<BulkTotals> {
  const total = { inserted: 0, matched: 0, upserted: 0, duplicates: 0 };
  const results = await mapInFlight(slices, bucketOperationsInFlightMax, ([collection, slice]) =>
    bulkSlice(collection, slice),
  );
  for (const result of results) {
    total.inserted += result.inserted;
    total.matched += result.matched;
    total.upserted += result.upserted;
    total.duplicates += result.duplicates;
  }
  return total;
}

async function bulkSlice<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
): Promise<BulkTotals> {
  if (operations.length === 0) return { inserted: 0, matched: 0, upserted: 0, duplicates: 0 };
  try {
    const result = await collection.bulkWrite(operations, { ordered: false });
    return {
      inserted: result.insertedCount,
      matched: result.matchedCount,
      upserted: result.upsertedCount,
      duplicates: 0,
    };
  } catch (error) {
    if (error instanceof MongoBulkWriteError) {
      const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      if (errors.every((e) => e.code === duplicateKeyCode)) {
        return {
          inserted: error.result.insertedCount,
          matched: error.result.matchedCount,
          upserted: error.result.upsertedCount,
          duplicates: errors.length,
        };
      }
    }
    throw error;
  }
}

/** Creates the MongoDB documents-and-rollups store. */
export function createMongoDocumentStore(options: MongoStoreOptions): DocumentStore {
  const ownsClient = options.client === undefined;
  const client =
    options.client ??
    new MongoClient(options.url, {
      useBigInt64: true,
      ignoreUndefined: true,
      serverSelectionTimeoutMS: serverSelectionTimeoutMs,
    });
  const db: Db = client.db(
    options.dbName ?? (new URL(options.url).pathname.replace(/^\//, '') || 'spendstream'),
  );
  /** Bucket `b` of every kind lives in bucket database `b % bucketDatabasesCount`. */
  const bucketDbs = Array.from({ length: bucketDatabasesCount }, (_, d) =>
    client.db(bucketDatabaseName(db.databaseName, d)),
  );
  const buckets = Array.from({ length: collectionBucketsCount }, (_, b) => b);
  const bucketDbOf = (b: number) => bucketDbs[b % bucketDatabasesCount]!;
  /** Transactions (each with its rollup state) by transaction id; rollup cells by user. */
  const transactionBuckets = buckets.map((b) =>
    bucketDbOf(b).collection<StringIdDoc>(bucketCollectionName('transactions', b)),
  );
  const rollupBuckets = buckets.map((b) =>
    bucketDbOf(b).collection<StringIdDoc>(bucketCollectionName(rollupCollectionBase, b)),
  );
  const transactionsOf = (id: string) => transactionBuckets[bucketOf(id)]!;
  /** The collection of a period document (or of a cell key): the bucket of its user. */
  const rollupsOf = (key: string) => rollupBuckets[bucketOf(userOfCellKey(key))]!;
  /** Alerts by alert id (`alerts_NNN`): marking a batch's alerts published reads small buckets. */
  const alertBuckets = buckets.map((b) =>
    bucketDbOf(b).collection<StringIdDoc>(bucketCollectionName('alerts', b)),
  );
  const alertsOf = (id: string) => alertBuckets[bucketOf(id)]!;
  /** Reference state (`state_NNN`) by owner (`stateOwnerOf`). */
  const referenceBuckets = buckets.map((b) =>
    bucketDbOf(b).collection<StringIdDoc>(bucketCollectionName('state', b)),
  );
  const referenceOf = (owner: string) => referenceBuckets[bucketOf(owner)]!;

  /**
   * What the state reads started in one tick want: per state bucket, entries by `_id` and the
   * entries of a kind of some users (`listStatesOfUsers`).
   */
  interface StateWants {
    ids: Map<number, Set<string>>;
    lists: Map<number, Map<string, Set<string>>>;
  }
  let stateRead: { wants: StateWants; result: Promise<Map<string, Document>> } | undefined;
  /**
   * State reads started in the same tick (a batch's `getStates` per kind and its merchant
   * corrections, started together) share one read per state bucket they touch: `_id` lists and
   * user lists of the bucket in one `$or` (on FerretDB each read is a pass over the bucket).
   * Resolves to every document read, by `_id`; each caller picks its own.
   */
  function readStates(want: (wants: StateWants) => void): Promise<Map<string, Document>> {
    if (!stateRead) {
      const wants: StateWants = { ids: new Map(), lists: new Map() };
      const result = Promise.resolve().then(async () => {
        stateRead = undefined;
        const reads: Array<[Collection<StringIdDoc>, Document]> = [];
        for (const bucket of new Set([...wants.ids.keys(), ...wants.lists.keys()])) {
          const ids = [...(wants.ids.get(bucket) ?? [])];
          // Only entries by `_id`, and few: a bare `_id` find each (bareIdReadsMax).
          if (!wants.lists.has(bucket)) {
            for (const filter of idFilters(ids)) reads.push([referenceBuckets[bucket]!, filter]);
            continue;
          }
          const clauses: Array<{ size: number; filter: Document }> = [];
          for (const part of chunks(ids, inListSizeMax))
            clauses.push({ size: part.length, filter: { _id: { $in: part } } });
          for (const [kind, users] of wants.lists.get(bucket) ?? [])
            for (const part of chunks([...users], inListSizeMax))
              clauses.push({ size: part.length, filter: { kind, userId: { $in: part } } });
          // One `$or` when its lists stay within inListSizeMax values, else one read per clause.
          const total = clauses.reduce((sum, clause) => sum + clause.size, 0);
          const filters =
            clauses.length === 1 || total > inListSizeMax
              ? clauses.map((clause) => clause.filter)
              : [{ $or: clauses.map((clause) => clause.filter) }];
          for (const filter of filters) reads.push([referenceBuckets[bucket]!, filter]);
        }
        const pages = await mapInFlight(
          reads,
          bucketOperationsInFlightMax,
          ([collection, filter]) => collection.find(filter as Filter<StringIdDoc>).toArray(),
        );
        return new Map(pages.flat().map((doc) => [doc._id, doc]));
      });
      stateRead = { wants, result };
    }
    want(stateRead.wants);
    return stateRead.result;
  }

  /** State entries by kind and key (each key looked up in the bucket of every owner it may have). */
  async function statesByKey(kind: string, keys: string[]): Promise<Map<string, StateEntry>> {
    const unique = [...new Set(keys)];
    const docs = await readStates((wants) => {
      for (const key of unique)
        for (const owner of stateOwnerCandidatesOf(key)) {
          const bucket = bucketOf(owner);
          const ids = wants.ids.get(bucket) ?? new Set<string>();
          ids.add(`${kind}|${key}`);
          wants.ids.set(bucket, ids);
        }
    });
    const result = new Map<string, StateEntry>();
    for (const key of unique) {
      const doc = docs.get(`${kind}|${key}`);
      if (doc) result.set(key, stateFromBson(doc));
    }
    return result;
  }

  /**
   * Documents by `_id` from bucketed collections: per bucket one bare `_id` find per id when it
   * wants at most bareIdReadsMax, else one `$in` per inListSizeMax ids; up to
   * bucketOperationsInFlightMax reads at once.
   */
  async function findByIds<T extends Document>(
    ids: Iterable<string>,
    collectionOf: (id: string) => Collection<T>,
    projection?: Document,
  ): Promise<T[]> {
    const groups = groupBy(new Set(ids), collectionOf, (id) => id);
    const reads = [...groups].flatMap(([collection, list]) =>
      idFilters(list).map((filter) => [collection, filter] as const),
    );
    const pages = await mapInFlight(reads, bucketOperationsInFlightMax, ([collection, filter]) =>
      collection.find(filter as Filter<T>, projection ? { projection } : {}).toArray(),
    );
    return pages.flat() as T[];
  }

  /** Bulk writes grouped by the bucket of each operation's key. */
  async function bulkByBucket<T extends Document>(
    operations: Array<{ key: string; op: AnyBulkWriteOperation<T> }>,
    collectionOf: (key: string) => Collection<T>,
  ): Promise<BulkTotals> {
    const groups = groupBy(
      operations,
      ({ key }) => collectionOf(key),
      ({ op }) => op,
    );
    return bulkInSlices(
      [...groups].flatMap(([collection, ops]) =>
        chunks(ops, bulkOperationsMax).map((slice) => [collection, slice] as const),
      ),
    );
  }

  /** One page in `_id` order over every bucket of a collection (reconcile scans). */
  async function scanBuckets<T extends StringIdDoc>(
    collections: Collection<T>[],
    afterId: string | undefined,
    limit: number,
    projection?: Document,
    inclusive = false,
    where: Document = {},
  ): Promise<T[]> {
    const size = Math.min(limit, pageSizeMax);
    const filter = (
      afterId === undefined ? where : { ...where, _id: { [inclusive ? '$gte' : '$gt']: afterId } }
    ) as Filter<T>;
    const pages = await mapInFlight(collections, bucketOperationsInFlightMax, (collection) =>
      collection
        .find(filter, projection ? { projection } : {})
        .sort({ _id: 1 })
        .limit(size)
        .toArray(),
    );
    return (pages.flat() as T[])
      .sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
      .slice(0, size);
  }

  /**
   * The rollup states of transactions by id, with the version of each stored document, read from
   * their documents (absent: not stored yet).
   */
  async function loadStates(
    ids: string[],
  ): Promise<Map<string, { state: StateDoc; docVersion: number }>> {
    const result = new Map<string, { state: StateDoc; docVersion: number }>();
    for (const doc of await findByIds(ids, transactionsOf, {
      version: 1,
      [rollupStateField]: 1,
    })) {
      const stored = doc[rollupStateField] as RollupStateField | undefined;
      // A document of the layout before 2026-11-26 14:53 (its state was in `rollup_state_NNN`):
      // its contributions are unknown here, so a new version could not move them exactly.
      if (stored === undefined)
        throw new Error(
          `transaction ${doc._id} has no ${rollupStateField}: the store was written by an older layout; replay into a fresh database`,
        );
      result.set(doc._id, {
        state: {
          _id: doc._id,
          version: Number(stored.v),
          cells: stored.cells,
          pending: stored.pending ?? null,
        },
        docVersion: Number(doc.version),
      });
    }
    return result;
  }

  /**
   * Step 2 for every state with a pending version; step 3 only when `recovering` (the states were
   * found pending when a batch started). A version just written is left pending: the next `apply`
   * of that transaction (a later version or a redelivery, rare next to new transactions) finishes
   * it first, which saves one conditional update, a collection pass on FerretDB, per transaction.
   */
  async function rollForward(pendingStates: StateDoc[], recovering: boolean): Promise<void> {
    if (pendingStates.length === 0) return;
    const nowIso = new Date().toISOString();
    // One conditional update per (transaction, period document), grouped by document: the
    // transactions of a batch that share a period (one user's month, say) go in one combined
    // update whose filter checks every one of them; a combined update that fails falls back to
    // one update each.
    interface CellWrite {
      fieldName: string;
      inc: RollupAmounts;
      contribution: PendingContribution | undefined;
    }
    interface DocWrite {
      field: string;
      version: number;
      before: number | undefined;
      cells: CellWrite[];
    }
    const writes = new Map<string, DocWrite[]>();
    const finalCells = new Map<string, CellState[]>();
    for (const s of pendingStates) {
      const pending = s.pending!;
      const field = appliedField(s._id);
      const old = new Map(s.cells.map((c) => [c.k, c]));
      const next = new Map(pending.contributions.map((c) => [c.cellKey, c]));
      const merged: CellState[] = [];
      const mine = new Map<string, DocWrite>();
      for (const cellKey of new Set([...old.keys(), ...next.keys()])) {
        const before = old.get(cellKey);
        const contribution = next.get(cellKey);
        const after = fromStored(contribution?.a);
        merged.push({ k: cellKey, v: pending.version, a: toStored(after) });
        const docId = rollupDocIdOf(cellKey);
        let write = mine.get(docId);
        if (write === undefined) {
          write = { field, version: pending.version, before: undefined, cells: [] };
          mine.set(docId, write);
          const list = writes.get(docId) ?? [];
          list.push(write);
          writes.set(docId, list);
        }
        // The transaction's entry in `applied` is per document: any cell of it that the
        // transaction was in carries the version the document recorded.
        if (before !== undefined) write.before = before.v;
        write.cells.push({
          fieldName: `cells.${cellFieldOf(cellKey)}`,
          inc: addAmounts(after, fromStored(before?.a), -1n),
          contribution,
        });
      }
      finalCells.set(s._id, merged);
    }
    const opOf = (docId: string, group: DocWrite[]): AnyBulkWriteOperation<StringIdDoc> => {
      const [userId, month] = docId.split('|').map(decodeURIComponent);
      const filter: Document = { _id: docId };
      const set: Document = { userId, month, updatedAt: nowIso };
      const inc: Record<string, bigint> = {};
      for (const w of group) {
        filter[w.field] = w.before === undefined ? { $exists: false } : w.before;
        set[w.field] = w.version;
        for (const cell of w.cells) {
          for (const name of amountFields) {
            const path = `${cell.fieldName}.${name}`;
            inc[path] = (inc[path] ?? 0n) + cell.inc[name];
          }
          if (cell.contribution?.periodEnd)
            set[`${cell.fieldName}.periodEnd`] = cell.contribution.periodEnd;
        }
      }
      // Only the amounts that change: a cell's identity is its field name, and an absent amount
      // reads as zero. FerretDB 1.24 checks every pair of update paths for conflicts (quadratic in
      // the paths) and decodes every stored field on each pass over the collection, so a cell
      // costs two paths (spent and count) instead of eleven.
      for (const [path, amount] of Object.entries(inc)) if (amount === 0n) delete inc[path];
      // Only first contributions may create the document.
      const upsert = group.every((w) => w.before === undefined);
      const update: Document =
        Object.keys(inc).length > 0 ? { $set: set, $inc: inc } : { $set: set };
      return { updateOne: { filter, update, upsert } };
    };
    const unmet = async (): Promise<Array<[string, DocWrite]>> => {
      const byKey = new Map<string, StringIdDoc>();
      for (const doc of await findByIds(writes.keys(), rollupsOf, { cells: 0 }))
        byKey.set(doc._id, doc);
      const missing: Array<[string, DocWrite]> = [];
      for (const [docId, group] of writes) {
        const applied = byKey.get(docId)?.applied as Record<string, unknown> | undefined;
        for (const w of group) {
          if (Number(applied?.[w.field.slice('applied.'.length)]) !== w.version)
            missing.push([docId, w]);
        }
      }
      return missing;
    };
    const combined = [...writes].map(([docId, group]) => ({
      key: docId,
      op: opOf(docId, group),
    }));
    // A recovery reads first: what a crashed or concurrent attempt already wrote is not written
    // again (a conditional update that cannot match still costs a collection pass on FerretDB).
    const result = recovering
      ? { inserted: 0, matched: 0, upserted: 0, duplicates: 0 }
      : await bulkByBucket(combined, rollupsOf);
    options.afterStep?.('cells');
    if (result.matched + result.upserted !== combined.length) {
      // Some documents did not match: a previous attempt already applied part of them (then the
      // rest goes one transaction at a time), or a concurrent writer moved them (retry later).
      const missing = await unmet();
      if (missing.length > 0) {
        await bulkByBucket(
          missing.map(([docId, w]) => ({ key: docId, op: opOf(docId, [w]) })),
          rollupsOf,
        );
        const still = await unmet();
        if (still.length > 0) {
          const [docId, w] = still[0]!;
          throw new RollupConflictError(
            `rollup document ${docId}: a transaction could not be set to version ${w.version}`,
          );
        }
      }
    }
    if (!recovering) return;
    await bulkByBucket(
      pendingStates.map((s) => ({
        key: s._id,
        op: {
          updateOne: {
            filter: { _id: s._id, [`${rollupStateField}.pending.version`]: s.pending!.version },
            update: {
              $set: {
                [`${rollupStateField}.v`]: s.pending!.version,
                [`${rollupStateField}.cells`]: finalCells.get(s._id)!,
                [`${rollupStateField}.pending`]: null,
              },
            },
          },
        },
      })),
      transactionsOf,
    );
    options.afterStep?.('state');
  }

  /**
   * The pending step for transactions already stored: a pending version left by a crash is
   * finished first, then each document older than its item is replaced by the item's version,
   * pending, on the condition that no other writer changed it since it was read (same version,
   * nothing pending); the replacement keeps the contributions the rollups hold. Returns the states
   * this call holds.
   */
  async function claimKnown(ids: string[], itemOf: (id: string) => ApplyItem): Promise<StateDoc[]> {
    let current = await loadStates(ids);
    const unfinished = [...current.values()]
      .map(({ state }) => state)
      .filter((state) => state.pending !== null);
    if (unfinished.length > 0) {
      await rollForward(unfinished, true);
      current = await loadStates(ids);
    }
    const toApply = ids.filter((id) => (current.get(id)?.docVersion ?? 0) < itemOf(id).doc.version);
    if (toApply.length === 0) return [];
    const claims = toApply.map((id): StateDoc => {
      const state = current.get(id)?.state;
      return {
        _id: id,
        version: state?.version ?? 0,
        cells: state?.cells ?? [],
        pending: pendingOf(itemOf(id)),
      };
    });
    // A document deleted since it was read (only by hand: the store deletes none) is not
    // re-created here: the claim does not match and the read-back below names the conflict.
    const claimResult = await bulkByBucket(
      claims.map((claim) => ({
        key: claim._id,
        op: {
          replaceOne: {
            filter: {
              _id: claim._id,
              version: current.get(claim._id)?.docVersion ?? 0,
              [`${rollupStateField}.pending`]: null,
            },
            replacement: storedDocOf(itemOf(claim._id), claim),
          },
        },
      })),
      transactionsOf,
    );
    // Every conditional replacement took: each document now holds its pending version.
    if (claimResult.matched === claims.length) return claims;
    // Another writer got some of them first: read back which are this call's.
    const written = await loadStates(toApply);
    const mine: StateDoc[] = [];
    for (const id of toApply) {
      const version = itemOf(id).doc.version;
      const stored = written.get(id);
      if (stored?.state.pending?.version === version) mine.push(stored.state);
      else if ((stored?.docVersion ?? 0) < version) {
        throw new RollupConflictError(`transaction ${id}: another writer holds its rollup state`);
      }
    }
    return mine;
  }

  /**
   * Inserts documents grouped by bucket (unordered, bulkOperationsMax at a time, up to
   * bucketOperationsInFlightMax buckets at once); returns the ids refused as duplicates.
   */
  async function insertNew<T extends StringIdDoc>(
    docs: T[],
    collectionOf: (id: string) => Collection<T>,
  ): Promise<Set<string>> {
    const slices = [
      ...groupBy(
        docs,
        (doc) => collectionOf(doc._id),
        (doc) => doc,
      ),
    ].flatMap(([collection, list]) =>
      chunks(list, bulkOperationsMax).map((part) => [collection, part] as const),
    );
    const duplicates = new Set<string>();
    await mapInFlight(slices, bucketOperationsInFlightMax, async ([collection, part]) => {
      try {
        await collection.insertMany(part as OptionalUnlessRequiredId<T>[], { ordered: false });
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        const writeErrors = Array.isArray(error.writeErrors)
          ? error.writeErrors
          : [error.writeErrors];
        for (const writeError of writeErrors) {
          if (writeError.code !== duplicateKeyCode) throw error;
          duplicates.add(part[writeError.index]!._id);
        }
      }
    });
    return duplicates;
  }

  /** The document of an item as stored: its fields and its rollup state with `state`'s pending version. */
  function storedDocOf(item: ApplyItem, state: StateDoc): StringIdDoc {
    const rollupState: RollupStateField = {
      v: state.version,
      cells: state.cells,
      pending: state.pending,
    };
    return { ...docToBson(item.doc), _id: item.doc.id, [rollupStateField]: rollupState };
  }

  function pendingOf(item: ApplyItem): NonNullable<StateDoc['pending']> {
    return {
      version: item.doc.version,
      contributions: contributionList(item.cells).map((c: Contribution) => ({
        cellKey: c.cellKey,
        ...(c.periodEnd ? { periodEnd: c.periodEnd } : {}),
        a: toStored(c.amounts),
      })),
    };
  }

  const store: DocumentStore = {
    kind: 'mongodb',

    async init() {
      if (ownsClient) await client.connect();
      // Only the missing indexes: FerretDB 1.24 panics (closing the connection) when asked again
      // for an existing index on a dotted key.
      const wanted: Array<[Collection<StringIdDoc>, string, Document]> = [
        ...transactionBuckets.flatMap(
          (transactions): Array<[Collection<StringIdDoc>, string, Document]> => [
            [transactions, 'user_time', { userId: 1, occurredAtUtc: -1 }],
            [transactions, 'user_category', { userId: 1, 'category.id': 1 }],
            [transactions, 'user_merchant', { userId: 1, merchantKey: 1 }],
          ],
        ),
        ...rollupBuckets.map((rollups): [Collection<StringIdDoc>, string, Document] => [
          rollups,
          'user_month',
          { userId: 1, month: 1 },
        ]),
        ...alertBuckets.map((alerts): [Collection<StringIdDoc>, string, Document] => [
          alerts,
          'user',
          { userId: 1 },
        ]),
        ...referenceBuckets.map((bucket): [Collection<StringIdDoc>, string, Document] => [
          bucket,
          'kind_user',
          { kind: 1, userId: 1 },
        ]),
      ];
      await mapInFlight(wanted, bucketOperationsInFlightMax, async ([collection, name, key]) => {
        const existing = await collection
          .listIndexes()
          .toArray()
          .catch(() => [] as Document[]);
        if (existing.some((index) => index.name === name)) return;
        await collection.createIndex(key, { name });
      });
    },

    async apply(items) {
      if (items.length > applyBatchSizeMax) {
        throw new ValidationError(`apply takes at most ${applyBatchSizeMax} items`, {
          field: 'items',
        });
      }
      const { latest, outcomes } = latestPerTransaction(items);
      const itemOf = (id: string) => items[latest.get(id)!]!;
      // A transaction seen for the first time is inserted with its pending version (checked by
      // the unique `_id` index: no read, and no collection pass on FerretDB); only the documents
      // already there are read and claimed conditionally.
      const fresh = [...latest.keys()].map((id): StateDoc => ({
        _id: id,
        version: 0,
        cells: [],
        pending: pendingOf(itemOf(id)),
      }));
      const known = await insertNew(
        fresh.map((state) => storedDocOf(itemOf(state._id), state)),
        transactionsOf,
      );
      const mine = fresh.filter((s) => !known.has(s._id));
      if (known.size > 0) mine.push(...(await claimKnown([...known], itemOf)));
      options.afterStep?.('pending');
      if (mine.length === 0) return outcomes;
      await rollForward(mine, false);
      for (const s of mine) outcomes[latest.get(s._id)!] = 'applied';
      return outcomes;
    },

    async getTransactions(ids) {
      const result = new Map<string, TransactionDocument>();
      for (const bson of await findByIds(ids, transactionsOf, { [rollupStateField]: 0 })) {
        const doc = docFromBson(bson);
        result.set(doc.id, doc);
      }
      return result;
    },

    async scanTransactions({ afterId, limit }) {
      return (await scanBuckets(transactionBuckets, afterId, limit, { [rollupStateField]: 0 })).map(
        docFromBson,
      );
    },

    async queryRollups(query) {
      const filter: Document = { userId: query.userId };
      // Within a grain the month document of a period grows with the period: narrow to its months.
      if (query.grain !== undefined) {
        const from = query.period ?? query.periodFrom;
        const to = query.period ?? query.periodTo;
        if (from !== undefined || to !== undefined) {
          filter.month = {
            ...(from !== undefined ? { $gte: rollupMonthOf(query.grain, from) } : {}),
            ...(to !== undefined ? { $lte: rollupMonthOf(query.grain, to) } : {}),
          };
        }
      }
      const limit = Math.min(query.limit ?? pageSizeMax, pageSizeMax);
      const rows: RollupRow[] = [];
      const collection = rollupBuckets[bucketOf(query.userId)]!;
      let afterId: string | undefined;
      // A user's cells are spread over its month documents: read them all, then order the cells.
      for (;;) {
        const page = await collection
          .find(afterId === undefined ? filter : { ...filter, _id: { $gt: afterId } }, {
            projection: { applied: 0 },
          })
          .sort({ _id: 1 })
          .limit(pageSizeMax)
          .toArray();
        for (const doc of page)
          for (const row of rowsOfRollupDoc(doc)) {
            if (query.grain !== undefined && row.grain !== query.grain) continue;
            if (query.period !== undefined && row.period !== query.period) continue;
            if (query.periodFrom !== undefined && row.period < query.periodFrom) continue;
            if (query.periodTo !== undefined && row.period > query.periodTo) continue;
            if (query.dimension !== undefined && row.dimension !== query.dimension) continue;
            if (query.key !== undefined && row.key !== query.key) continue;
            rows.push(row);
          }
        if (page.length < pageSizeMax) break;
        afterId = page[page.length - 1]!._id;
      }
      return rows.sort((a, b) => compareKeys(a.cellKey, b.cellKey)).slice(0, limit);
    },

    async getRollups(cellKeys) {
      checkRollupKeys(cellKeys);
      const wanted = new Set(cellKeys);
      const result = new Map<string, RollupRow>();
      const docIds = new Set(cellKeys.map(rollupDocIdOf));
      for (const doc of await findByIds(docIds, rollupsOf, { applied: 0 }))
        for (const row of rowsOfRollupDoc(doc))
          if (wanted.has(row.cellKey)) result.set(row.cellKey, row);
      return result;
    },

    async scanRollups({ afterKey, limit }) {
      const size = Math.min(limit, pageSizeMax);
      // Documents come in `_id` order, so by user; a user's cells are spread over its month
      // documents, so only the users before the last document's user are known whole. Start at
      // the first document of `afterKey`'s user.
      const rows: RollupRow[] = [];
      let afterId = afterKey === undefined ? undefined : userPrefixOf(afterKey);
      let inclusive = afterKey !== undefined;
      let lastUser: string | undefined;
      for (;;) {
        const page = await scanBuckets(rollupBuckets, afterId, size, { applied: 0 }, inclusive);
        for (const doc of page)
          for (const row of rowsOfRollupDoc(doc))
            if (afterKey === undefined || row.cellKey > afterKey) rows.push(row);
        if (page.length < size) {
          lastUser = undefined;
          break;
        }
        afterId = page[page.length - 1]!._id;
        inclusive = false;
        lastUser = userPrefixOf(afterId);
        const whole = rows.filter((row) => !row.cellKey.startsWith(lastUser!)).length;
        if (whole >= size) break;
      }
      const known =
        lastUser === undefined ? rows : rows.filter((row) => !row.cellKey.startsWith(lastUser));
      return known.sort((a, b) => compareKeys(a.cellKey, b.cellKey)).slice(0, size);
    },

    async insertAlert(alert: AlertRecord) {
      try {
        await alertsOf(alert.alertId).insertOne({
          _id: alert.alertId,
          identity: alert.identity,
          userId: alert.userId,
          payload: JSON.stringify(alert.payload),
          createdAt: alert.createdAt,
          publishedAt: alert.publishedAt,
        });
        return true;
      } catch (error) {
        if (error instanceof MongoServerError && error.code === duplicateKeyCode) return false;
        throw error;
      }
    },

    async insertAlerts(records) {
      const first = firstOfEachId(records);
      const docs = records
        .filter((_, i) => first[i])
        .map((alert) => ({
          _id: alert.alertId,
          identity: alert.identity,
          userId: alert.userId,
          payload: JSON.stringify(alert.payload),
          createdAt: alert.createdAt,
          publishedAt: alert.publishedAt,
        }));
      const duplicates = await insertNew(docs, alertsOf);
      const fresh = records.map((alert, i) => first[i]! && !duplicates.has(alert.alertId));
      const alertIds = records.filter((_, i) => fresh[i]).map((alert) => alert.alertId);
      return { fresh, batch: alertIds.length === 0 ? null : { alertIds, batchId: null } };
    },

    async markAlertBatchPublished(batch, publishedAt) {
      // Each alert's document holds its mark; the update reads nothing first either way.
      await store.markAlertsPublished([...batch.alertIds], publishedAt);
    },

    async markAlertsPublished(alertIds, publishedAt) {
      const groups = groupBy(new Set(alertIds), alertsOf, (id) => id);
      const writes = [...groups].flatMap(([collection, list]) =>
        chunks(list, inListSizeMax).map((part) => [collection, part] as const),
      );
      await mapInFlight(writes, bucketOperationsInFlightMax, ([collection, part]) =>
        collection.updateMany({ _id: { $in: part }, publishedAt: null } as Document, {
          $set: { publishedAt },
        }),
      );
    },

    async listAlerts({ userId, unpublishedOnly, afterId, limit }) {
      const where: Document = {};
      if (userId !== undefined) where.userId = userId;
      if (unpublishedOnly) where.publishedAt = null;
      const docs = await scanBuckets(alertBuckets, afterId, limit, undefined, false, where);
      return docs.map((doc) => ({
        alertId: doc._id,
        identity: doc.identity as string,
        userId: doc.userId as string,
        payload: JSON.parse(doc.payload as string) as Record<string, unknown>,
        createdAt: doc.createdAt as string,
        publishedAt: (doc.publishedAt as string | null) ?? null,
      }));
    },

    async putState(entry: StateEntry) {
      try {
        const result = await referenceOf(stateOwnerOf(entry)).updateOne(
          { _id: `${entry.kind}|${entry.key}`, order: { $lt: entry.order } } as Document,
          { $set: stateDocOf(entry) },
          { upsert: true },
        );
        return result.modifiedCount + result.upsertedCount > 0;
      } catch (error) {
        if (error instanceof MongoServerError && error.code === duplicateKeyCode) return false;
        throw error;
      }
    },

    async putStates(entries) {
      const stored = entries.map(() => false);
      const greatest = greatestStatePerKey(entries);
      const idOf = (entry: StateEntry) => `${entry.kind}|${entry.key}`;
      /** The bucket of each entry's `_id`, by its owner. */
      const bucketById = new Map(
        [...greatest.values()].map((index) => [
          idOf(entries[index]!),
          referenceOf(stateOwnerOf(entries[index]!)),
        ]),
      );
      const bucketOfId = (id: string) => bucketById.get(id)!;
      // The current orders in one read per bucket; an absent entry is inserted (FerretDB: no
      // collection pass), a present one replaced on the condition that its order is still smaller.
      const current = new Map<string, string>();
      for (const doc of await findByIds(bucketById.keys(), bucketOfId, { order: 1 }))
        current.set(doc._id, doc.order as string);
      const fresh: number[] = [];
      const newer: number[] = [];
      for (const index of greatest.values()) {
        const entry = entries[index]!;
        const order = current.get(idOf(entry));
        if (order === undefined) fresh.push(index);
        else if (order < entry.order) newer.push(index);
      }
      // Inserted meanwhile by another writer: decided by the conditional update below.
      const raced = await insertNew(
        fresh.map((index) => ({ _id: idOf(entries[index]!), ...stateDocOf(entries[index]!) })),
        bucketOfId,
      );
      for (const index of fresh) stored[index] = !raced.has(idOf(entries[index]!));
      const racedIndexes = fresh.filter((index) => raced.has(idOf(entries[index]!)));
      for (const index of [...newer, ...racedIndexes])
        stored[index] = await store.putState(entries[index]!);
      return stored;
    },

    async getState(kind, key) {
      return (await statesByKey(kind, [key])).get(key) ?? null;
    },

    async getStates(kind, keys) {
      return statesByKey(kind, keys);
    },

    async listStates(kind, userId) {
      const docs = await referenceOf(userId)
        .find({ kind, userId })
        .sort({ _id: 1 })
        .limit(pageSizeMax)
        .toArray();
      return docs.map(stateFromBson);
    },

    async listStatesOfUsers(kind, userIds) {
      const users = new Set(userIds);
      if (users.size === 0) return [];
      const docs = await readStates((wants) => {
        for (const userId of users) {
          const bucket = bucketOf(userId);
          const lists = wants.lists.get(bucket) ?? new Map<string, Set<string>>();
          const listed = lists.get(kind) ?? new Set<string>();
          listed.add(userId);
          lists.set(kind, listed);
          wants.lists.set(bucket, lists);
        }
      });
      return [...docs.values()]
        .filter((doc) => doc.kind === kind && users.has(doc.userId as string))
        .sort((a, b) => compareKeys(a._id as string, b._id as string))
        .map(stateFromBson);
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async close() {
      if (ownsClient) await client.close();
    },
  };
  return store;
}

/** A state entry as stored (its `_id` is `kind|key`). */
function stateDocOf(entry: StateEntry): Document {
  return {
    kind: entry.kind,
    key: entry.key,
    userId: entry.userId,
    order: entry.order,
    value: JSON.stringify(entry.value),
  };
}

function stateFromBson(doc: Document): StateEntry {
  return {
    kind: doc.kind as string,
    key: doc.key as string,
    userId: doc.userId as string,
    order: doc.order as string,
    value: JSON.parse(doc.value as string) as unknown,
  };
}

/** Drops the store's database and its bucket databases: tests only. */
export async function dropMongoDatabase(url: string, dbName: string): Promise<void> {
  const client = new MongoClient(url);
  try {
    await client.db(dbName).dropDatabase();
    for (let d = 0; d < bucketDatabasesCount; d += 1)
      await client.db(bucketDatabaseName(dbName, d)).dropDatabase();
  } finally {
    await client.close();
  }
}
