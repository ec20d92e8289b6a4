/**
 * The signing key ring: Ed25519 keys generated at first start and stored in SQL (so every instance
 * and every restart signs with the same keys), each with a `kid`. The newest unretired key signs; the
 * JWKS lists every unretired key plus retired ones young enough to have signed a live token, so a
 * rotation never invalidates tokens already issued.
 */
import type { JWK } from 'jose';
import {
  accessTokenTtlSecondsMax,
  createTokenVerifier,
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  publicJwks,
} from '@spendstream/core/auth';
import type { SigningKey, TokenVerifier } from '@spendstream/core/auth';
import { invariant } from '@spendstream/core/errors';
import type { UnitOfWork } from '../../stores.js';

/** A retired key stays in the JWKS this long: the longest token life plus clock skew. */
export const retiredKeyGraceMs = (accessTokenTtlSecondsMax + 60) * 1000;

export interface KeyRing {
  /** The key that signs new tokens. */
  signingKey(): SigningKey;
  /** The public JWKS document. */
  jwks(): { keys: JWK[] };
  /** A verifier over the current key set. */
  verifier(): TokenVerifier;
  /** Generate a new signing key and retire the current one (it still verifies during the grace period). */
  rotate(): Promise<void>;
  /** Re-read the keys from SQL (another instance rotated). */
  reload(): Promise<void>;
}

export interface KeyRingOptions {
  uow: UnitOfWork;
  issuer: string;
  audience: string;
  now?: () => number;
}

export async function createKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const now = options.now ?? Date.now;
  let active: SigningKey;
  let verifying: SigningKey[] = [];
  let verifier: TokenVerifier;

  async function load(): Promise<void> {
    let stored = await options.uow.read.signingKeys.list();
    if (!stored.some((k) => k.retiredAt === null)) {
      const key = await generateSigningKey({ alg: 'EdDSA' });
      const jwk = await exportSigningKey(key);
      await options.uow.transaction((s) =>
        s.signingKeys.insert({
          kid: key.kid,
          alg: key.alg,
          privateJwk: JSON.stringify(jwk),
          publicJwk: JSON.stringify(key.publicJwk),
          createdAt: now(),
          retiredAt: null,
        }),
      );
      stored = await options.uow.read.signingKeys.list();
    }
    const live = stored.filter(
      (k) => k.retiredAt === null || now() - k.retiredAt < retiredKeyGraceMs,
    );
    const keys = await Promise.all(
      live.map(async (k) => ({
        stored: k,
        key: await importSigningKey(JSON.parse(k.privateJwk) as JWK),
      })),
    );
    const signer = keys.find((k) => k.stored.retiredAt === null);
    invariant(signer, 'an unretired signing key exists after load');
    active = signer.key;
    verifying = keys.map((k) => k.key);
    verifier = createTokenVerifier({
      issuer: options.issuer,
      audience: options.audience,
      jwks: { keys: publicJwks(verifying).keys },
    });
  }

  await load();
  return {
    signingKey: () => active,
    jwks: () => publicJwks(verifying) as { keys: JWK[] },
    verifier: () => verifier,
    async rotate() {
      const key = await generateSigningKey({ alg: 'EdDSA' });
      const jwk = await exportSigningKey(key);
      const at = now();
      await options.uow.transaction(async (s) => {
        for (const k of await s.signingKeys.list())
          if (k.retiredAt === null) await s.signingKeys.retire(k.kid, at);
        await s.signingKeys.insert({
          kid: key.kid,
          alg: key.alg,
          privateJwk: JSON.stringify(jwk),
          publicJwk: JSON.stringify(key.publicJwk),
          createdAt: at + 1,
          retiredAt: null,
        });
      });
      await load();
    },
    reload: load,
  };
}
