/**
 * Idempotency-Key handling for every POST that moves money: the key is claimed in the same
 * transaction as the write and completed with the response before commit, so a key is either
 * absent (the write never committed) or carries the exact first response.
 *
 * A concurrent duplicate waits on the claimed key (InnoDB) or on the writer lock (SQLite), then
 * finds the committed record and replays it. Records live 24 hours (`idempotencyRetentionMs`);
 * an expired one is replaced as if it had never been.
 */
import { createHash } from 'node:crypto';
import { IdempotencyConflictError, ValidationError, invariant } from '@spendstream/core/errors';
import type { Stores, UnitOfWork } from '../../stores.js';

/** How long a key and its response are kept: 24 hours, as DESIGN.md asks. */
export const idempotencyRetentionMs = 24 * 3600 * 1000;
/** Longest accepted Idempotency-Key, in characters (Stripe's limit). */
export const idempotencyKeyLengthMax = 255;
/** Deleted per purge call, so one purge never holds locks for long. */
export const idempotencyPurgeBatchMax = 1000;

const keyPattern = /^[\x21-\x7e]+$/;

/** Validate an Idempotency-Key header value (printable ASCII, bounded). */
export function parseIdempotencyKey(
  value: string | undefined,
  required: boolean,
): string | undefined {
  if (value === undefined || value === '') {
    if (required)
      throw new ValidationError('this request needs an Idempotency-Key header', {
        field: 'Idempotency-Key',
      });
    return undefined;
  }
  if (value.length > idempotencyKeyLengthMax || !keyPattern.test(value)) {
    throw new ValidationError(
      `Idempotency-Key must be 1 to ${idempotencyKeyLengthMax} printable ASCII characters`,
      { field: 'Idempotency-Key' },
    );
  }
  return value;
}

/** The fingerprint of a request: method, path and the raw body, so another body under the same key is caught. */
export function requestHash(method: string, path: string, rawBody: string): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n`)
    .update(rawBody)
    .digest('hex');
}

export interface StoredResponse {
  status: number;
  body: string;
  /** True when this is a replay of an earlier request with the same key. */
  replayed: boolean;
}

export interface IdempotentRequest {
  /** Whose key space: the user id, or `client:user` for a machine client acting for a user. */
  principal: string;
  key: string | undefined;
  hash: string;
}

/** What one keyed write did inside its transaction: ran (with its response) or found the key taken. */
export type IdempotentOutcome =
  { kind: 'done'; status: number; body: string } | { kind: 'existing' };

/**
 * The in-transaction half of an idempotent write: claim the key (or find it taken), run `write`,
 * store its response. Runs inside whatever transaction the caller holds (one request's, or one
 * savepoint of a batch).
 */
export async function idempotentStep(
  stores: Stores,
  request: IdempotentRequest & { key: string },
  write: (stores: Stores) => Promise<{ status: number; body: string }>,
  at: number,
): Promise<IdempotentOutcome> {
  const { principal, key, hash } = request;
  const record = {
    principal,
    key,
    requestHash: hash,
    responseStatus: null,
    responseBody: null,
    createdAt: at,
    expiresAt: at + idempotencyRetentionMs,
  };
  let claimed = await stores.idempotency.claim(record);
  if (!claimed) {
    const existing = await stores.idempotency.find(principal, key);
    if (existing && existing.expiresAt > at) return { kind: 'existing' };
    // Expired (or purged meanwhile): the key is free again.
    await stores.idempotency.remove(principal, key);
    claimed = await stores.idempotency.claim(record);
    if (!claimed) return { kind: 'existing' };
  }
  const result = await write(stores);
  await stores.idempotency.complete(principal, key, result.status, result.body);
  return { kind: 'done', ...result };
}

/** The after-commit half: a fresh response as is, or the stored one for a taken key (409 when the request differs). */
export async function finishIdempotent(
  uow: UnitOfWork,
  request: IdempotentRequest & { key: string },
  outcome: IdempotentOutcome,
): Promise<StoredResponse> {
  if (outcome.kind === 'done')
    return { status: outcome.status, body: outcome.body, replayed: false };
  const existing = await uow.read.idempotency.find(request.principal, request.key);
  invariant(existing, 'an idempotency record seen inside the transaction is still there');
  if (existing.requestHash !== request.hash) throw new IdempotencyConflictError();
  invariant(
    existing.responseStatus !== null && existing.responseBody !== null,
    'a committed idempotency record carries its response',
  );
  return { status: existing.responseStatus, body: existing.responseBody, replayed: true };
}

/**
 * Run `write` once per (principal, key): the first call runs it in a transaction and stores its
 * response; later calls with the same hash get that response back, with another hash a 409.
 * Without a key, `write` simply runs in a transaction.
 */
export async function runIdempotent(
  uow: UnitOfWork,
  request: IdempotentRequest,
  write: (stores: Stores) => Promise<{ status: number; body: string }>,
  now: () => number = Date.now,
): Promise<StoredResponse> {
  const { key } = request;
  if (key === undefined) {
    const result = await uow.transaction(write);
    return { ...result, replayed: false };
  }
  const keyed = { ...request, key };
  const outcome = await uow.transaction((stores) => idempotentStep(stores, keyed, write, now()));
  return finishIdempotent(uow, keyed, outcome);
}

/** Delete expired records in bounded batches; returns how many went. */
export async function purgeExpiredKeys(uow: UnitOfWork, now = Date.now()): Promise<number> {
  return uow.transaction((stores) =>
    stores.idempotency.purgeExpired(now, idempotencyPurgeBatchMax),
  );
}
