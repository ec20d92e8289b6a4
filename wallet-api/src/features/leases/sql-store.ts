import type { Db } from '../../db.js';
import { isUniqueViolation, toNumber } from '../../db.js';
import type { LeaseStore } from './store.js';

/**
 * Leases on SQL: taking or renewing is one conditional UPDATE (the row lock on InnoDB, the single
 * writer on SQLite make it atomic), and the first take of a name an INSERT that a concurrent one
 * loses on the primary key.
 */
export function createSqlLeaseStore(db: Db): LeaseStore {
  return {
    async acquire(name, owner, now, ttlMs) {
      const taken = await db('leases')
        .where('name', name)
        .andWhere((q) => q.where('owner', owner).orWhere('expires_at', '<=', now))
        .update({ owner, expires_at: now + ttlMs });
      if (taken > 0) return true;
      if ((await db('leases').where('name', name).first()) !== undefined) return false;
      try {
        await db('leases').insert({ name, owner, expires_at: now + ttlMs });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async release(name, owner) {
      await db('leases').where({ name, owner }).delete();
    },
    async get(name) {
      const row = (await db('leases').where('name', name).first()) as
        { owner: string; expires_at: unknown } | undefined;
      return row === undefined
        ? undefined
        : { owner: row.owner, expiresAt: toNumber(row.expires_at) };
    },
  };
}
