/**
 * Alert history in SQL: one row per alert id (a redelivered alert is ignored), numbered by an
 * increasing `seq` that is also the SSE event id, with a read flag per alert.
 */
import type { Knex } from 'knex';
import { alertRaisedV1Schema, type AlertRaisedV1 } from '@spendstream/core/events';
import { parseJson, stringifyJson } from '@spendstream/core/json';
import { isUniqueViolation } from '@spendstream/core/sql';

export const alertTable = 'analytics_alerts';

export interface StoredAlert {
  seq: number;
  alert: AlertRaisedV1;
  readAt: string | null;
}

export interface AlertFilter {
  rules?: string[];
  unread?: boolean;
  /** Fired at or after this instant. */
  firedFrom?: string;
  /** Fired before this instant. */
  firedTo?: string;
  /** Only alerts older than this seq (the history's cursor). */
  beforeSeq?: number;
}

export interface AlertStore {
  /** Record an alert once; null when its id was already recorded. */
  insert(alert: AlertRaisedV1): Promise<number | null>;
  /** A user's alerts, newest first. */
  list(userId: string, filter: AlertFilter, limit: number): Promise<StoredAlert[]>;
  /** A user's alerts after `seq`, oldest first (SSE replay). */
  after(userId: string, seq: number, limit: number): Promise<StoredAlert[]>;
  /** Everyone's alerts after `seq`, oldest first (the live feed). */
  since(seq: number, limit: number): Promise<Array<StoredAlert & { userId: string }>>;
  latestSeq(): Promise<number>;
  /** Mark one alert read; false when the user has no such alert. */
  markRead(userId: string, alertId: string, at: string): Promise<boolean>;
}

export async function createAlertTable(db: Knex): Promise<void> {
  await db.schema.createTable(alertTable, (table) => {
    table.increments('seq').primary();
    table.string('alert_id', 128).notNullable().unique();
    table.string('user_id', 128).notNullable();
    table.string('rule', 32).notNullable();
    table.string('fired_at', 32).notNullable();
    table.text('body').notNullable();
    table.string('read_at', 32).nullable();
    table.index(['user_id', 'seq']);
  });
}

interface AlertRow {
  seq: number | bigint;
  user_id: string;
  body: string;
  read_at: string | null;
}

function fromRow(row: AlertRow): StoredAlert & { userId: string } {
  return {
    seq: Number(row.seq),
    userId: row.user_id,
    alert: alertRaisedV1Schema.parse(parseJson(row.body)),
    readAt: row.read_at,
  };
}

export function createSqlAlertStore(db: Knex): AlertStore {
  return {
    async insert(alert) {
      try {
        const [inserted] = await db(alertTable).insert(
          {
            alert_id: alert.alertId,
            user_id: alert.userId,
            rule: alert.rule,
            fired_at: new Date(alert.firedAt).toISOString(),
            body: stringifyJson(alertRaisedV1Schema.encode(alert)),
          },
          ['seq'],
        );
        const seq = typeof inserted === 'object' ? (inserted as { seq: number }).seq : inserted;
        return Number(seq);
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },
    async list(userId, filter, limit) {
      const query = db(alertTable).where({ user_id: userId });
      if (filter.rules?.length) query.whereIn('rule', filter.rules);
      if (filter.unread) query.whereNull('read_at');
      if (filter.firedFrom) query.where('fired_at', '>=', filter.firedFrom);
      if (filter.firedTo) query.where('fired_at', '<', filter.firedTo);
      if (filter.beforeSeq !== undefined) query.where('seq', '<', filter.beforeSeq);
      const rows = (await query.orderBy('seq', 'desc').limit(limit)) as AlertRow[];
      return rows.map(fromRow);
    },
    async after(userId, seq, limit) {
      const rows = (await db(alertTable)
        .where({ user_id: userId })
        .where('seq', '>', seq)
        .orderBy('seq', 'asc')
        .limit(limit)) as AlertRow[];
      return rows.map(fromRow);
    },
    async since(seq, limit) {
      const rows = (await db(alertTable)
        .where('seq', '>', seq)
        .orderBy('seq', 'asc')
        .limit(limit)) as AlertRow[];
      return rows.map(fromRow);
    },
    async latestSeq() {
      const row = (await db(alertTable).max({ seq: 'seq' }).first()) as
        { seq: number | bigint | null } | undefined;
      return Number(row?.seq ?? 0);
    },
    async markRead(userId, alertId, at) {
      const updated = await db(alertTable)
        .where({ user_id: userId, alert_id: alertId })
        .update({ read_at: db.raw('COALESCE(read_at, ?)', [at]) });
      return updated > 0;
    },
  };
}
