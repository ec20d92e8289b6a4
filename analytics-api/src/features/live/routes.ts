/**
 * GET /v1/transactions/stream: the caller's new and changed transactions over Server-Sent Events,
 * `event: transaction` with the same shape as GET /v1/transactions/{id}, sent when the read model
 * stores a new version. No replay: on (re)connect, read the list, then follow the stream.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import { idSchema } from '@spendstream/core/events';
import { RateLimitedError } from '@spendstream/core/errors';
import type { FeatureDeps } from '../../http/deps.js';
import { targetUserId } from '../../http/request-scope.js';
import { presentTransaction } from '../../http/present.js';
import { openSseStream } from '../../http/sse.js';
import { transactionStreamsMax, transactionStreamsPerUserMax } from './transaction-feed.js';

export const transactionStreamQuery = z.object({ userId: idSchema.optional() }).strict();

export function createLiveRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const read = requireAuth(deps.verifier, { scopes: [authScopes.transactionsRead] });

  router.get('/v1/transactions/stream', read, async (ctx) => {
    const userId = targetUserId(ctx, parseQuery(ctx, transactionStreamQuery).userId);
    // The owners of wallets shared with the user, as the stream opens: a wallet shared later is
    // heard after a reconnect; one unshared meanwhile is silenced at once (checked per event).
    const owners = (await deps.walletAccess.sharedWith(userId))
      .map((wallet) => wallet.ownerId)
      .filter((ownerId) => ownerId !== userId);
    const feed = deps.transactionFeed;
    if (feed.size(userId) >= transactionStreamsPerUserMax || feed.size() >= transactionStreamsMax) {
      throw new RateLimitedError('too many open transaction streams', 5);
    }
    let unsubscribe = () => {};
    const stream = openSseStream(ctx, deps.sse, () => unsubscribe());
    if (stream.closed) return;
    // No event id: there is nothing to resume from (see transaction-feed.ts).
    let sending = Promise.resolve();
    unsubscribe = feed.subscribe(
      userId,
      (doc) => {
        if (doc.userId === userId) {
          stream.send('transaction', presentTransaction(doc));
          return;
        }
        // Another owner's transaction: only while its wallet is shared with the user, in order.
        sending = sending.then(async () => {
          const shared = await deps.walletAccess.sharedWith(userId);
          if (
            shared.some(
              (wallet) => wallet.ownerId === doc.userId && wallet.walletId === doc.walletId,
            )
          )
            stream.send('transaction', presentTransaction(doc));
        });
      },
      owners,
    );
  });

  return router;
}
