/**
 * Idempotency-Key records: the first request with a key runs, and its response is kept (at least
 * `idempotencyKeepMs`); the same key with the same body gets that response again, the same key with
 * another body gets 409. A key whose request failed with a 5xx is forgotten, so a retry runs again.
 */

/** How long a response stays replayable, in ms (DESIGN: at least 24 hours). */
export const idempotencyKeepMs = 24 * 3600 * 1000;
/** Longest Idempotency-Key accepted, in characters. */
export const idempotencyKeyLengthMax = 200;

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'pending'; requestHash: string }
  | { state: 'done'; requestHash: string; statusCode: number; response: string };

export interface IdempotencyStore {
  /** Start a keyed request: `new` means this caller runs it. */
  begin(caller: string, key: string, requestHash: string, nowMs: number): Promise<IdempotencyBegin>;
  /** Keep the response of a finished request. */
  complete(caller: string, key: string, statusCode: number, response: string): Promise<void>;
  /** Forget a key whose request did not finish (5xx, crash): a retry may run it again. */
  abandon(caller: string, key: string): Promise<void>;
  /** Delete records past their keep time; returns how many. */
  purgeExpired(nowMs: number): Promise<number>;
}

export function createMemoryIdempotencyStore(): IdempotencyStore {
  const rows = new Map<
    string,
    {
      requestHash: string;
      statusCode: number | undefined;
      response: string | undefined;
      expiresAtMs: number;
    }
  >();
  const keyOf = (caller: string, key: string) => `${caller}\u0000${key}`;
  return {
    async begin(caller, key, requestHash, nowMs) {
      const id = keyOf(caller, key);
      const row = rows.get(id);
      if (!row || row.expiresAtMs <= nowMs) {
        rows.set(id, {
          requestHash,
          statusCode: undefined,
          response: undefined,
          expiresAtMs: nowMs + idempotencyKeepMs,
        });
        return { state: 'new' };
      }
      if (row.statusCode === undefined || row.response === undefined) {
        return { state: 'pending', requestHash: row.requestHash };
      }
      return {
        state: 'done',
        requestHash: row.requestHash,
        statusCode: row.statusCode,
        response: row.response,
      };
    },
    async complete(caller, key, statusCode, response) {
      const row = rows.get(keyOf(caller, key));
      if (row) Object.assign(row, { statusCode, response });
    },
    async abandon(caller, key) {
      rows.delete(keyOf(caller, key));
    },
    async purgeExpired(nowMs) {
      let n = 0;
      for (const [id, row] of rows) {
        if (row.expiresAtMs <= nowMs) {
          rows.delete(id);
          n++;
        }
      }
      return n;
    },
  };
}
