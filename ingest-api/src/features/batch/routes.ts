/**
 * POST /v1/transactions:batch: up to `batchItemsMax` transactions, each judged on its own. The answer
 * lists, per item and in order, accepted / duplicate / rejected (with the problem). 202 when anything
 * was accepted or already stored, 200 when every item was rejected; 503 (nothing accepted) when the
 * event log is down.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { authOf, requireAuth } from '@spendstream/core/auth';
import { parseBody } from '@spendstream/core/http';
import { idempotencyKeyOf, requestHash, respondIdempotently } from '../dedupe/idempotency.js';
import { callerFromAuth, callerKey, ingestScope } from '../transactions/caller.js';
import { batchItemsMax } from '../transactions/ingest-service.js';
import { presentItem, summarize } from '../transactions/presenter.js';
import type { TransactionRouteDeps } from '../transactions/routes.js';

export const batchPath = '/v1/transactions:batch';

const batchBodySchema = z.strictObject({
  items: z.array(z.unknown()).min(1).max(batchItemsMax),
});

export function batchRouter(deps: TransactionRouteDeps): Router {
  const router = new Router();
  // `:` is a parameter marker in route paths; escaped, it is the literal of Google's custom-method style.
  router.post(
    batchPath.replace(':', '\\:'),
    requireAuth(deps.verifier, { scopes: [ingestScope] }),
    async (ctx) => {
      const caller = callerFromAuth(authOf(ctx));
      const { items } = parseBody(ctx, batchBodySchema);
      deps.rateLimiter.take(callerKey(caller), items.length);
      const key = idempotencyKeyOf(ctx);
      await respondIdempotently(
        ctx,
        deps.idempotency,
        callerKey(caller),
        key,
        // Only a keyed request needs the fingerprint (hashing a full batch is not free).
        key === undefined ? '' : requestHash('POST', batchPath, items),
        async () => {
          const results = await deps.service.ingest(caller, items, {
            channel: 'batch',
            correlationId: String(ctx.state.requestId ?? ''),
          });
          const summary = summarize(results);
          return {
            status: summary.rejected === results.length ? 200 : 202,
            body: { summary, items: results.map(presentItem) },
          };
        },
      );
    },
  );
  return router;
}
