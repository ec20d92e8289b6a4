/**
 * Who a request acts as. A user token acts for its subject; a machine client token acts for the
 * user named in `On-Behalf-Of`, who must be listed in the token and still hold a grant (a revoked
 * grant takes effect at once, not when the token expires).
 */
import type Koa from 'koa';
import { authOf, canActFor } from '@spendstream/core/auth';
import { ForbiddenError, ValidationError } from '@spendstream/core/errors';
import { idPattern } from '../ids.js';
import type { Actor } from '../features/ledger/service.js';
import type { UnitOfWork } from '../stores.js';

/** The header a machine client names its user in. */
export const onBehalfOfHeader = 'On-Behalf-Of';

export async function actorOf(ctx: Koa.Context, uow: UnitOfWork): Promise<Actor> {
  const auth = authOf(ctx);
  if (auth.kind === 'user') return { userId: auth.subject };
  const userId = ctx.get(onBehalfOfHeader);
  if (userId === '' || !idPattern.test(userId)) {
    throw new ValidationError(
      `a machine client names the user it acts for in ${onBehalfOfHeader}`,
      { field: onBehalfOfHeader },
    );
  }
  const clientId = auth.clientId ?? auth.subject;
  if (!canActFor(auth, userId) || !(await uow.read.clients.findGrant(clientId, userId))) {
    throw new ForbiddenError('this client has no grant from that user', {
      field: onBehalfOfHeader,
    });
  }
  return { userId, clientId };
}

/** The idempotency key space of an actor: a client acting for a user has its own. */
export function principalOf(actor: Actor): string {
  return actor.clientId === undefined ? actor.userId : `${actor.clientId}:${actor.userId}`;
}
