/** Small rendering helpers shared by the feature routes. */
import type Koa from 'koa';
import {
  finishIdempotent,
  idempotentStep,
  parseIdempotencyKey,
  requestHash,
  runIdempotent,
} from '../features/idempotency/service.js';
import type { WriteBatcher } from '../batcher.js';
import type { Stores, UnitOfWork } from '../stores.js';
import type { Actor } from '../features/ledger/service.js';
import { principalOf } from './actor.js';

/** The header that marks a replayed response. */
export const replayedHeader = 'Idempotent-Replayed';

/** JSON with sorted keys: the same body in another key order hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

/**
 * Run a write under the request's Idempotency-Key and render its (first) response. `required`
 * makes the header mandatory (every POST that moves money).
 */
export async function idempotentWrite(
  ctx: Koa.Context,
  uow: UnitOfWork,
  actor: Actor,
  required: boolean,
  write: (stores: Stores) => Promise<{ status: number; body: unknown }>,
  /** Group-commit the write with others on the same lane (the wallet id). */
  batch?: { batcher: WriteBatcher; lane: string },
): Promise<void> {
  const key = parseIdempotencyKey(ctx.get('Idempotency-Key') || undefined, required);
  const hash = requestHash(ctx.method, ctx.path, canonicalJson(ctx.request.body ?? null));
  const rendered = async (stores: Stores) => {
    const { status, body } = await write(stores);
    return { status, body: JSON.stringify(body) };
  };
  const request = { principal: principalOf(actor), key, hash };
  let result;
  if (batch !== undefined && key !== undefined) {
    const keyed = { ...request, key };
    const outcome = await batch.batcher.submit(batch.lane, (stores) =>
      idempotentStep(stores, keyed, rendered, Date.now()),
    );
    result = await finishIdempotent(uow, keyed, outcome);
  } else {
    result = await runIdempotent(uow, request, rendered);
  }
  ctx.status = result.status;
  ctx.type = 'application/json';
  ctx.body = result.body;
  if (result.replayed) ctx.set(replayedHeader, 'true');
}
