import type { Db } from '../../db.js';
import { toBigInt, toNumber } from '../../db.js';
import type { OutboxStore, PendingOutboxEvent } from './store.js';

/** The outbox on SQL: an auto-increment sequence gives the commit-ordered read the relay needs. */
export function createSqlOutboxStore(db: Db): OutboxStore {
  return {
    async append(events) {
      if (events.length === 0) return;
      await db('outbox').insert(
        events.map((e) => ({
          event_id: e.eventId,
          topic: e.topic,
          msg_key: e.key,
          payload: e.payload,
          created_at: e.createdAt,
          published_at: null,
        })),
      );
    },
    async pending(limit) {
      const rows = (await db('outbox')
        .select('id', 'event_id', 'topic', 'msg_key', 'payload', 'created_at')
        .whereNull('published_at')
        .orderBy('id', 'asc')
        .limit(limit)) as Array<{
        id: unknown;
        event_id: string;
        topic: string;
        msg_key: string;
        payload: string;
        created_at: unknown;
      }>;
      return rows.map((r): PendingOutboxEvent => ({
        seq: toBigInt(r.id),
        eventId: r.event_id,
        topic: r.topic,
        key: r.msg_key,
        payload: r.payload,
        createdAt: toNumber(r.created_at),
      }));
    },
    async markPublished(seqs, now) {
      if (seqs.length === 0) return;
      await db('outbox').whereIn('id', seqs.map(String)).update({ published_at: now });
    },
    async purgePublished(before, limit) {
      const ids = (await db('outbox')
        .select('id')
        .whereNotNull('published_at')
        .andWhere('published_at', '<', before)
        .orderBy('id')
        .limit(limit)) as Array<{ id: unknown }>;
      if (ids.length === 0) return 0;
      return db('outbox')
        .whereIn(
          'id',
          ids.map((r) => toBigInt(r.id).toString()),
        )
        .delete();
    },
  };
}
