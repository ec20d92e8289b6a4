/**
 * POST /v1/wallets/{walletId}/imports?format=csv|ofx: a bank statement file as the raw body
 * (`text/csv`, `application/x-ofx`, `application/vnd.intu.qfx`, `application/octet-stream`),
 * streamed. CSV needs a `mapping` query parameter (JSON, see csv-mapping.ts). All or nothing unless
 * `partial=true`. GET /v1/imports/{importId} shows a running import's progress; the import id is the
 * Idempotency-Key when one is sent (so a client can watch a large upload), else it is generated.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { authOf, requireAuth, type TokenVerifier } from '@spendstream/core/auth';
import {
  ConflictError,
  DomainError,
  IdempotencyConflictError,
  NotFoundError,
  ValidationError,
} from '@spendstream/core/errors';
import { mediaTypeOf, parseQuery } from '@spendstream/core/http';
import { idempotencyKeyOf, requestHash } from '../dedupe/idempotency.js';
import type { IdempotencyStore } from '../dedupe/idempotency-store.js';
import { callerFromAuth, callerKey, ingestScope } from '../transactions/caller.js';
import type { RateLimiter } from '../transactions/rate-limit.js';
import { csvMappingSchema } from './csv-mapping.js';
import type { ImportService } from './import-service.js';

/** Media types accepted as raw import bodies (the body parser leaves them unread). */
export const importMediaTypes = [
  'text/csv',
  'text/plain',
  'application/csv',
  'application/x-ofx',
  'application/ofx',
  'application/vnd.intu.qfx',
  'application/x-qfx',
  'application/octet-stream',
] as const;

/** Rate-limit cost of one import request, in transactions (a flat charge: file lines are not counted). */
const importRequestCost = 100;

/** Thrown out of pass one when the Idempotency-Key already has a kept answer. */
class ReplayedImport extends Error {
  constructor(
    readonly statusCode: number,
    readonly response: string,
  ) {
    super('replayed');
  }
}

const importQuerySchema = z.strictObject({
  format: z.enum(['csv', 'ofx', 'qfx']),
  mapping: z.string().max(4_000).optional(),
  partial: z.enum(['true', 'false']).optional(),
  userId: z.string().max(128).optional(),
  timeZone: z.string().max(64).optional(),
});

export function importRouter(deps: {
  imports: ImportService;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  verifier: TokenVerifier;
}): Router {
  const router = new Router();
  const auth = requireAuth(deps.verifier, { scopes: [ingestScope] });

  router.post('/v1/wallets/:walletId/imports', auth, async (ctx) => {
    const caller = callerFromAuth(authOf(ctx));
    deps.rateLimiter.take(callerKey(caller), importRequestCost);
    const mediaType = mediaTypeOf(ctx);
    if (!(importMediaTypes as readonly string[]).includes(mediaType)) {
      throw new DomainError(
        'unsupported_media_type',
        `send the file as one of ${importMediaTypes.join(', ')}, not ${mediaType || 'no Content-Type'}`,
        {
          field: 'Content-Type',
        },
      );
    }
    const query = parseQuery(ctx, importQuerySchema);
    let mapping;
    if (query.format === 'csv') {
      if (query.mapping === undefined)
        throw new ValidationError('format=csv needs a mapping (JSON)', { field: 'mapping' });
      let json: unknown;
      try {
        json = JSON.parse(query.mapping);
      } catch {
        throw new ValidationError('mapping must be JSON', { field: 'mapping' });
      }
      const parsed = csvMappingSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ValidationError(`invalid mapping: ${issue?.path.join('.')}: ${issue?.message}`, {
          field: `mapping.${issue?.path.join('.') ?? ''}`,
        });
      }
      mapping = parsed.data;
    }
    const key = idempotencyKeyOf(ctx);
    const owner = callerKey(caller);
    let keyClaimed = false;
    try {
      const result = await deps.imports.run({
        caller,
        walletId: ctx.params.walletId ?? '',
        ...(query.userId ? { userId: query.userId } : {}),
        format: query.format === 'qfx' ? 'ofx' : query.format,
        ...(mapping ? { mapping } : {}),
        ...(query.timeZone ? { timeZone: query.timeZone } : {}),
        partial: query.partial === 'true',
        body: ctx.req,
        ...(key ? { importId: key } : {}),
        // The body is read once, so the Idempotency-Key is checked against its hash after pass one,
        // before anything is published.
        beforePublish: async (bodySha256) => {
          if (key === undefined) return;
          const hash = requestHash('POST', ctx.path, ctx.querystring, bodySha256);
          const begun = await deps.idempotency.begin(owner, key, hash, Date.now());
          if (begun.state === 'new') {
            keyClaimed = true;
            return;
          }
          if (begun.requestHash !== hash) throw new IdempotencyConflictError();
          if (begun.state === 'pending') {
            throw new ConflictError(
              'an import with this Idempotency-Key is still running; retry later',
              {
                field: 'Idempotency-Key',
              },
            );
          }
          throw new ReplayedImport(begun.statusCode, begun.response);
        },
      });
      if (key !== undefined && keyClaimed)
        await deps.idempotency.complete(owner, key, 202, JSON.stringify(result));
      ctx.status = 202;
      ctx.body = result;
    } catch (error) {
      if (error instanceof ReplayedImport) {
        ctx.status = error.statusCode;
        ctx.body = JSON.parse(error.response) as unknown;
        ctx.set('Idempotent-Replayed', 'true');
        return;
      }
      if (key !== undefined && keyClaimed) await deps.idempotency.abandon(owner, key);
      throw error;
    }
  });

  router.get('/v1/imports/:importId', auth, (ctx) => {
    const caller = callerFromAuth(authOf(ctx));
    const progress = deps.imports.progressOf(ctx.params.importId ?? '', caller);
    if (!progress) throw new NotFoundError('no import with this id for this caller');
    ctx.body = progress;
  });
  return router;
}
