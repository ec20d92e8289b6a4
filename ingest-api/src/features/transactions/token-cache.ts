/**
 * Verified access tokens are remembered for a short while, so a bank sending thousands of requests
 * with one token pays for the signature check once. Bounded in entries and in time: a token stops
 * being honoured at its `exp` as before, and a key withdrawn from the JWKS stops its tokens within
 * `tokenCacheMs`.
 */
import type { AuthContext, TokenVerifier } from '@spendstream/core/auth';

/** Longest a verified token is trusted without checking it again, in ms. */
export const tokenCacheMs = 60_000;
/** Most tokens remembered. */
export const tokenCacheEntriesMax = 10_000;

export function cachingVerifier(
  verifier: TokenVerifier,
  now: () => number = Date.now,
): TokenVerifier {
  const cache = new Map<string, { auth: AuthContext; until: number }>();
  return {
    async verify(token) {
      const t = now();
      const hit = cache.get(token);
      if (hit && hit.until > t) return hit.auth;
      const auth = await verifier.verify(token);
      if (cache.size >= tokenCacheEntriesMax) cache.clear();
      cache.set(token, { auth, until: Math.min(auth.expiresAt.getTime(), t + tokenCacheMs) });
      return auth;
    },
  };
}
