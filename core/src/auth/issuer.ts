/**
 * The issuer side (wallet-api): signing keys with a `kid`, the public JWKS to publish, and access
 * tokens. Keys are asymmetric (Ed25519 by default, RS256 for clients that lack EdDSA); rotation is
 * publishing the new key beside the old one, signing with the new one, and dropping the old one from
 * the JWKS after the longest token lifetime.
 */
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { scopesPerTokenMax, userIdsPerTokenMax } from './claims.js';
import { accessTokenType, allowedAlgorithms, type SigningAlgorithm } from './verifier.js';

/** Longest access-token lifetime, in seconds (they are short-lived; refresh tokens rotate). */
export const accessTokenTtlSecondsMax = 3600;
/** Default access-token lifetime, in seconds. */
export const accessTokenTtlSecondsDefault = 900;

/** A key that signs tokens. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK with kid, alg and use, ready for the JWKS. */
  readonly publicJwk: JWK;
}

/** Generate a key pair; the kid defaults to the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(
  options: { alg?: SigningAlgorithm; kid?: string } = {},
): Promise<SigningKey> {
  const alg = options.alg ?? 'EdDSA';
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : { modulusLength: 2048 }),
  });
  const jwk = await exportJWK(publicKey);
  const kid = options.kid ?? (await calculateJwkThumbprint(jwk));
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** The private key as a JWK (with kid and alg), for storing it in a secret store; keep it secret. */
export async function exportSigningKey(key: SigningKey): Promise<JWK> {
  return { ...(await exportJWK(key.privateKey)), kid: key.kid, alg: key.alg, use: 'sig' };
}

/** Load a key stored by exportSigningKey. */
export async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  const alg = jwk.alg;
  if (alg === undefined || !(allowedAlgorithms as readonly string[]).includes(alg)) {
    throw new ValidationError(`signing key alg must be one of ${allowedAlgorithms.join(', ')}`, {
      field: 'alg',
    });
  }
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0)
    throw new ValidationError('signing key needs a kid', { field: 'kid' });
  if (jwk.d === undefined)
    throw new ValidationError('signing key JWK has no private part', { field: 'd' });
  const privateKey = (await importJWK(jwk, alg, { extractable: true })) as CryptoKey;
  const {
    d: _d,
    p: _p,
    q: _q,
    dp: _dp,
    dq: _dq,
    qi: _qi,
    oth: _oth,
    key_ops: _ops,
    ext: _ext,
    ...publicPart
  } = jwk;
  return {
    kid: jwk.kid,
    alg: alg as SigningAlgorithm,
    privateKey,
    publicJwk: { ...publicPart, use: 'sig' },
  };
}

/** The JWKS document to serve at `/.well-known/jwks.json`: public keys only. */
export function publicJwks(keys: readonly SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => ({ ...key.publicJwk })) };
}

export interface AccessTokenClaims {
  issuer: string;
  audience: string | readonly string[];
  /** The user id, or the client id for a client-credentials token. */
  subject: string;
  scopes: readonly string[];
  /** The application; equal to `subject` for machine clients. */
  clientId?: string;
  /** For machine clients: the users it may act for. */
  userIds?: readonly string[];
  ttlSeconds?: number;
  /** Token id; random by default. */
  tokenId?: string;
  /** Issue time; now by default (tests pass a past time to make expired tokens). */
  issuedAt?: Date;
}

/** Sign an access token (RFC 9068 shape: typ at+jwt, iss, aud, sub, exp, iat, jti, scope, client_id). */
export async function signAccessToken(key: SigningKey, claims: AccessTokenClaims): Promise<string> {
  const ttlSeconds = claims.ttlSeconds ?? accessTokenTtlSecondsDefault;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > accessTokenTtlSecondsMax) {
    throw new ValidationError(`ttlSeconds must be 1..${accessTokenTtlSecondsMax}`, {
      field: 'ttlSeconds',
    });
  }
  if (
    claims.scopes.length > scopesPerTokenMax ||
    claims.scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
  ) {
    throw new ValidationError('scopes must be at most 64 tokens without spaces or quotes', {
      field: 'scopes',
    });
  }
  if (claims.userIds !== undefined && claims.userIds.length > userIdsPerTokenMax) {
    throw new ValidationError(`at most ${userIdsPerTokenMax} userIds per token`, {
      field: 'userIds',
    });
  }
  const issuedAtSeconds = Math.floor((claims.issuedAt ?? new Date()).getTime() / 1000);
  const payload: Record<string, unknown> = { scope: claims.scopes.join(' ') };
  if (claims.clientId !== undefined) payload['client_id'] = claims.clientId;
  if (claims.userIds !== undefined) payload['user_ids'] = [...claims.userIds];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: accessTokenType })
    .setIssuer(claims.issuer)
    .setAudience(typeof claims.audience === 'string' ? claims.audience : [...claims.audience])
    .setSubject(claims.subject)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(issuedAtSeconds + ttlSeconds)
    .setJti(claims.tokenId ?? randomUUID())
    .sign(key.privateKey);
}
