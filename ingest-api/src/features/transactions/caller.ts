/**
 * Who is calling, as ingest-api needs to know it: a person with their own token, or a machine client
 * (a bank or app) acting for the users who granted it access. Built from the verified JWT by the
 * auth middleware; the domain code never sees a token.
 */
import { ForbiddenError, ValidationError } from '@spendstream/core/errors';

/** The scope a machine client needs to push transactions. */
export const ingestScope = 'transactions:write';

export type Caller =
  | { kind: 'user'; userId: string }
  | { kind: 'client'; clientId: string; userIds: readonly string[]; scopes: readonly string[] };

/** The `source` recorded on every transaction this caller pushes: its own, never taken from the body. */
export function sourceOf(caller: Caller): string {
  return caller.kind === 'client' ? caller.clientId : `user:${caller.userId}`;
}

/** A stable key for per-caller state (rate limits, idempotency keys). */
export function callerKey(caller: Caller): string {
  return caller.kind === 'client' ? `client:${caller.clientId}` : `user:${caller.userId}`;
}

/** Grants longer than this are looked up in a Set (built once per token's list) rather than scanned. */
export const grantScanMax = 16;
const grantSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * Whether the client acts for this user. A bank's token may list thousands of users and every item
 * of a batch asks: a scan per item was linear in the grant. The verified token (cached) keeps the
 * same array across requests, so its Set is built once.
 */
function granted(userIds: readonly string[], userId: string): boolean {
  if (userIds.length <= grantScanMax) return userIds.includes(userId);
  let set = grantSets.get(userIds);
  if (set === undefined) {
    set = new Set(userIds);
    grantSets.set(userIds, set);
  }
  return set.has(userId);
}

/** The user a transaction is for, checked against what the caller may act for. */
export function resolveUser(
  caller: Caller,
  requested: string | undefined,
  field = 'userId',
): string {
  if (caller.kind === 'user') {
    if (requested !== undefined && requested !== caller.userId) {
      throw new ForbiddenError('a user token may only ingest into its own wallets', { field });
    }
    return caller.userId;
  }
  if (!caller.scopes.includes(ingestScope)) {
    throw new ForbiddenError(`this client lacks the ${ingestScope} scope`, { field: 'scope' });
  }
  if (requested === undefined) {
    if (caller.userIds.length === 1) return caller.userIds[0]!;
    throw new ValidationError('userId is required: this client acts for several users', { field });
  }
  if (!granted(caller.userIds, requested)) {
    throw new ForbiddenError('this client has no grant from that user', { field });
  }
  return requested;
}

/** The caller of a request authenticated by core's requireAuth. */
export function callerFromAuth(auth: {
  subject: string;
  kind: 'user' | 'client';
  scopes: readonly string[];
  clientId?: string;
  userIds?: readonly string[];
}): Caller {
  if (auth.kind === 'user') return { kind: 'user', userId: auth.subject };
  return {
    kind: 'client',
    clientId: auth.clientId ?? auth.subject,
    userIds: auth.userIds ?? [],
    scopes: auth.scopes,
  };
}
