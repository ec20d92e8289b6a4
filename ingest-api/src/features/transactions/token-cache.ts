/**
 * Verified access tokens are remembered for a short while, so a bank sending thousands of requests
 * with one token pays for the signature check once. Bounded in entries and in time: a token stops
 * being honoured at its `exp` as before, and a key withdrawn from the JWKS stops its tokens within
 * `tokenCacheMs`.
 */
import type { AuthContext, TokenVerifier } from '@spendstream/core/auth';
import { BoundedMap } from '@spendstream/core/bounded-map';

/** Longest a verified token is trusted without checking it again, in ms. */
export const tokenCacheMs = 60_000;
/** Most tokens remembered. */
export const tokenCacheEntriesMax = 10_000;

/**
 * The key a token is cached under: its signature (the part after the last dot, 86 characters for
 * EdDSA). A machine client's token lists its users and runs to kilobytes (6.9 kB for 200 users), and
 * hashing the whole text for a Map lookup on every request cost about 12 us; a hit is then checked
 * against the whole token, so a token that only shares the signature is verified on its own.
 */
function cacheKey(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}

export function cachingVerifier(
  verifier: TokenVerifier,
  now: () => number = Date.now,
): TokenVerifier {
  const cache = new BoundedMap<string, { token: string; auth: AuthContext; until: number }>(
    tokenCacheEntriesMax,
  );
  return {
    async verify(token) {
      const t = now();
      const key = cacheKey(token);
      const hit = cache.get(key);
      if (hit && hit.token === token && hit.until > t) return hit.auth;
      const auth = await verifier.verify(token);
      cache.set(key, { token, auth, until: Math.min(auth.expiresAt.getTime(), t + tokenCacheMs) });
      return auth;
    },
  };
}
