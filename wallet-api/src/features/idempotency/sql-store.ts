import type { Db } from '../../db.js';
import { isUniqueViolation, toNullableNumber, toNumber } from '../../db.js';
import type { IdempotencyStore } from './store.js';

interface Row {
  principal: string;
  idem_key: string;
  request_hash: string;
  response_status: unknown;
  response_body: string | null;
  created_at: unknown;
  expires_at: unknown;
}

/** Idempotency records on SQL; the primary key (principal, idem_key) makes the claim atomic. */
export function createSqlIdempotencyStore(db: Db): IdempotencyStore {
  return {
    async claim(r) {
      // A duplicate key fails only this statement (MySQL and SQLite), not the caller's transaction;
      // on InnoDB a concurrent claim of the same key waits here until the first one commits.
      try {
        await db('idempotency_keys').insert({
          principal: r.principal,
          idem_key: r.key,
          request_hash: r.requestHash,
          response_status: r.responseStatus,
          response_body: r.responseBody,
          created_at: r.createdAt,
          expires_at: r.expiresAt,
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async find(principal, key) {
      const row = (await db('idempotency_keys').where({ principal, idem_key: key }).first()) as
        Row | undefined;
      if (!row) return undefined;
      return {
        principal: row.principal,
        key: row.idem_key,
        requestHash: row.request_hash,
        responseStatus: toNullableNumber(row.response_status),
        responseBody: row.response_body,
        createdAt: toNumber(row.created_at),
        expiresAt: toNumber(row.expires_at),
      };
    },
    async complete(principal, key, status, body) {
      await db('idempotency_keys')
        .where({ principal, idem_key: key })
        .update({ response_status: status, response_body: body });
    },
    async remove(principal, key) {
      await db('idempotency_keys').where({ principal, idem_key: key }).delete();
    },
    async findMany(keys) {
      if (keys.length === 0) return [];
      const rows = (await db('idempotency_keys').whereIn(
        ['principal', 'idem_key'],
        keys.map((k) => [k.principal, k.key]),
      )) as Row[];
      return rows.map((row) => ({
        principal: row.principal,
        key: row.idem_key,
        requestHash: row.request_hash,
        responseStatus: toNullableNumber(row.response_status),
        responseBody: row.response_body,
        createdAt: toNumber(row.created_at),
        expiresAt: toNumber(row.expires_at),
      }));
    },
    async insertMany(records) {
      if (records.length === 0) return true;
      // One multi-row INSERT: a duplicate fails the whole statement (MySQL and SQLite undo a
      // failed statement, not the transaction), so nothing of it stays.
      try {
        await db('idempotency_keys').insert(
          records.map((r) => ({
            principal: r.principal,
            idem_key: r.key,
            request_hash: r.requestHash,
            response_status: r.responseStatus,
            response_body: r.responseBody,
            created_at: r.createdAt,
            expires_at: r.expiresAt,
          })),
        );
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async removeMany(keys) {
      if (keys.length === 0) return;
      await db('idempotency_keys')
        .whereIn(
          ['principal', 'idem_key'],
          keys.map((k) => [k.principal, k.key]),
        )
        .delete();
    },
    async purgeExpired(now, limit) {
      const rows = (await db('idempotency_keys')
        .select('principal', 'idem_key')
        .where('expires_at', '<', now)
        .limit(limit)) as Array<{ principal: string; idem_key: string }>;
      let removed = 0;
      for (const r of rows)
        removed += await db('idempotency_keys')
          .where({ principal: r.principal, idem_key: r.idem_key })
          .delete();
      return removed;
    },
  };
}
