/**
 * Access-token verification against a JWKS (wallet-api's `/.well-known/jwks.json`, or a local key
 * set). Every check a resource server should make: signature with an allow-listed asymmetric
 * algorithm, a `kid` that names a key in the set, `typ: at+jwt`, issuer, audience, expiry (and
 * not-before), and well-formed claims. Any failure is an UnauthorizedError whose message says which
 * check failed; the token itself is never echoed back.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { UnauthorizedError } from '../errors.js';
import { scopesPerTokenMax, userIdsPerTokenMax, type AuthContext } from './claims.js';

/** The only signature algorithms accepted: asymmetric, so verifiers hold no secret. */
export const allowedAlgorithms = ['EdDSA', 'RS256'] as const;
export type SigningAlgorithm = (typeof allowedAlgorithms)[number];

/** The `typ` header of access tokens (RFC 9068); refresh or ID tokens do not pass as access tokens. */
export const accessTokenType = 'at+jwt';

/** Longest token accepted, in characters: a bound before any parsing. */
export const tokenLengthMax = 8192;
/** Clock skew allowed on exp/nbf/iat, in seconds. */
export const clockToleranceSecondsDefault = 30;
/** How long a fetched JWKS is trusted before a refetch, in ms. */
export const jwksCacheMaxAgeMsDefault = 10 * 60 * 1000;
/** Least time between two fetches of the JWKS (an unknown kid cannot trigger a fetch storm), in ms. */
export const jwksCooldownMsDefault = 30 * 1000;
/** Timeout of one JWKS fetch, in ms. */
export const jwksTimeoutMsDefault = 5 * 1000;

export type JwksSource =
  | { url: string | URL; cacheMaxAgeMs?: number; cooldownMs?: number; timeoutMs?: number }
  | { keys: JSONWebKeySet['keys'] };

export interface VerifierOptions {
  /** Expected `iss`, e.g. `http://localhost:3001` (wallet-api's public URL). */
  issuer: string;
  /** Expected `aud`; the token must list at least one of them. */
  audience: string | readonly string[];
  jwks: JwksSource;
  clockToleranceSeconds?: number;
}

export interface TokenVerifier {
  /** Verify a compact JWS access token; resolves the identity or throws UnauthorizedError. */
  verify(token: string): Promise<AuthContext>;
}

const stringList = (value: unknown, max: number): string[] | undefined =>
  Array.isArray(value) &&
  value.length <= max &&
  value.every((item) => typeof item === 'string' && item.length > 0)
    ? (value as string[])
    : undefined;

/** Build a verifier. A remote JWKS is fetched lazily, cached, and refetched at most once per cooldown. */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keySet =
    'url' in options.jwks
      ? createRemoteJWKSet(new URL(options.jwks.url), {
          cacheMaxAge: options.jwks.cacheMaxAgeMs ?? jwksCacheMaxAgeMsDefault,
          cooldownDuration: options.jwks.cooldownMs ?? jwksCooldownMsDefault,
          timeoutDuration: options.jwks.timeoutMs ?? jwksTimeoutMsDefault,
        })
      : createLocalJWKSet({ keys: options.jwks.keys });
  const audience =
    typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  const clockTolerance = options.clockToleranceSeconds ?? clockToleranceSecondsDefault;

  return {
    async verify(token: string): Promise<AuthContext> {
      if (typeof token !== 'string' || token.length === 0 || token.length > tokenLengthMax) {
        throw new UnauthorizedError('malformed access token');
      }
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new UnauthorizedError('malformed access token');
      }
      if (
        typeof header.alg !== 'string' ||
        !(allowedAlgorithms as readonly string[]).includes(header.alg)
      ) {
        throw new UnauthorizedError(`token algorithm ${String(header.alg)} is not allowed`);
      }
      if (typeof header.kid !== 'string' || header.kid.length === 0) {
        throw new UnauthorizedError('token has no key id (kid)');
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          algorithms: [...allowedAlgorithms],
          issuer: options.issuer,
          audience,
          typ: accessTokenType,
          clockTolerance,
          requiredClaims: ['sub', 'exp', 'iat'],
        }));
      } catch (error) {
        throw new UnauthorizedError(reasonOf(error), { cause: error });
      }
      return toAuthContext(payload, header.kid);
    },
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return `token claim ${error.claim} is not acceptable (${error.reason})`;
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return 'token key id (kid) is not in the key set';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'token signature is invalid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return 'signing keys are unavailable';
  }
  if (error instanceof joseErrors.JOSEError) return `token rejected (${error.code})`;
  return 'token rejected';
}

function toAuthContext(payload: JWTPayload, keyId: string): AuthContext {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 128) {
    throw new UnauthorizedError('token subject is missing or malformed');
  }
  const scopeClaim = payload['scope'];
  if (scopeClaim !== undefined && typeof scopeClaim !== 'string')
    throw new UnauthorizedError('token scope is malformed');
  const scopes = (scopeClaim ?? '').split(' ').filter((scope) => scope.length > 0);
  if (scopes.length > scopesPerTokenMax) throw new UnauthorizedError('token has too many scopes');
  const clientIdClaim = payload['client_id'];
  if (
    clientIdClaim !== undefined &&
    (typeof clientIdClaim !== 'string' || clientIdClaim.length === 0)
  ) {
    throw new UnauthorizedError('token client_id is malformed');
  }
  const kind = clientIdClaim !== undefined && clientIdClaim === subject ? 'client' : 'user';
  let userIds: string[] | undefined;
  if (payload['user_ids'] !== undefined) {
    userIds = stringList(payload['user_ids'], userIdsPerTokenMax);
    if (userIds === undefined) throw new UnauthorizedError('token user_ids is malformed');
    if (kind === 'user') throw new UnauthorizedError('a user token cannot carry user_ids');
  }
  return {
    subject,
    kind,
    scopes,
    keyId,
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    ...(clientIdClaim === undefined ? {} : { clientId: clientIdClaim }),
    ...(userIds === undefined ? {} : { userIds }),
    ...(typeof payload.jti === 'string' ? { tokenId: payload.jti } : {}),
  };
}
