/**
 * What a verified access token says, in the shape services use (`ctx.state.auth`), and the scopes
 * the APIs check. Tokens follow RFC 9068 (JWT access tokens): header `typ: at+jwt`, `sub` the user or,
 * for client credentials, the client itself, `client_id`, `scope` space-separated.
 */
import { ForbiddenError } from '../errors.js';

/** The scopes the APIs know. A user's token carries the user scopes; machine clients get what they were granted. */
export const authScopes = {
  transactionsWrite: 'transactions:write',
  transactionsRead: 'transactions:read',
  walletsRead: 'wallets:read',
  walletsWrite: 'wallets:write',
  analyticsRead: 'analytics:read',
  budgetsWrite: 'budgets:write',
  alertsRead: 'alerts:read',
} as const;

export type AuthScope = (typeof authScopes)[keyof typeof authScopes];

/** Scopes a person gets at login. */
export const userScopesDefault: readonly string[] = Object.freeze(Object.values(authScopes));

/** Most scopes in one token. */
export const scopesPerTokenMax = 64;
/** Most users a machine client token may act for (a bank's customers linked to this client). */
export const userIdsPerTokenMax = 1000;

/** The verified identity of a request. */
export interface AuthContext {
  /** `sub`: the user id, or the client id for a machine client. */
  readonly subject: string;
  /** `user` when a person logged in; `client` for a machine client (client credentials). */
  readonly kind: 'user' | 'client';
  readonly scopes: readonly string[];
  /** `client_id`: the application the token was issued to. */
  readonly clientId?: string;
  /** For machine clients: the users it may act for (from the `user_ids` claim). */
  readonly userIds?: readonly string[];
  /** `jti`: the token's id (for audit logs and revocation lists). */
  readonly tokenId?: string;
  /** `exp` as a Date. */
  readonly expiresAt: Date;
  /** `kid` of the key that signed it. */
  readonly keyId: string;
}

/** True when every scope in `required` is granted. */
export function hasScopes(auth: AuthContext, required: readonly string[]): boolean {
  return required.every((scope) => auth.scopes.includes(scope));
}

/** Whether this identity may read or change `userId`'s data (invariant 6: no one touches another user's data). */
export function canActFor(auth: AuthContext, userId: string): boolean {
  if (auth.kind === 'user') return auth.subject === userId;
  return auth.userIds?.includes(userId) ?? false;
}

/** Throw ForbiddenError unless this identity may act for `userId`. */
export function assertCanActFor(auth: AuthContext, userId: string): void {
  if (!canActFor(auth, userId)) {
    throw new ForbiddenError(
      auth.kind === 'user'
        ? 'this resource belongs to another user'
        : `client may not act for user ${userId}`,
    );
  }
}
