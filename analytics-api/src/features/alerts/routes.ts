/**
 * /v1/alerts: history with filters and read/unread, marking read, and the live stream over
 * Server-Sent Events (`Last-Event-ID` resumes after the last alert received).
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { decodeCursor, encodeCursor, parseParams, parseQuery } from '@spendstream/core/http';
import { alertRaisedV1Schema, alertRules, idSchema } from '@spendstream/core/events';
import { NotFoundError, RateLimitedError, ValidationError } from '@spendstream/core/errors';
import type { FeatureDeps } from '../../http/deps.js';
import { targetUserId } from '../../http/request-scope.js';
import { booleanParam, listParam, userIdQuery } from '../../http/query-schemas.js';
import { openSseStream } from '../../http/sse.js';
import type { StoredAlert } from './alert-store.js';
import { streamsMax, streamsPerUserMax } from './alert-hub.js';

export const alertsPageSizeMax = 100;
export const alertsPageSizeDefault = 25;
/** Longest history cursor a client may send back, in characters (one is well under it). */
export const alertsCursorLengthMax = 200;
/** Longest `Last-Event-ID` (an alert's sequence number: at most 15 digits, `seqPattern`). */
export const lastEventIdLengthMax = 20;

export const historyQuery = z
  .object({
    userId: idSchema.optional(),
    rule: listParam(z.enum(alertRules)),
    unread: booleanParam.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(alertsPageSizeMax).default(alertsPageSizeDefault),
    cursor: z.string().max(alertsCursorLengthMax).optional(),
  })
  .strict();

export const streamQuery = z
  .object({
    userId: idSchema.optional(),
    lastEventId: z.string().max(lastEventIdLengthMax).optional(),
  })
  .strict();
const alertParams = z.object({ id: idSchema });
const seqPattern = /^(0|[1-9][0-9]{0,14})$/;

function presentAlert(stored: StoredAlert) {
  return {
    seq: stored.seq,
    read: stored.readAt !== null,
    readAt: stored.readAt,
    ...alertRaisedV1Schema.encode(stored.alert),
  };
}

/** The resume point: the `Last-Event-ID` header (what browsers send) or `?lastEventId=`. */
function lastEventIdOf(ctx: Koa.Context, fromQuery: string | undefined): number | undefined {
  const raw = ctx.get('last-event-id') || fromQuery;
  if (raw === undefined || raw === '') return undefined;
  if (!seqPattern.test(raw)) {
    throw new ValidationError('Last-Event-ID must be the id of an event this stream sent', {
      field: 'Last-Event-ID',
    });
  }
  return Number(raw);
}

export function createAlertRouter(deps: FeatureDeps): Router {
  const router = new Router();
  const read = requireAuth(deps.verifier, { scopes: [authScopes.alertsRead] });
  const openStreams = new Map<string, number>();

  router.get('/v1/alerts', read, async (ctx) => {
    const query = parseQuery(ctx, historyQuery);
    const userId = targetUserId(ctx, query.userId);
    if (query.from && query.to && Date.parse(query.to) <= Date.parse(query.from)) {
      throw new ValidationError('to must be after from', { field: 'to' });
    }
    const beforeSeq =
      query.cursor === undefined
        ? undefined
        : decodeCursor(query.cursor, z.object({ seq: z.int().min(1) })).seq;
    const rows = await deps.alerts.list(
      userId,
      {
        rules: query.rule,
        unread: query.unread,
        firedFrom: query.from ? new Date(query.from).toISOString() : undefined,
        firedTo: query.to ? new Date(query.to).toISOString() : undefined,
        beforeSeq,
      },
      query.limit + 1,
    );
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    ctx.body = {
      items: items.map(presentAlert),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ seq: last.seq }) : null,
    };
  });

  router.post('/v1/alerts/:id/read', read, async (ctx) => {
    const { id } = parseParams(ctx, alertParams);
    const userId = targetUserId(ctx, parseQuery(ctx, userIdQuery).userId);
    if (!(await deps.alerts.markRead(userId, id, deps.clock().toISOString()))) {
      throw new NotFoundError(`no alert ${id}`, { field: 'id' });
    }
    ctx.status = 204;
  });

  router.get('/v1/alerts/stream', read, async (ctx) => {
    const query = parseQuery(ctx, streamQuery);
    const userId = targetUserId(ctx, query.userId);
    const lastSeq = lastEventIdOf(ctx, query.lastEventId);
    const open = openStreams.get(userId) ?? 0;
    if (open >= streamsPerUserMax || deps.alertHub.size() >= streamsMax) {
      throw new RateLimitedError('too many open alert streams', 5);
    }
    openStreams.set(userId, open + 1);

    let subscription: { close(): void } | undefined = undefined;
    const stream = openSseStream(ctx, deps.sse, () => {
      subscription?.close();
      openStreams.set(userId, (openStreams.get(userId) ?? 1) - 1);
      if (openStreams.get(userId) === 0) openStreams.delete(userId);
    });
    subscription = await deps.alertHub.subscribe(
      {
        userId,
        send: (stored) => stream.send('alert', presentAlert(stored), stored.seq),
      },
      lastSeq,
    );
    if (stream.closed) subscription.close();
  });

  return router;
}
