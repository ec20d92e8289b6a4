import { sqlDialect } from '@spendstream/core/sql';
import type { Db } from '../../db.js';
import { bindings, toNumber } from '../../db.js';
import type { RateLimitStore, RateWindow } from './store.js';

/**
 * Rate-limit windows on SQL. The hit is one upsert, atomic on both engines: InnoDB locks the row
 * for the INSERT ... ON DUPLICATE KEY UPDATE, SQLite has one writer; the read that follows runs in
 * the same transaction, so it sees this hit and every hit committed before it.
 */
export function createSqlRateLimitStore(db: Db): RateLimitStore {
  const mysql = sqlDialect(db) === 'mysql';
  const read = async (bucket: string): Promise<RateWindow | undefined> => {
    const row = (await db('rate_limits').where({ bucket }).first()) as
      { hits: unknown; window_ends_at: unknown } | undefined;
    return row === undefined
      ? undefined
      : { hits: toNumber(row.hits), windowEndsAt: toNumber(row.window_ends_at) };
  };
  return {
    async hit(bucket, now, windowMs) {
      const ends = now + windowMs;
      // MySQL evaluates the assignments left to right: `hits` is computed from the old window end
      // before `window_ends_at` changes. SQLite evaluates every assignment on the old row.
      await db.raw(
        mysql
          ? 'INSERT INTO rate_limits (bucket, hits, window_ends_at) VALUES (?, 1, ?) ON DUPLICATE KEY UPDATE hits = IF(window_ends_at <= ?, 1, hits + 1), window_ends_at = IF(window_ends_at <= ?, ?, window_ends_at)'
          : 'INSERT INTO rate_limits (bucket, hits, window_ends_at) VALUES (?, 1, ?) ON CONFLICT (bucket) DO UPDATE SET hits = CASE WHEN window_ends_at <= ? THEN 1 ELSE hits + 1 END, window_ends_at = CASE WHEN window_ends_at <= ? THEN ? ELSE window_ends_at END',
        bindings(bucket, ends, now, now, ends),
      );
      const window = await read(bucket);
      if (window === undefined) throw new Error(`rate-limit bucket ${bucket} vanished after a hit`);
      return window;
    },
    async get(bucket, now) {
      const window = await read(bucket);
      return window !== undefined && window.windowEndsAt > now ? window : undefined;
    },
    async unhit(bucket, now) {
      await db('rate_limits')
        .where({ bucket })
        .andWhere('window_ends_at', '>', now)
        .andWhere('hits', '>', 0)
        .update({ hits: db.raw('hits - 1') });
    },
    async remove(bucket) {
      await db('rate_limits').where({ bucket }).delete();
    },
    async purgeEnded(now, limit) {
      const rows = (await db('rate_limits')
        .select('bucket')
        .where('window_ends_at', '<=', now)
        .limit(limit)) as Array<{ bucket: string }>;
      if (rows.length === 0) return 0;
      return db('rate_limits')
        .whereIn(
          'bucket',
          rows.map((r) => r.bucket),
        )
        .andWhere('window_ends_at', '<=', now)
        .delete();
    },
  };
}
