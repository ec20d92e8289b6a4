/**
 * Applies documents to the production read model (MongoDB yearly ledgers and sums + analytics' own
 * search index) exactly once per version, within what FerretDB v1 supports: no multi-document
 * transactions, every filter a scan, so only `_id` reads and single-document compare-and-set writes.
 *
 * - A ledger (one user, one local year, `mongo-ledger.ts`) keeps one row per transaction with the
 *   version it holds (`v`), and a `gone` list of transactions it counts nowhere (reversed, or moved
 *   to another year) with their version. Applying version v of a transaction replaces its entry
 *   only when the ledger holds an older one, so duplicates and stale versions are no-ops and a new
 *   version subtracts the old contribution (the row it replaces) and adds the new one.
 * - A ledger is read by `_id`, changed in memory and written back with `replaceOne({ _id, rev })`
 *   (or inserted): a writer that read before another's write makes its write miss, and it retries
 *   on a fresh read. After each ledger write, the year's sums document (what queries read,
 *   `mongo-rollups.ts`) is replaced by the ledger's rows summed, tagged with the ledger `rev`, and
 *   the ledger is read again: if another writer changed it meanwhile, the sums are rewritten from
 *   it, so older sums are never left last (`writeSums`); a redelivery that finds nothing new for a
 *   ledger still brings a sums document that lags its ledger up to it (a crash between the two
 *   writes). Events are keyed by the user id, so one
 *   partition owner writes a user's documents, in order. Within a process, writes of one year are
 *   also serialized (a lock per year), because FerretDB v1 does not make a filtered replace
 *   atomic: measured, 24 concurrent compare-and-set writers of one document lost about half their
 *   writes (and 24 concurrent `$inc` of one field added 2), while an insert of a taken `_id` is
 *   always refused. Genuine MongoDB makes the compare-and-set atomic; on FerretDB two processes
 *   writing one user's year within the same few milliseconds (a rebalance overlap) could still lose
 *   one write (docs/analytics-api.md).
 * - Where the previous version lives: the search index document (read by id, which is real-time)
 *   gives the year it was counted in. A correction moving a transaction to another year writes the
 *   new year's bucket first, then marks it gone in the old one, and indexes the new version last.
 *   The index therefore only ever holds a version whose bucket writes are done: a crash anywhere
 *   before it leaves the index at the old version, and the redelivery (same partition, same order)
 *   finds the old year again and finishes; a version the index already holds is skipped whole.
 *   A batch applies only the latest version of each transaction, so the years of the skipped newer
 *   versions (which a crashed attempt may have written) are marked gone as well.
 * - The index is written with `version_type: external` and the event's version: an older or equal
 *   version is refused by OpenSearch (409) and counts as already done.
 */
import type { Db, MongoServerError } from 'mongodb';
import { invariant, UnavailableError } from '@spendstream/core/errors';
import type { TransactionDoc } from '../../query/analytics-store.js';
import { bucketId, sumsDocumentOf, type SumsDocument } from '../../query/mongo-rollups.js';
import { ledgerCollectionOf, sumsCollectionOf } from '../../query/mongo-spread.js';
import {
  decodeLedger,
  encodeLedger,
  type Ledger,
  type LedgerDocument,
} from '../../query/mongo-ledger.js';
import type { BucketRow } from '../../query/row-aggregate.js';
import { bucketRowOf, reversedStatus } from '../../query/rollups.js';
import { toIndexedSource, type SearchTransport } from '../../query/search-index.js';
import type { VersionedDoc } from './enriched-to-doc.js';
import type { ReadModelWriter } from './sql-read-model-writer.js';

/** Attempts of one bucket's compare-and-set before the batch fails (and is redelivered). */
export const bucketWriteAttemptsMax = 8;
/** Rows plus gone entries one bucket may hold (a document stays well under 16 MiB). */
export const bucketEntriesMax = 40_000;
/** Buckets (user-years) written at once by default. */
export const bucketWritesParallelMax = 8;

/** One change to a bucket: transaction `id` at version `v`, counted as `row` or (null) not at all. */
export interface BucketOp {
  id: string;
  v: number;
  row: BucketRow | null;
}

/**
 * Apply ops to a bucket's rows in place; true when anything changed. An op replaces the
 * transaction's entry (row or gone) only when that entry's version is lower.
 */
export function applyBucketOps(bucket: Ledger, ops: readonly BucketOp[]): boolean {
  let changed = false;
  for (const op of ops) {
    const rowIndex = bucket.rows.findIndex((row) => row.id === op.id);
    const goneIndex = bucket.gone.findIndex((entry) => entry.id === op.id);
    const held = Math.max(
      rowIndex >= 0 ? Number(bucket.rows[rowIndex]!.v ?? 0) : -1,
      goneIndex >= 0 ? Number(bucket.gone[goneIndex]!.v) : -1,
    );
    if (held >= op.v) continue;
    if (rowIndex >= 0) bucket.rows.splice(rowIndex, 1);
    if (goneIndex >= 0) bucket.gone.splice(goneIndex, 1);
    if (op.row) bucket.rows.push(op.row);
    else bucket.gone.push({ id: op.id, v: op.v });
    changed = true;
  }
  return changed;
}

interface IndexedState {
  version: number;
  userId: string;
  localDate: string;
}

interface MgetResponse {
  docs: Array<{
    _id: string;
    found?: boolean;
    _version?: number;
    _source?: { userId: string; localDate: string };
  }>;
}

interface BulkResponse {
  errors: boolean;
  items: Array<Record<string, { status: number; error?: unknown }>>;
}

const duplicateKeyCode = 11000;

/** The tail of each bucket's queue of writes in this process. */
const bucketLocks = new Map<string, Promise<void>>();

/** Run `write` after every earlier write of the same bucket in this process has settled. */
async function withBucketLock(key: string, write: () => Promise<void>): Promise<void> {
  const previous = bucketLocks.get(key) ?? Promise.resolve();
  const current = previous.then(write, write);
  const tail = current.catch(() => undefined);
  bucketLocks.set(key, tail);
  try {
    await current;
  } finally {
    if (bucketLocks.get(key) === tail) bucketLocks.delete(key);
  }
}

export function createMongoReadModelWriter(options: {
  mongo: Db;
  search: SearchTransport;
  index: string;
  /** Buckets written at once (default `bucketWritesParallelMax`). */
  bucketWritesParallel?: number;
}): ReadModelWriter {
  const { mongo, search, index } = options;
  const parallel = options.bucketWritesParallel ?? bucketWritesParallelMax;
  invariant(parallel >= 1, 'at least one bucket write at a time');
  const indexPath = `/${encodeURIComponent(index)}`;

  async function indexedStates(ids: string[]): Promise<Map<string, IndexedState>> {
    const response = (await search.request(
      'POST',
      `${indexPath}/_mget?_source_includes=userId,localDate`,
      { ids },
    )) as MgetResponse;
    const states = new Map<string, IndexedState>();
    for (const doc of response.docs) {
      if (doc.found && doc._source && doc._version !== undefined)
        states.set(doc._id, { version: doc._version, ...doc._source });
    }
    return states;
  }

  /** Read-modify-write one bucket with compare-and-set on `rev`, one write at a time per bucket. */
  function updateBucket(userId: string, year: string, ops: BucketOp[]): Promise<void> {
    return withBucketLock(`${mongo.databaseName}|${bucketId(userId, year)}`, () =>
      writeBucket(userId, year, ops),
    );
  }

  async function writeBucket(userId: string, year: string, ops: BucketOp[]): Promise<void> {
    const ledgers = ledgerCollectionOf<LedgerDocument>(mongo, userId);
    const _id = bucketId(userId, year);
    for (let attempt = 1; attempt <= bucketWriteAttemptsMax; attempt += 1) {
      const stored = await ledgers.findOne({ _id });
      const ledger: Ledger = stored ? decodeLedger(stored.entries) : { rows: [], gone: [] };
      if (!applyBucketOps(ledger, ops)) {
        // Nothing new for the ledger, but an earlier attempt may have crashed between its ledger
        // write and the sums write: bring the sums up to the ledger.
        if (stored) await ensureSums(stored, ledger);
        return;
      }
      invariant(
        ledger.rows.length + ledger.gone.length <= bucketEntriesMax,
        `bucket ${_id} would hold more than ${bucketEntriesMax} transactions`,
      );
      const next: LedgerDocument = {
        _id,
        userId,
        year,
        rev: (stored?.rev ?? 0) + 1,
        entries: encodeLedger(year, ledger),
      };
      let written = false;
      try {
        if (stored === null) {
          await ledgers.insertOne(next);
          written = true;
        } else {
          const result = await ledgers.replaceOne({ _id, rev: stored.rev }, next);
          written = result.matchedCount === 1;
        }
      } catch (error) {
        if ((error as MongoServerError).code !== duplicateKeyCode) throw error;
      }
      if (written) {
        await writeSums(next, ledger, stored === null);
        return;
      }
      // Another writer got there first: read again.
    }
    throw new UnavailableError(`bucket ${_id} kept changing under its writes`, 1);
  }

  /**
   * Replace the year's sums document with the sums of `written` (the ledger as this writer wrote
   * or found it), then make sure no older sums were left last. When the ledger was new (`fresh`),
   * so is the sums document as a rule: it is inserted, which FerretDB does without first scanning
   * the collection for it; if one is there after all (a ledger lost while its sums stayed), the
   * insert is refused and the document replaced.
   *
   * Why the check after the write: another instance that briefly owns the same user (a consumer
   * rebalance: the old owner finishing a batch while the new one redelivers it and goes on) may
   * write the ledger and its sums between this writer's ledger write and its sums write, and this
   * write would then put back older sums, missing the other's transactions until the year's next
   * write. A filter on `ledgerRev` would not close it on FerretDB 1.24, which does not make a
   * filtered replace atomic (measured: concurrent compare-and-set writers lose writes) and does
   * not push such a filter down (every document of the collection decoded per write). So the
   * ledger, written before its sums by every writer, decides: read it again after the sums write;
   * if it is no longer what these sums were made from, write the sums of the ledger as it is now
   * and look again. The last sums write is then always followed by a read of the newest ledger,
   * so the sums end at it (a query may see older sums for those few milliseconds).
   */
  async function writeSums(written: LedgerDocument, ledger: Ledger, fresh = false): Promise<void> {
    const { userId, year, _id } = written;
    const collection = sumsCollectionOf<SumsDocument>(mongo, userId);
    const ledgers = ledgerCollectionOf<LedgerDocument>(mongo, userId);
    let source = written;
    let rows = ledger.rows;
    for (let attempt = 1; attempt <= bucketWriteAttemptsMax; attempt += 1) {
      const sums = sumsDocumentOf(userId, year, source.rev, rows);
      let inserted = false;
      if (fresh && attempt === 1) {
        try {
          await collection.insertOne(sums);
          inserted = true;
        } catch (error) {
          if ((error as MongoServerError).code !== duplicateKeyCode) throw error;
        }
      }
      if (!inserted) await collection.replaceOne({ _id }, sums, { upsert: true });
      const now = await ledgers.findOne({ _id });
      if (!now || (now.rev === source.rev && now.entries === source.entries)) return;
      source = now;
      rows = decodeLedger(now.entries).rows;
    }
    throw new UnavailableError(`the sums of ${_id} kept falling behind their ledger`, 1);
  }

  async function ensureSums(stored: LedgerDocument, ledger: Ledger): Promise<void> {
    const sums = await sumsCollectionOf<SumsDocument>(mongo, stored.userId).findOne(
      { _id: stored._id },
      { projection: { ledgerRev: 1 } },
    );
    if ((sums?.ledgerRev ?? -1) < stored.rev) await writeSums(stored, ledger);
  }

  async function updateBuckets(
    opsByBucket: Map<string, { userId: string; year: string; ops: BucketOp[] }>,
  ): Promise<void> {
    const pending = [...opsByBucket.values()];
    const worker = async () => {
      for (let next = pending.shift(); next; next = pending.shift())
        await updateBucket(next.userId, next.year, next.ops);
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  async function indexDocuments(docs: VersionedDoc[]): Promise<void> {
    const lines: string[] = [];
    for (const { doc, version } of docs) {
      lines.push(
        JSON.stringify({
          index: { _index: index, _id: doc.id, version, version_type: 'external' },
        }),
      );
      lines.push(JSON.stringify(toIndexedSource(doc)));
    }
    const response = (await search.request(
      'POST',
      '/_bulk',
      `${lines.join('\n')}\n`,
    )) as BulkResponse;
    if (!response.errors) return;
    // 409: the index holds this version or a newer one already, which is what we wanted.
    const failed = response.items
      .map((item) => Object.values(item)[0])
      .find((result) => result && result.status !== 409 && result.error);
    if (failed) throw new UnavailableError(`indexing failed: ${JSON.stringify(failed.error)}`, 1);
  }

  return {
    async apply(docs) {
      const latest = new Map<string, VersionedDoc>();
      for (const item of docs) {
        const seen = latest.get(item.doc.id);
        if (!seen || seen.version < item.version) latest.set(item.doc.id, item);
      }
      if (latest.size === 0) return [];
      const states = await indexedStates([...latest.keys()]);
      const todo = [...latest.values()].filter(
        ({ doc, version }) => (states.get(doc.id)?.version ?? -1) < version,
      );
      // Years that versions newer than the indexed one may have written to: an earlier attempt
      // that crashed before indexing may have left a row there, and only the latest version of the
      // batch is applied, so each of those years is marked gone too.
      const touchedYears = new Map<string, Set<string>>();
      for (const { doc, version } of docs) {
        if ((states.get(doc.id)?.version ?? -1) >= version) continue;
        const years = touchedYears.get(doc.id) ?? new Set<string>();
        years.add(doc.localDate.slice(0, 4));
        touchedYears.set(doc.id, years);
      }
      const newYear = new Map<string, { userId: string; year: string; ops: BucketOp[] }>();
      const oldYear = new Map<string, { userId: string; year: string; ops: BucketOp[] }>();
      const add = (target: typeof newYear, userId: string, year: string, op: BucketOp) => {
        const key = bucketId(userId, year);
        const entry = target.get(key) ?? { userId, year, ops: [] };
        entry.ops.push(op);
        target.set(key, entry);
      };
      for (const { doc, version } of todo) {
        const year = doc.localDate.slice(0, 4);
        const counted = doc.status !== reversedStatus;
        add(newYear, doc.userId, year, {
          id: doc.id,
          v: version,
          row: counted ? bucketRowOf(doc, version) : null,
        });
        const previous = states.get(doc.id);
        const oldYears = new Set(touchedYears.get(doc.id));
        if (previous && previous.userId === doc.userId)
          oldYears.add(previous.localDate.slice(0, 4));
        oldYears.delete(year);
        for (const old of oldYears)
          add(oldYear, doc.userId, old, { id: doc.id, v: version, row: null });
      }
      // The new year first: a crash before the old year is marked leaves the transaction counted
      // twice until the redelivery finishes, never counted nowhere.
      await updateBuckets(newYear);
      await updateBuckets(oldYear);
      if (todo.length > 0) await indexDocuments(todo);
      return todo.map(({ doc }): TransactionDoc => doc);
    },
  };
}
