/**
 * The signing key ring: Ed25519 keys generated at first start and stored in SQL (so every instance
 * and every restart signs with the same keys), each with a `kid`. The newest unretired key signs; the
 * JWKS lists every unretired key plus retired ones young enough to have signed a live token, so a
 * rotation never invalidates tokens already issued. Private keys are stored encrypted with the
 * configured secret (key-encryption.ts); a key an older version stored in clear is encrypted on load.
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
import { decryptPrivateKey, encryptPrivateKey, isEncryptedKey } from './key-encryption.js';

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
  /** The secret private keys are encrypted with (AUTH_KEY_ENCRYPTION_SECRET). */
  secret: string;
  now?: () => number;
}

export async function createKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const now = options.now ?? Date.now;
  let active: SigningKey;
  let verifying: SigningKey[] = [];
  let verifier: TokenVerifier;
  /** Decrypted keys by their stored form: a reload does not pay scrypt again for the same row. */
  const decrypted = new Map<string, SigningKey>();
  const seal = (jwk: JWK, kid: string) =>
    encryptPrivateKey(JSON.stringify(jwk), options.secret, kid);

  async function open(k: { kid: string; privateJwk: string }): Promise<SigningKey> {
    const cached = decrypted.get(k.privateJwk);
    if (cached) return cached;
    let text = k.privateJwk;
    if (isEncryptedKey(text)) text = await decryptPrivateKey(text, options.secret, k.kid);
    else {
      // Stored in clear by an older version: encrypt it in place.
      const sealed = await encryptPrivateKey(text, options.secret, k.kid);
      await options.uow.transaction((s) => s.signingKeys.setPrivateJwk(k.kid, sealed));
    }
    const key = await importSigningKey(JSON.parse(text) as JWK);
    invariant(key.kid === k.kid, `signing key row ${k.kid} holds key ${key.kid}`);
    decrypted.set(k.privateJwk, key);
    return key;
  }

  async function load(): Promise<void> {
    let stored = await options.uow.read.signingKeys.list();
    if (!stored.some((k) => k.retiredAt === null)) {
      const key = await generateSigningKey({ alg: 'EdDSA' });
      const jwk = await exportSigningKey(key);
      const privateJwk = await seal(jwk, key.kid);
      await options.uow.transaction((s) =>
        s.signingKeys.insert({
          kid: key.kid,
          alg: key.alg,
          privateJwk,
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
    const keys = await Promise.all(live.map(async (k) => ({ stored: k, key: await open(k) })));
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
      const privateJwk = await seal(await exportSigningKey(key), key.kid);
      const at = now();
      await options.uow.transaction(async (s) => {
        for (const k of await s.signingKeys.list())
          if (k.retiredAt === null) await s.signingKeys.retire(k.kid, at);
        await s.signingKeys.insert({
          kid: key.kid,
          alg: key.alg,
          privateJwk,
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
