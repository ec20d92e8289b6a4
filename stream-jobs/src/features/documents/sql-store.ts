/**
 * The embedded adapter of the documents-and-rollups port: SQL tables through knex, on SQLite by
 * default and on MySQL/MariaDB when DATABASE_URL is set. SQL has transactions, so one `apply` is one
 * transaction: each transaction's contributions live in one row of `<prefix>rollup_txs` (its cells
 * and their amounts as JSON), and a new version adds (new - old) to each cell it touches or touched.
 * One row per transaction, not one per (transaction, cell): about 17 times fewer rows and index
 * entries written per transaction (the earlier `<prefix>rollup_cells` is converted by `init`).
 */
import type { Knex } from 'knex';
import { sqlDialect, toBigInt } from '@spendstream/core/sql/create-sql';
import {
  addAmounts,
  addAmountsInto,
  amountFields,
  isZero,
  zeroAmounts,
  type AmountField,
  cellAt,
  cellPart,
  cellStride,
  copyAmounts,
  joinCellKey,
  type Contribution,
  type RollupAmounts,
  type TransactionCells,
} from '../rollups/contributions.js';
import { insertRows, selectByKeys, type OnConflict } from './sql-rows.js';
import {
  applyBatchSizeMax,
  checkRollupKeys,
  documentFromJson,
  firstOfEachId,
  greatestStatePerKey,
  documentJsonText,
  latestPerTransaction,
  pageSizeMax,
  type AlertRecord,
  type ApplyItem,
  type DocumentStore,
  type RollupQuery,
  type RollupRow,
  type StateEntry,
} from './store.js';
import type { TransactionDocument } from './transaction-document.js';
import { ValidationError } from '@spendstream/core/errors';

/** Rows per multi-row INSERT: SQLite allows 32766 bound values, a cell row binds 10. */
const insertChunkRowsMax = 500;
/** Ids per `IN (...)` list. */
const inListSizeMax = 500;

const columnOf: Record<AmountField, string> = {
  expense: 'expense',
  refund: 'refund',
  income: 'income',
  transferIn: 'transfer_in',
  transferOut: 'transfer_out',
  count: 'tx_count',
};

export interface SqlStoreOptions {
  knex: Knex;
  /** Prefix of every table name, so tests and tenants can share a database. */
  tablePrefix?: string;
  /** Whether `close()` destroys the knex pool (false when the caller shares it). */
  closeKnex?: boolean;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** An alert's payload as its row keeps it: the caller's text when given, else stringified here. */
function alertPayloadText(alert: AlertRecord): string {
  return alert.payloadText ?? JSON.stringify(alert.payload);
}

function amountsFromRow(row: Record<string, unknown>): RollupAmounts {
  const amounts = { ...zeroAmounts };
  for (const field of amountFields) amounts[field] = toBigInt(row[columnOf[field]]);
  return amounts;
}

const transactionColumns = ['id', 'version', 'user_id', 'occurred_at_utc', 'doc'] as const;
const txCellColumns = ['tx_id', 'version', 'cells'] as const;
const alertColumns = [
  'alert_id',
  'identity',
  'user_id',
  'payload',
  'created_at',
  'published_at',
  'batch_id',
] as const;
const rollupColumns = [
  'cell_key',
  'user_id',
  'grain',
  'period',
  'period_end',
  'dimension',
  'dim_key',
  'currency',
  ...amountFields.map((field) => columnOf[field]),
  'updated_at',
];
/** A cell already stored gets the delta added to its sums. */
const rollupConflict: OnConflict = {
  key: 'cell_key',
  columns: {
    ...Object.fromEntries(amountFields.map((field) => [columnOf[field], 'add' as const])),
    updated_at: 'replace',
  },
};

/** One rollup cell's summed change in a batch (a chain of the cells with its period and key). */
interface CellDelta {
  /** The encoded parts of the cell's key between the user and the currency. */
  readonly grain: string;
  readonly encodedPeriod: string;
  readonly dimension: string;
  readonly encodedKey: string;
  amounts: RollupAmounts;
  /** Whether `amounts` is the delta's own object (else a transaction's, shared by its cells). */
  owned: boolean;
  /** A transaction of the batch that contributes to the cell, and the cell's index in it. */
  contributed: TransactionCells | undefined;
  index: number;
  /** The next cell of the same user, currency, period and key (another grain or dimension). */
  next: CellDelta | undefined;
}

/** The cells of one user and currency: by encoded period, then by encoded key. */
interface UserCells {
  readonly prefix: string;
  readonly suffix: string;
  readonly periods: Map<string, Map<string, CellDelta>>;
}

/**
 * The summed change of each rollup cell in one batch, found by the parts of its key (user and
 * currency, period, key, then grain and dimension) without making the key: a backlog's batch adds
 * about 15 cells a transaction and sums them to about 2, so only those get their key, in `rows`.
 * A cell keeps the amounts object it was first given (a transaction's cells share one) until a
 * second change adds to it: then it copies it once and adds in place.
 */
class CellDeltas {
  readonly #users = new Map<string, UserCells>();

  #userCells(prefix: string, suffix: string): UserCells {
    const id = `${prefix}${suffix}`;
    let user = this.#users.get(id);
    if (user === undefined) {
      user = { prefix, suffix, periods: new Map() };
      this.#users.set(id, user);
    }
    return user;
  }

  #add(
    periods: Map<string, CellDelta>,
    grain: string,
    encodedPeriod: string,
    dimension: string,
    encodedKey: string,
    amounts: RollupAmounts,
    sign: 1n | -1n,
    contributed: TransactionCells | undefined,
    index: number,
  ): void {
    const first = periods.get(encodedKey);
    let cell = first;
    while (cell !== undefined && (cell.grain !== grain || cell.dimension !== dimension))
      cell = cell.next;
    if (cell === undefined) {
      periods.set(encodedKey, {
        grain,
        encodedPeriod,
        dimension,
        encodedKey,
        amounts: sign === 1n ? amounts : addAmounts(zeroAmounts, amounts, sign),
        owned: sign !== 1n,
        contributed,
        index,
        next: first,
      });
      return;
    }
    if (!cell.owned) {
      cell.amounts = copyAmounts(cell.amounts);
      cell.owned = true;
    }
    addAmountsInto(cell.amounts, amounts, sign);
    if (contributed !== undefined) {
      cell.contributed = contributed;
      cell.index = index;
    }
  }

  #keysOf(user: UserCells, encodedPeriod: string): Map<string, CellDelta> {
    let keys = user.periods.get(encodedPeriod);
    if (keys === undefined) {
      keys = new Map();
      user.periods.set(encodedPeriod, keys);
    }
    return keys;
  }

  /** Adds every cell of a transaction's new version. */
  addCells(cells: TransactionCells): void {
    const parts = cells.parts;
    if (parts.length === 0) return;
    const user = this.#userCells(cells.prefix, cells.suffix);
    let period: string | undefined;
    let keys: Map<string, CellDelta> | undefined;
    for (let index = 0, at = 0; at < parts.length; index += 1, at += cellStride) {
      const encodedPeriod = parts[at + cellPart.encodedPeriod]!;
      // A document's cells come a period at a time.
      if (encodedPeriod !== period || keys === undefined) {
        period = encodedPeriod;
        keys = this.#keysOf(user, encodedPeriod);
      }
      this.#add(
        keys,
        parts[at + cellPart.grain]!,
        encodedPeriod,
        parts[at + cellPart.dimension]!,
        parts[at + cellPart.encodedKey]!,
        cells.amounts,
        1n,
        cells,
        index,
      );
    }
  }

  /** Subtracts a stored cell (its key's parts as `cellsFromJson` splits them). */
  takeBack(prefix: string, suffix: string, middle: string, amounts: RollupAmounts): void {
    const [grain, encodedPeriod, dimension, encodedKey] = middle.split('|', 4);
    const keys = this.#keysOf(this.#userCells(prefix, suffix), encodedPeriod!);
    this.#add(keys, grain!, encodedPeriod!, dimension!, encodedKey!, amounts, -1n, undefined, 0);
  }

  /**
   * A row of the rollups table for each cell that changed or that a transaction contributes to
   * (a cell only taken back whose sums did not change is left out).
   */
  rows(nowIso: string): unknown[][] {
    const rows: unknown[][] = [];
    for (const user of this.#users.values())
      for (const keys of user.periods.values())
        for (const first of keys.values())
          for (let cell: CellDelta | undefined = first; cell; cell = cell.next) {
            const a = cell.amounts;
            if (cell.contributed === undefined && isZero(a)) continue;
            const cellKey = joinCellKey(
              user.prefix,
              cell.grain,
              cell.encodedPeriod,
              cell.dimension,
              cell.encodedKey,
              user.suffix,
            );
            const c =
              cell.contributed === undefined
                ? cellOfKey(cellKey)
                : cellAt(cell.contributed, cell.index);
            rows.push([
              cellKey,
              c.userId,
              c.grain,
              c.period,
              c.periodEnd ?? null,
              c.dimension,
              c.key,
              c.currency,
              a.expense,
              a.refund,
              a.income,
              a.transferIn,
              a.transferOut,
              a.count,
              nowIso,
            ]);
          }
    return rows;
  }
}

/**
 * The table of documents of a store made with `tablePrefix`: the embedded search index beside it
 * reads documents from it instead of keeping a copy (`createSqlSearchIndex`'s `documentsTable`).
 */
export function sqlDocumentsTable(tablePrefix = 'sj_'): string {
  return `${tablePrefix}transactions`;
}

/** Creates the embedded documents-and-rollups store on a knex connection. */
export function createSqlDocumentStore(options: SqlStoreOptions): DocumentStore {
  const { knex } = options;
  const prefix = options.tablePrefix ?? 'sj_';
  const t = {
    transactions: sqlDocumentsTable(prefix),
    rollups: `${prefix}rollups`,
    txCells: `${prefix}rollup_txs`,
    /** Before `rollup_txs`: one row per (transaction, cell); `init` converts it. */
    oldCells: `${prefix}rollup_cells`,
    alerts: `${prefix}alerts`,
    /** The alerts recorded by one `insertAlerts` call: their count and their published mark. */
    alertBatches: `${prefix}alert_batches`,
    state: `${prefix}state`,
  };

  function rollupFromRow(row: Record<string, unknown>): RollupRow {
    const result: RollupRow = {
      cellKey: row.cell_key as string,
      userId: row.user_id as string,
      grain: row.grain as RollupRow['grain'],
      period: row.period as string,
      dimension: row.dimension as RollupRow['dimension'],
      key: row.dim_key as string,
      currency: row.currency as string,
      amounts: amountsFromRow(row),
    };
    if (row.period_end) result.periodEnd = row.period_end as string;
    return result;
  }

  /**
   * Applies the newest item of each transaction in one SQL transaction, with few statements: the
   * per-(transaction, cell) rows of the batch are replaced wholesale, and each distinct rollup cell
   * gets one update with the batch's summed delta.
   */
  async function applyBatch(
    trx: Knex.Transaction,
    chosen: ApplyItem[],
    nowIso: string,
  ): Promise<Set<string>> {
    const existing = new Map<string, number>();
    for (const part of chunks(
      chosen.map((item) => item.doc.id),
      inListSizeMax,
    )) {
      const rows = (await trx(t.transactions).whereIn('id', part).select('id', 'version')) as {
        id: string;
        version: unknown;
      }[];
      for (const row of rows) existing.set(row.id, Number(row.version));
    }
    const fresh = chosen.filter((item) => (existing.get(item.doc.id) ?? -1) < item.doc.version);
    if (fresh.length === 0) return new Set();
    const newDocs: unknown[][] = [];
    for (const { doc } of fresh) {
      const json = documentJsonText(doc);
      if (existing.has(doc.id)) {
        await trx(t.transactions).where({ id: doc.id }).update({
          version: doc.version,
          user_id: doc.userId,
          occurred_at_utc: doc.occurredAtUtc,
          doc: json,
        });
      } else newDocs.push([doc.id, doc.version, doc.userId, doc.occurredAtUtc, json]);
    }
    await insertRows(trx, t.transactions, transactionColumns, newDocs);

    const freshIds = fresh.map((item) => item.doc.id);
    const deltas = new CellDeltas();
    // Only a transaction already stored can have contributions to take back.
    const known = freshIds.filter((id) => existing.has(id));
    for (const part of chunks(known, inListSizeMax)) {
      const oldRows = (await trx(t.txCells).whereIn('tx_id', part).select('cells')) as {
        cells: string;
      }[];
      for (const row of oldRows) forEachStoredCell(row.cells, deltas);
      if (oldRows.length > 0) await trx(t.txCells).whereIn('tx_id', part).delete();
    }
    const txRows: unknown[][] = [];
    for (const { doc, cells } of fresh) {
      deltas.addCells(cells);
      txRows.push([doc.id, doc.version, cellsToJson(cells)]);
    }
    await insertRows(trx, t.txCells, txCellColumns, txRows);
    // Multi-row upserts add every cell's summed delta: INSERT the delta as the row, or on a
    // conflict add it to the stored sums.
    const rows = deltas.rows(nowIso);
    await insertRows(trx, t.rollups, rollupColumns, rows, rollupConflict);
    return new Set(freshIds);
  }

  /**
   * Moves the rows of the earlier per-(transaction, cell) table into `rollup_txs`, a page of
   * transactions at a time, then drops it. Safe to run again after a crash: a transaction already
   * moved is skipped.
   */
  async function convertOldCells(): Promise<void> {
    let afterId = '';
    for (;;) {
      const ids = (
        (await knex(t.oldCells)
          .distinct('tx_id')
          .where('tx_id', '>', afterId)
          .orderBy('tx_id')
          .limit(inListSizeMax)) as { tx_id: string }[]
      ).map((row) => row.tx_id);
      if (ids.length === 0) break;
      const rows = (await knex(t.oldCells).whereIn('tx_id', ids)) as Record<string, unknown>[];
      const byTx = new Map<string, { version: number; cells: Array<[string, RollupAmounts]> }>();
      for (const row of rows) {
        const id = row.tx_id as string;
        const entry = byTx.get(id) ?? { version: Number(row.version), cells: [] };
        entry.cells.push([row.cell_key as string, amountsFromRow(row)]);
        byTx.set(id, entry);
      }
      const converted = [...byTx].map(([id, entry]) => ({
        tx_id: id,
        version: entry.version,
        cells: cellsToArrayJson(entry.cells),
      }));
      for (const part of chunks(converted, insertChunkRowsMax))
        await knex(t.txCells).insert(part).onConflict('tx_id').ignore();
      afterId = ids[ids.length - 1]!;
    }
    await knex.schema.dropTable(t.oldCells);
  }

  const store: DocumentStore = {
    kind: 'embedded',
    sql: {
      knex,
      within: (trx) => createSqlDocumentStore({ ...options, knex: trx, closeKnex: false }),
    },

    async init() {
      const bigintColumns = (table: Knex.CreateTableBuilder) => {
        for (const field of amountFields)
          table.bigInteger(columnOf[field]).notNullable().defaultTo(0);
      };
      if (!(await knex.schema.hasTable(t.transactions))) {
        await knex.schema.createTable(t.transactions, (table) => {
          table.string('id', 128).primary();
          table.bigInteger('version').notNullable();
          table.string('user_id', 128).notNullable();
          table.string('occurred_at_utc', 32).notNullable();
          table.text('doc', 'mediumtext').notNullable();
        });
      }
      // Documents are read by id only (the search index has its own by-user index): stores before
      // 2026-11-27 (session 14) had one on (user_id, occurred_at_utc), a page written a transaction.
      await dropIndexIfExists(knex, t.transactions, `${prefix}tx_user_time`);
      if (!(await knex.schema.hasTable(t.rollups))) {
        await knex.schema.createTable(t.rollups, (table) => {
          table.string('cell_key', 512).primary();
          table.string('user_id', 128).notNullable();
          table.string('grain', 16).notNullable();
          table.string('period', 16).notNullable();
          table.string('period_end', 16).nullable();
          table.string('dimension', 16).notNullable();
          table.string('dim_key', 256).notNullable();
          table.string('currency', 3).notNullable();
          bigintColumns(table);
          table.string('updated_at', 32).notNullable();
          table.index(['user_id', 'grain', 'dimension', 'period'], `${prefix}ru_user_grain`);
        });
      }
      if (!(await knex.schema.hasTable(t.txCells))) {
        await knex.schema.createTable(t.txCells, (table) => {
          table.string('tx_id', 128).primary();
          table.bigInteger('version').notNullable();
          table.text('cells', 'mediumtext').notNullable();
        });
      }
      if (await knex.schema.hasTable(t.oldCells)) await convertOldCells();
      if (!(await knex.schema.hasTable(t.alerts))) {
        await knex.schema.createTable(t.alerts, (table) => {
          table.string('alert_id', 128).primary();
          table.string('identity', 512).notNullable();
          table.string('user_id', 128).notNullable();
          table.text('payload').notNullable();
          table.string('created_at', 32).notNullable();
          table.string('published_at', 32).nullable();
          table.bigInteger('batch_id').nullable();
          table.index(['user_id'], `${prefix}al_user`);
        });
      } else if (!(await knex.schema.hasColumn(t.alerts, 'batch_id'))) {
        // A store from before 2026-11-27 (session 14): its alerts keep their marks in their rows.
        await knex.schema.alterTable(t.alerts, (table) => {
          table.bigInteger('batch_id').nullable();
        });
      }
      if (!(await knex.schema.hasTable(t.alertBatches))) {
        await knex.schema.createTable(t.alertBatches, (table) => {
          // SQLite: `integer` is the rowid (the next id without the `sqlite_sequence` table, whose
          // page AUTOINCREMENT writes in every commit); MySQL: an auto-increment.
          if (sqlDialect(knex) === 'sqlite') table.specificType('batch_id', 'integer').primary();
          else table.bigIncrements('batch_id');
          table.integer('size').notNullable();
          table.string('published_at', 32).nullable();
        });
      }
      if (!(await knex.schema.hasTable(t.state))) {
        await knex.schema.createTable(t.state, (table) => {
          table.string('kind', 32).notNullable();
          table.string('state_key', 384).notNullable();
          table.string('user_id', 128).notNullable();
          table.string('order_key', 128).notNullable();
          table.text('value', 'mediumtext').notNullable();
          table.primary(['kind', 'state_key']);
          table.index(['kind', 'user_id'], `${prefix}st_kind_user`);
        });
      }
    },

    async apply(items) {
      if (items.length > applyBatchSizeMax) {
        throw new ValidationError(`apply takes at most ${applyBatchSizeMax} items`, {
          field: 'items',
        });
      }
      const { latest, outcomes } = latestPerTransaction(items);
      const nowIso = new Date().toISOString();
      const applied = await knex.transaction((trx) =>
        applyBatch(
          trx,
          [...latest.values()].map((i) => items[i]!),
          nowIso,
        ),
      );
      for (const index of latest.values()) {
        if (applied.has(items[index]!.doc.id)) outcomes[index] = 'applied';
      }
      return outcomes;
    },

    async getTransactions(ids) {
      const result = new Map<string, TransactionDocument>();
      for (const part of chunks([...new Set(ids)], inListSizeMax)) {
        const rows = (await knex(t.transactions).whereIn('id', part).select('doc')) as {
          doc: string;
        }[];
        for (const row of rows) {
          const doc = documentFromJson(JSON.parse(row.doc) as Record<string, unknown>);
          result.set(doc.id, doc);
        }
      }
      return result;
    },

    async scanTransactions({ afterId, limit }) {
      let query = knex(t.transactions)
        .orderBy('id')
        .limit(Math.min(limit, pageSizeMax))
        .select('doc');
      if (afterId !== undefined) query = query.where('id', '>', afterId);
      const rows = (await query) as { doc: string }[];
      return rows.map((row) => documentFromJson(JSON.parse(row.doc) as Record<string, unknown>));
    },

    async queryRollups(query: RollupQuery) {
      let q = knex(t.rollups).where({ user_id: query.userId });
      if (query.grain) q = q.where({ grain: query.grain });
      if (query.dimension) q = q.where({ dimension: query.dimension });
      if (query.key !== undefined) q = q.where({ dim_key: query.key });
      if (query.period !== undefined) q = q.where({ period: query.period });
      if (query.periodFrom !== undefined) q = q.where('period', '>=', query.periodFrom);
      if (query.periodTo !== undefined) q = q.where('period', '<=', query.periodTo);
      const rows = (await q
        .orderBy('cell_key')
        .limit(Math.min(query.limit ?? pageSizeMax, pageSizeMax))) as Record<string, unknown>[];
      return rows.map(rollupFromRow);
    },

    async getRollups(cellKeys) {
      checkRollupKeys(cellKeys);
      const result = new Map<string, RollupRow>();
      // The alert rules read each batch's cells here (in its transaction: prepared statements,
      // amounts straight as bigints).
      for (const row of await selectByKeys(knex, t.rollups, 'cell_key', [...new Set(cellKeys)])) {
        const rollup = rollupFromRow(row);
        result.set(rollup.cellKey, rollup);
      }
      return result;
    },

    async scanRollups({ afterKey, limit }) {
      let q = knex(t.rollups).orderBy('cell_key').limit(Math.min(limit, pageSizeMax));
      if (afterKey !== undefined) q = q.where('cell_key', '>', afterKey);
      return ((await q) as Record<string, unknown>[]).map(rollupFromRow);
    },

    async insertAlert(alert: AlertRecord) {
      try {
        await knex(t.alerts).insert({
          alert_id: alert.alertId,
          identity: alert.identity,
          user_id: alert.userId,
          payload: alertPayloadText(alert),
          created_at: alert.createdAt,
          published_at: alert.publishedAt,
          batch_id: null,
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async insertAlerts(alerts) {
      const first = firstOfEachId(alerts);
      if (alerts.length === 0) return { fresh: [], batch: null };
      // One transaction: the ids already recorded, then one multi-row insert of the others. A
      // concurrent writer of the same id makes the insert fail as a whole; the retry sees it.
      return knex.transaction(async (trx) => {
        const existing = new Set<string>();
        for (const part of chunks(
          alerts.map((a) => a.alertId),
          inListSizeMax,
        )) {
          const rows = (await trx(t.alerts).whereIn('alert_id', part).select('alert_id')) as {
            alert_id: string;
          }[];
          for (const row of rows) existing.add(row.alert_id);
        }
        const fresh = alerts.map((a, i) => first[i]! && !existing.has(a.alertId));
        const recorded = alerts.filter((_, i) => fresh[i]);
        if (recorded.length === 0) return { fresh, batch: null };
        // One batch row for the alerts recorded here: publishing them all marks that row, not
        // theirs (rows as large as an alert's payload, written again a commit after they were).
        const [batchId] = (await trx(t.alertBatches).insert({
          size: recorded.length,
          published_at: null,
        })) as number[];
        const rows = recorded.map((alert) => [
          alert.alertId,
          alert.identity,
          alert.userId,
          alertPayloadText(alert),
          alert.createdAt,
          alert.publishedAt,
          batchId,
        ]);
        await insertRows(trx, t.alerts, alertColumns, rows);
        return {
          fresh,
          batch: { alertIds: recorded.map((alert) => alert.alertId), batchId: Number(batchId) },
        };
      });
    },

    async markAlertBatchPublished(batch, publishedAt) {
      // The batch's one row: no read of its alerts (one that the sweep marked keeps its own mark,
      // which `listAlerts` reads first).
      if (batch.batchId === null)
        return store.markAlertsPublished([...batch.alertIds], publishedAt);
      await knex(t.alertBatches)
        .where('batch_id', batch.batchId)
        .whereNull('published_at')
        .update({ published_at: publishedAt });
    },

    async markAlertsPublished(alertIds, publishedAt) {
      if (alertIds.length === 0) return;
      // One transaction for all the parts: one commit (a WAL fsync on SQLite) instead of one each.
      await knex.transaction(async (trx) => {
        // The unpublished alerts among the ids, by the batch that recorded them.
        const byBatch = new Map<string | null, string[]>();
        for (const part of chunks([...new Set(alertIds)], inListSizeMax)) {
          const rows = (await trx(t.alerts)
            .leftJoin(t.alertBatches, `${t.alertBatches}.batch_id`, `${t.alerts}.batch_id`)
            .whereIn(`${t.alerts}.alert_id`, part)
            .whereNull(`${t.alerts}.published_at`)
            .whereNull(`${t.alertBatches}.published_at`)
            .select(`${t.alerts}.alert_id`, `${t.alerts}.batch_id`)) as {
            alert_id: string;
            batch_id: unknown;
          }[];
          for (const row of rows) {
            const batch = row.batch_id === null ? null : String(row.batch_id);
            const ids = byBatch.get(batch) ?? [];
            ids.push(row.alert_id);
            byBatch.set(batch, ids);
          }
        }
        const whole = new Set<string>();
        const batchIds = [...byBatch.keys()].filter((batch) => batch !== null);
        for (const part of chunks(batchIds, inListSizeMax)) {
          const rows = (await trx(t.alertBatches)
            .whereIn('batch_id', part)
            .select('batch_id', 'size')) as { batch_id: unknown; size: unknown }[];
          for (const row of rows) {
            const batch = String(row.batch_id);
            if (byBatch.get(batch)!.length === Number(row.size)) whole.add(batch);
          }
        }
        // A batch whose alerts are all published here is marked in its one row; any other alert
        // (recorded alone, or a part of its batch: the sweep's) in its own.
        for (const part of chunks([...whole], inListSizeMax))
          await trx(t.alertBatches)
            .whereIn('batch_id', part)
            .whereNull('published_at')
            .update({ published_at: publishedAt });
        const single = [...byBatch]
          .filter(([batch]) => batch === null || !whole.has(batch))
          .flatMap(([, ids]) => ids);
        for (const part of chunks(single, inListSizeMax))
          await trx(t.alerts)
            .whereIn('alert_id', part)
            .whereNull('published_at')
            .update({ published_at: publishedAt });
      });
    },

    async listAlerts({ userId, unpublishedOnly, afterId, limit }) {
      const a = (column: string) => `${t.alerts}.${column}`;
      let q = knex(t.alerts)
        .leftJoin(t.alertBatches, `${t.alertBatches}.batch_id`, a('batch_id'))
        .orderBy(a('alert_id'))
        .limit(Math.min(limit, pageSizeMax))
        .select(
          a('alert_id'),
          a('identity'),
          a('user_id'),
          a('payload'),
          a('created_at'),
          knex.raw('coalesce(??, ??) as ??', [
            a('published_at'),
            `${t.alertBatches}.published_at`,
            'published_at',
          ]),
        );
      if (userId !== undefined) q = q.where(a('user_id'), userId);
      if (unpublishedOnly)
        q = q.whereNull(a('published_at')).whereNull(`${t.alertBatches}.published_at`);
      if (afterId !== undefined) q = q.where(a('alert_id'), '>', afterId);
      const rows = (await q) as Record<string, unknown>[];
      return rows.map((row) => ({
        alertId: row.alert_id as string,
        identity: row.identity as string,
        userId: row.user_id as string,
        payload: JSON.parse(row.payload as string) as Record<string, unknown>,
        createdAt: row.created_at as string,
        publishedAt: (row.published_at as string | null) ?? null,
      }));
    },

    async putState(entry: StateEntry) {
      return (await store.putStates([entry]))[0]!;
    },

    async putStates(entries) {
      const stored = entries.map(() => false);
      const greatest = greatestStatePerKey(entries);
      // One transaction: each entry's current order, then the inserts and updates.
      await knex.transaction(async (trx) => {
        for (const index of greatest.values()) {
          const entry = entries[index]!;
          const current = await trx(t.state)
            .where({ kind: entry.kind, state_key: entry.key })
            .first('order_key');
          if (current && (current.order_key as string) >= entry.order) continue;
          const row = {
            user_id: entry.userId,
            order_key: entry.order,
            value: JSON.stringify(entry.value),
          };
          if (current)
            await trx(t.state).where({ kind: entry.kind, state_key: entry.key }).update(row);
          else await trx(t.state).insert({ kind: entry.kind, state_key: entry.key, ...row });
          stored[index] = true;
        }
      });
      return stored;
    },

    async getState(kind, key) {
      const row = (await knex(t.state).where({ kind, state_key: key }).first()) as
        Record<string, unknown> | undefined;
      return row ? stateFromRow(row) : null;
    },

    async getStates(kind, keys) {
      const result = new Map<string, StateEntry>();
      for (const part of chunks([...new Set(keys)], inListSizeMax)) {
        const rows = (await knex(t.state).where({ kind }).whereIn('state_key', part)) as Record<
          string,
          unknown
        >[];
        for (const row of rows) result.set(row.state_key as string, stateFromRow(row));
      }
      return result;
    },

    async listStates(kind, userId) {
      const rows = (await knex(t.state)
        .where({ kind, user_id: userId })
        .orderBy('state_key')
        .limit(pageSizeMax)) as Record<string, unknown>[];
      return rows.map(stateFromRow);
    },

    async listStatesOfUsers(kind, userIds) {
      const entries: StateEntry[] = [];
      for (const part of chunks([...new Set(userIds)], inListSizeMax)) {
        const rows = (await knex(t.state)
          .where({ kind })
          .whereIn('user_id', part)
          .orderBy('state_key')) as Record<string, unknown>[];
        entries.push(...rows.map(stateFromRow));
      }
      return entries;
    },

    async ping() {
      await knex.raw('select 1');
    },

    async close() {
      if (options.closeKnex !== false) await knex.destroy();
    },
  };
  return store;
}

/** Drops the index `name` of `table` when it exists (SQLite and MySQL). */
async function dropIndexIfExists(knex: Knex, table: string, name: string): Promise<void> {
  if (sqlDialect(knex) === 'sqlite') {
    await knex.raw('drop index if exists ??', [name]);
    return;
  }
  const [rows] = (await knex.raw(
    'select 1 from information_schema.statistics where table_schema = database() and table_name = ? and index_name = ? limit 1',
    [table, name],
  )) as [unknown[]];
  if (rows.length > 0)
    await knex.schema.alterTable(table, (builder) => builder.dropIndex([], name));
}

function stateFromRow(row: Record<string, unknown>): StateEntry {
  return {
    kind: row.kind as string,
    key: row.state_key as string,
    userId: row.user_id as string,
    order: row.order_key as string,
    value: JSON.parse(row.value as string) as unknown,
  };
}

/** A primary-key or unique violation on SQLite or MySQL. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/**
 * A transaction's contributions as stored in `rollup_txs.cells`: `{"p":"<user>|",
 * "s":"|<currency>","a":[the amounts as decimal strings in amountFields order],"k":[each cell key
 * without p and s]}` (`[]` for none). Written by hand: every part of a key is URI-encoded (no
 * quote, no backslash) and the amounts are digits, so the text is `JSON.stringify` of that object
 * without making the object or the keys. Rows of the earlier form (an array per cell, its key then
 * its amounts, written before 2026-11-27 and by `init`'s conversion) are read as they are.
 */
export function cellsToJson(cells: TransactionCells): string {
  const parts = cells.parts;
  if (parts.length === 0) return '[]';
  const a = cells.amounts;
  // One join of the pieces, in an array of their number: a string built by `+=` is a tree of a
  // node a piece, which the statement's binding then copies flat (3 times the CPU of this in a
  // micro-benchmark; an array grown by `push` about 1.2 times).
  const pieces = new Array<string>(2 + (parts.length / cellStride) * jsonPiecesPerCell);
  let n = 0;
  pieces[n++] =
    `{"p":"${cells.prefix}","s":"${cells.suffix}","a":["${a.expense}","${a.refund}","${a.income}","${a.transferIn}","${a.transferOut}","${a.count}"],"k":[`;
  for (let at = 0; at < parts.length; at += cellStride) {
    pieces[n++] = at === 0 ? '"' : ',"';
    pieces[n++] = parts[at + cellPart.grain]!;
    pieces[n++] = '|';
    pieces[n++] = parts[at + cellPart.encodedPeriod]!;
    pieces[n++] = '|';
    pieces[n++] = parts[at + cellPart.dimension]!;
    pieces[n++] = '|';
    pieces[n++] = parts[at + cellPart.encodedKey]!;
    pieces[n++] = '"';
  }
  pieces[n] = ']}';
  return pieces.join('');
}

/** The pieces `cellsToJson` writes for a cell: its quote (and comma), four parts, three bars, a quote. */
const jsonPiecesPerCell = 9;

/** The earlier form of `rollup_txs.cells`: an array per cell, its key then its amounts. */
function cellsToArrayJson(cells: Array<[string, RollupAmounts]>): string {
  return JSON.stringify(
    cells.map(([cellKey, amounts]) => [
      cellKey,
      ...amountFields.map((field) => amounts[field].toString()),
    ]),
  );
}

function amountsFromText(values: readonly string[]): RollupAmounts {
  const amounts = { ...zeroAmounts };
  amountFields.forEach((field, i) => (amounts[field] = BigInt(values[i]!)));
  return amounts;
}

/** Where `forEachStoredCell` gives each cell: its key as the user's part, the middle, the currency's. */
interface StoredCellSink {
  takeBack(prefix: string, suffix: string, middle: string, amounts: RollupAmounts): void;
}

/** Gives each cell of a `rollup_txs.cells` text, in either form, to `sink`. */
function forEachStoredCell(text: string, sink: StoredCellSink): void {
  if (text.startsWith('{')) {
    const compact = JSON.parse(text) as { p: string; s: string; a: string[]; k: string[] };
    // Every cell holds the same amounts: one object, never changed (CellDeltas copies to add).
    const amounts = amountsFromText(compact.a);
    for (const middle of compact.k) sink.takeBack(compact.p, compact.s, middle, amounts);
    return;
  }
  for (const [cellKey, ...values] of JSON.parse(text) as string[][]) {
    const key = cellKey!;
    const start = key.indexOf('|') + 1;
    const end = key.lastIndexOf('|');
    sink.takeBack(
      key.slice(0, start),
      key.slice(end),
      key.slice(start, end),
      amountsFromText(values),
    );
  }
}

/** The cells and amounts of a `rollup_txs.cells` text, in either form. */
export function cellsFromJson(text: string): Array<[string, RollupAmounts]> {
  const cells: Array<[string, RollupAmounts]> = [];
  forEachStoredCell(text, {
    takeBack: (prefix, suffix, middle, amounts) =>
      cells.push([`${prefix}${middle}${suffix}`, amounts]),
  });
  return cells;
}

/** The identity of a cell from its key (the inverse of `cellKeyOf`). */
function cellOfKey(cellKey: string): Omit<Contribution, 'amounts' | 'cellKey'> {
  const [userId, grain, period, dimension, key, currency] = cellKey
    .split('|')
    .map(decodeURIComponent);
  return {
    userId: userId!,
    grain: grain as Contribution['grain'],
    period: period!,
    dimension: dimension as Contribution['dimension'],
    key: key!,
    currency: currency!,
  };
}
