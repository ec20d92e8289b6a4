/**
 * Whose data a request reads: the signed-in user, or, for a machine client, the `userId` it names
 * among the users its token lists. Every store query is then filtered by that user id, which is
 * what keeps another user's data invisible.
 */
import type Koa from 'koa';
import { assertCanActFor, authOf } from '@spendstream/core/auth';
import { ValidationError } from '@spendstream/core/errors';

/** The user the request acts for; throws 403 when the token may not act for `requested`. */
export function targetUserId(ctx: Koa.Context, requested: string | undefined): string {
  const auth = authOf(ctx);
  const userId = requested ?? (auth.kind === 'user' ? auth.subject : undefined);
  if (userId === undefined) {
    throw new ValidationError('a client token must name the userId it acts for', {
      field: 'userId',
    });
  }
  assertCanActFor(auth, userId);
  return userId;
}
