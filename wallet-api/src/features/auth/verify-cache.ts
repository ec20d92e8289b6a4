/**
 * A cache of verified access tokens: Ed25519 verification costs about 0.2 ms of CPU per request,
 * the largest single cost of a movement after SQL. A token is cached under its exact compact string
 * (the signature covers those bytes, so an equal string is the same verified token) and only until
 * its own `exp`, so nothing verifies that would not verify again.
 */
import type { AuthContext, TokenVerifier } from '@spendstream/core/auth';

/** Most tokens kept; the oldest entry goes first when full. */
export const verifiedTokensMax = 10_000;

export function cachingVerifier(inner: TokenVerifier, now: () => number = Date.now): TokenVerifier {
  const cache = new Map<string, AuthContext>();
  return {
    async verify(token) {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.expiresAt.getTime() > now()) return hit;
        cache.delete(token);
      }
      const auth = await inner.verify(token);
      if (cache.size >= verifiedTokensMax) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(token, auth);
      return auth;
    },
  };
}
