/**
 * The documents-and-rollups port: canonical transaction documents, rollup cells, alert records and
 * the small reference state the jobs keep (user settings, budgets, rules, corrections). Two
 * adapters implement it, MongoDB (mongo-store.ts) and embedded SQL (sql-store.ts); both pass
 * store-contract.ts.
 */
import type { AlertRaisedV1 } from '@spendstream/core/events/alerts';
import type { Knex } from '@spendstream/core/sql/create-sql';
import { ValidationError } from '@spendstream/core/errors';
import type {
  CellId,
  Dimension,
  RollupAmounts,
  RollupGrain,
  TransactionCells,
} from '../rollups/contributions.js';
import type { TransactionDocument } from './transaction-document.js';

/** Most items one `apply` call takes; the pipeline's batches are smaller. */
export const applyBatchSizeMax = 5_000;
/** Largest page a scan or query returns. */
export const pageSizeMax = 5_000;
/** Most cell keys one `getRollups` call takes (about 33 per transaction: the pipeline splits larger reads). */
export const rollupKeysMax = 50_000;

/** A new version of a transaction and every cell it contributes to (see `transactionCellsOf`). */
export interface ApplyItem {
  doc: TransactionDocument;
  cells: TransactionCells;
}

/** `applied`: this version is now the document and in the rollups; `stale`: a same or newer version was. */
export type ApplyOutcome = 'applied' | 'stale';

export interface RollupRow extends CellId {
  cellKey: string;
  amounts: RollupAmounts;
  periodEnd?: string | undefined;
}

export interface RollupQuery {
  userId: string;
  grain?: RollupGrain;
  dimension?: Dimension;
  key?: string;
  /** Exact period, or an inclusive range of periods (they sort as strings within a grain). */
  period?: string;
  periodFrom?: string;
  periodTo?: string;
  limit?: number;
}

/** An alert as recorded: the published payload (wire form: amounts as strings) and its identity. */
export interface AlertRecord {
  alertId: string;
  identity: string;
  userId: string;
  /** `AlertRaisedV1` in wire form (amounts are decimal strings), ready to re-publish. */
  payload: Record<string, unknown>;
  /**
   * `JSON.stringify(payload)`, when the caller has it already (the text the alert's message was
   * built around): a store that keeps the payload as text writes it instead of stringifying again.
   */
  payloadText?: string;
  createdAt: string;
  publishedAt: string | null;
}

/**
 * The alerts one `insertAlerts` call recorded, as the store marks them published: the SQL store's
 * row of `alert_batches` (`batchId`), the MongoDB store's ids (it marks each alert's document).
 */
export interface AlertBatch {
  readonly alertIds: readonly string[];
  /** SQL stores: the batch row; null where the store has none. */
  readonly batchId: number | null;
}

/** What `insertAlerts` did: per alert given, whether it was new; the batch of the new ones. */
export interface AlertsRecorded {
  fresh: boolean[];
  /** Null when no alert was new. */
  batch: AlertBatch | null;
}

/** A piece of reference state, replaced only by an entry with a greater `order`. */
export interface StateEntry {
  kind: string;
  key: string;
  userId: string;
  /** Compared as strings: a zero-padded revision, or `correctedAt|correctionId`. */
  order: string;
  value: unknown;
}

/**
 * An SQL adapter's database, and the same adapter on a transaction of it: the pipeline runs the
 * store's and the index's steps of a batch in one transaction when both live in one database (the
 * embedded default: one SQLite file), one commit (a WAL fsync) instead of one a step.
 */
export interface SqlBinding<T> {
  /** The root connection, to tell whether two adapters share a database. */
  readonly knex: Knex;
  /** The adapter writing in `trx`: its own transactions become savepoints of it. Everything it
   * is asked while `trx` is open must go through it (SQLite has one connection, held by `trx`). */
  within(trx: Knex.Transaction): T;
}

export interface DocumentStore {
  readonly kind: 'mongodb' | 'embedded';
  /** SQL stores only: their database and the store bound to a transaction of it. */
  readonly sql?: SqlBinding<DocumentStore>;
  /** Creates collections, tables and indexes; idempotent. */
  init(): Promise<void>;
  /**
   * Writes each document and sets its contributions in the rollups, exactly once per version:
   * a version at or below the stored one changes nothing. Safe to call again after a crash
   * mid-way (the redelivery finishes the work).
   */
  apply(items: ApplyItem[]): Promise<ApplyOutcome[]>;
  getTransactions(ids: string[]): Promise<Map<string, TransactionDocument>>;
  /** All documents in id order, a page at a time (reconcile). */
  scanTransactions(options: {
    afterId?: string | undefined;
    limit: number;
  }): Promise<TransactionDocument[]>;
  queryRollups(query: RollupQuery): Promise<RollupRow[]>;
  /** Cells by key (at most rollupKeysMax); a key with no cell is left out. */
  getRollups(cellKeys: string[]): Promise<Map<string, RollupRow>>;
  /** All cells in key order, a page at a time (reconcile). */
  scanRollups(options: { afterKey?: string | undefined; limit: number }): Promise<RollupRow[]>;
  /** Records an alert once: true when it was new, false when its id was already recorded. */
  insertAlert(alert: AlertRecord): Promise<boolean>;
  /**
   * Records several alerts at once (one round trip or transaction): per alert, true when it was
   * new (an id given twice is new only the first time), and the batch of those it recorded.
   */
  insertAlerts(alerts: AlertRecord[]): Promise<AlertsRecorded>;
  /**
   * Marks every alert of a batch `insertAlerts` recorded published, without reading them (what
   * the pipeline does once it sent them); an alert already marked keeps its mark.
   */
  markAlertBatchPublished(batch: AlertBatch, publishedAt: string): Promise<void>;
  /** Marks any alerts published (the sweep's: a part of a batch, or alerts recorded alone). */
  markAlertsPublished(alertIds: string[], publishedAt: string): Promise<void>;
  listAlerts(options: {
    userId?: string | undefined;
    unpublishedOnly?: boolean;
    afterId?: string | undefined;
    limit: number;
  }): Promise<AlertRecord[]>;
  /** Stores the entry unless one with an equal or greater order is there; true when stored. */
  putState(entry: StateEntry): Promise<boolean>;
  /**
   * `putState` for several entries at once (a batch of reference snapshots): per entry, true when
   * stored. Of entries with the same kind and key only the greatest order can be stored.
   */
  putStates(entries: StateEntry[]): Promise<boolean[]>;
  getState(kind: string, key: string): Promise<StateEntry | null>;
  /** Several entries of one kind at once; absent keys are left out. */
  getStates(kind: string, keys: string[]): Promise<Map<string, StateEntry>>;
  /**
   * The entries of one kind a user owns, in key order. Promised only for entries keyed by the user
   * id or `<userId>|...` (settings, budgets, rules, wallets, merchant corrections): the MongoDB store
   * keeps every other entry (per-transaction overrides and annotations) in its key's bucket, so it
   * is read by key (`getState`/`getStates`), not listed by user.
   */
  listStates(kind: string, userId: string): Promise<StateEntry[]>;
  /**
   * Every entry of one kind of several users (all of them: a batch's users hold few each); the same
   * promise as `listStates` for which entries are listed.
   */
  listStatesOfUsers(kind: string, userIds: string[]): Promise<StateEntry[]>;
  /** Answers when the backend is reachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Alert payloads are stored in wire form; this is the type they decode to. */
export type { AlertRaisedV1 };

/** A document as JSON-safe data: the two bigint amounts become decimal strings. */
export function documentToJson(doc: TransactionDocument): Record<string, unknown> {
  return {
    ...doc,
    amountMinor: doc.amountMinor.toString(),
    homeAmountMinor: doc.homeAmountMinor.toString(),
  };
}

/** The JSON text of each document object, written once: the embedded store and index both keep it. */
const documentTexts = new WeakMap<TransactionDocument, string>();

/**
 * `JSON.stringify(documentToJson(doc))`, computed once per document object (documents are not
 * changed once enriched: a new version is a new object).
 */
export function documentJsonText(doc: TransactionDocument): string {
  let text = documentTexts.get(doc);
  if (text === undefined) {
    text = JSON.stringify(documentToJson(doc));
    documentTexts.set(doc, text);
  }
  return text;
}

/** The inverse of `documentToJson`; also accepts numbers and bigints for the amounts. */
export function documentFromJson(data: Record<string, unknown>): TransactionDocument {
  const doc = { ...data } as unknown as TransactionDocument & { _id?: unknown };
  delete doc._id;
  doc.amountMinor = BigInt(data.amountMinor as string | number | bigint);
  doc.homeAmountMinor = BigInt(data.homeAmountMinor as string | number | bigint);
  for (const key of Object.keys(doc) as (keyof TransactionDocument)[]) {
    if (doc[key] === null) delete doc[key];
  }
  return doc;
}

/** Refuses a `getRollups` call over its bound. */
export function checkRollupKeys(cellKeys: string[]): void {
  if (cellKeys.length > rollupKeysMax)
    throw new ValidationError(`getRollups takes at most ${rollupKeysMax} keys`, {
      field: 'cellKeys',
    });
}

/** `getRollups` for any number of keys: one call per `rollupKeysMax` keys, results merged. */
export async function getRollupsInParts(
  store: Pick<DocumentStore, 'getRollups'>,
  cellKeys: string[],
): Promise<Map<string, RollupRow>> {
  const rows = new Map<string, RollupRow>();
  for (let i = 0; i < cellKeys.length; i += rollupKeysMax) {
    for (const [key, row] of await store.getRollups(cellKeys.slice(i, i + rollupKeysMax)))
      rows.set(key, row);
  }
  return rows;
}

/** Keeps, per transaction id, only the item with the highest version; the others are stale. */
export function latestPerTransaction(items: ApplyItem[]): {
  latest: Map<string, number>;
  outcomes: ApplyOutcome[];
} {
  const latest = new Map<string, number>();
  items.forEach((item, index) => {
    const seen = latest.get(item.doc.id);
    if (seen === undefined || items[seen]!.doc.version < item.doc.version)
      latest.set(item.doc.id, index);
  });
  const outcomes: ApplyOutcome[] = items.map(() => 'stale');
  return { latest, outcomes };
}

/**
 * Of entries with the same kind and key, the index of the one with the greatest order (the first
 * of equals): only those can be stored by `putStates`.
 */
export function greatestStatePerKey(entries: StateEntry[]): Map<string, number> {
  const greatest = new Map<string, number>();
  entries.forEach((entry, index) => {
    const id = `${entry.kind}|${entry.key}`;
    const seen = greatest.get(id);
    if (seen === undefined || entries[seen]!.order < entry.order) greatest.set(id, index);
  });
  return greatest;
}

/** Per alert, whether it is the first of its id in the list (the later ones are repeats). */
export function firstOfEachId(alerts: AlertRecord[]): boolean[] {
  const seen = new Set<string>();
  return alerts.map((alert) => {
    if (seen.has(alert.alertId)) return false;
    seen.add(alert.alertId);
    return true;
  });
}
