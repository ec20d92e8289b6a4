/**
 * POST /v1/transactions: one transaction. 202 when accepted (durable in the event log), 200 when it
 * is a duplicate of one already stored, a problem+json 4xx when rejected, 503 when the log is down.
 */
import Router from '@koa/router';
import { authOf, requireAuth, type TokenVerifier } from '@spendstream/core/auth';
import { DomainError, UnavailableError } from '@spendstream/core/errors';
import { respondIdempotently, idempotencyKeyOf, requestHash } from '../dedupe/idempotency.js';
import type { IdempotencyStore } from '../dedupe/idempotency-store.js';
import { callerFromAuth, callerKey, ingestScope } from './caller.js';
import type { IngestService } from './ingest-service.js';
import { presentItem } from './presenter.js';
import type { RateLimiter } from './rate-limit.js';

export interface TransactionRouteDeps {
  service: IngestService;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  verifier: TokenVerifier;
}

export const transactionsPath = '/v1/transactions';

export function transactionsRouter(deps: TransactionRouteDeps): Router {
  const router = new Router();
  router.post(
    transactionsPath,
    requireAuth(deps.verifier, { scopes: [ingestScope] }),
    async (ctx) => {
      const caller = callerFromAuth(authOf(ctx));
      deps.rateLimiter.take(callerKey(caller), 1);
      const body: unknown = ctx.request.body;
      const key = idempotencyKeyOf(ctx);
      await respondIdempotently(
        ctx,
        deps.idempotency,
        callerKey(caller),
        key,
        // Only a keyed request needs the fingerprint of its body.
        key === undefined ? '' : requestHash('POST', transactionsPath, body),
        async () => {
          const [result] = await deps.service.ingest(caller, [body], {
            channel: 'api',
            correlationId: String(ctx.state.requestId ?? ''),
          });
          if (!result) throw new Error('ingest returned no result');
          if (result.status === 'rejected') {
            const { code, message, fields } = result.error!;
            // 503 with Retry-After, like the log being down.
            if (code === 'unavailable') throw new UnavailableError(message, 1, { fields });
            throw new DomainError(code, message, { fields });
          }
          return { status: result.status === 'accepted' ? 202 : 200, body: presentItem(result) };
        },
      );
    },
  );
  return router;
}
