/** Small rendering helpers shared by the feature routes. */
import type Koa from 'koa';
import {
  parseIdempotencyKey,
  requestHash,
  runIdempotent,
} from '../features/idempotency/service.js';
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
): Promise<void> {
  const key = parseIdempotencyKey(ctx.get('Idempotency-Key') || undefined, required);
  const hash = requestHash(ctx.method, ctx.path, canonicalJson(ctx.request.body ?? null));
  const rendered = async (stores: Stores) => {
    const { status, body } = await write(stores);
    return { status, body: JSON.stringify(body) };
  };
  const request = { principal: principalOf(actor), key, hash };
  const result = await runIdempotent(uow, request, rendered);
  ctx.status = result.status;
  ctx.type = 'application/json';
  ctx.body = result.body;
  if (result.replayed) ctx.set(replayedHeader, 'true');
}

/** The idempotency coordinates of a request: whose key space, the key, the request hash. */
export function idempotencyOf(
  ctx: Koa.Context,
  actor: Actor,
  required: boolean,
): { principal: string; key: string | undefined; hash: string } {
  const key = parseIdempotencyKey(ctx.get('Idempotency-Key') || undefined, required);
  const hash = requestHash(ctx.method, ctx.path, canonicalJson(ctx.request.body ?? null));
  return { principal: principalOf(actor), key, hash };
}

/** Render a stored or fresh idempotent response. */
export function renderStored(
  ctx: Koa.Context,
  result: { status: number; body: string; replayed: boolean },
): void {
  ctx.status = result.status;
  ctx.type = 'application/json';
  ctx.body = result.body;
  if (result.replayed) ctx.set(replayedHeader, 'true');
}
