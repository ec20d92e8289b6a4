/**
 * Mint real, signed access tokens in tests of any service: a throwaway issuer with its own key, its
 * public JWKS, and a verifier wired to it (local key set, no network).
 *
 *   const issuer = await createTestIssuer();
 *   const app = createApp({ verifier: issuer.verifier });
 *   const token = await issuer.userToken('user_1');
 *   await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 */
import type { JSONWebKeySet } from 'jose';
import { userScopesDefault } from '../auth/claims.js';
import {
  generateSigningKey,
  publicJwks,
  signAccessToken,
  type AccessTokenClaims,
  type SigningKey,
} from '../auth/issuer.js';
import {
  createTokenVerifier,
  type SigningAlgorithm,
  type TokenVerifier,
} from '../auth/verifier.js';

export const testIssuerUrl = 'https://issuer.test';
export const testAudience = 'spendstream';

export interface TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly key: SigningKey;
  readonly jwks: JSONWebKeySet;
  /** A verifier that trusts only this issuer's key. */
  readonly verifier: TokenVerifier;
  /** A user's token with the default user scopes unless `scopes` says otherwise. */
  userToken(userId: string, overrides?: Partial<AccessTokenClaims>): Promise<string>;
  /** A machine client's token (client credentials) acting for `userIds`. */
  clientToken(
    clientId: string,
    userIds: readonly string[],
    scopes: readonly string[],
    overrides?: Partial<AccessTokenClaims>,
  ): Promise<string>;
  /** Any token, claims as given on top of this issuer's defaults. */
  token(claims: Partial<AccessTokenClaims> & { subject: string }): Promise<string>;
}

/** A fresh issuer with its own key (Ed25519 unless `alg` says RS256). */
export async function createTestIssuer(
  options: { issuer?: string; audience?: string; alg?: SigningAlgorithm } = {},
): Promise<TestIssuer> {
  const issuer = options.issuer ?? testIssuerUrl;
  const audience = options.audience ?? testAudience;
  const key = await generateSigningKey({ alg: options.alg ?? 'EdDSA' });
  const jwks = publicJwks([key]);
  const verifier = createTokenVerifier({ issuer, audience, jwks: { keys: jwks.keys } });
  const token = (claims: Partial<AccessTokenClaims> & { subject: string }) =>
    signAccessToken(key, { issuer, audience, scopes: [], ...claims });
  return {
    issuer,
    audience,
    key,
    jwks,
    verifier,
    token,
    userToken: (userId, overrides = {}) =>
      token({
        scopes: userScopesDefault,
        clientId: 'spendstream-web',
        ...overrides,
        subject: userId,
      }),
    clientToken: (clientId, userIds, scopes, overrides = {}) =>
      token({ ...overrides, subject: clientId, clientId, userIds, scopes }),
  };
}
