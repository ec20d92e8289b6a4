/**
 * Private signing keys at rest: AES-256-GCM (node:crypto) under a key derived with scrypt from
 * `AUTH_KEY_ENCRYPTION_SECRET` and a random salt per stored key. The key id is the additional
 * authenticated data, so a ciphertext copied onto another key's row does not decrypt. A wrong
 * secret fails the GCM tag check and is reported as such, never as a garbled key.
 *
 * Stored form: `enc:v1:<salt>:<iv>:<tag>:<ciphertext>` (base64url parts). A row without the prefix
 * is a key stored in clear by an older version; the key ring encrypts it on load.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

/** Prefix of an encrypted private key. */
export const keyEnvelopePrefix = 'enc:v1:';
/** Shortest accepted secret, characters (about 192 bits of a random base64 string). */
export const keyEncryptionSecretLengthMin = 32;
/**
 * The secret when none is configured outside production: it keeps keys out of the database in
 * clear, but anyone with this source can decrypt them, so the app warns at start and production
 * configuration requires a real one.
 */
export const devKeyEncryptionSecret = 'spendstream-development-only-key-encryption-secret';

/** scrypt cost: N = 2^15, r = 8, p = 1 (about 50 ms, once per key and load). */
const scryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const saltBytes = 16;
const ivBytes = 12;

/** The stored key could not be decrypted: the secret is not the one it was stored with (or the row was altered). */
export class KeyDecryptionError extends Error {
  constructor(kid: string, options?: { cause?: unknown }) {
    super(
      `cannot decrypt signing key ${kid}: AUTH_KEY_ENCRYPTION_SECRET is not the secret it was stored with, or the stored key was altered`,
      options,
    );
    this.name = 'KeyDecryptionError';
  }
}

function deriveKey(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, scryptOptions, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export function isEncryptedKey(stored: string): boolean {
  return stored.startsWith(keyEnvelopePrefix);
}

/** Encrypt a private JWK (its JSON text) for the row of `kid`. */
export async function encryptPrivateKey(
  plain: string,
  secret: string,
  kid: string,
): Promise<string> {
  const salt = randomBytes(saltBytes);
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(secret, salt), iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return (
    keyEnvelopePrefix +
    [salt, iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url')).join(':')
  );
}

/** Decrypt what `encryptPrivateKey` stored; KeyDecryptionError on a wrong secret or altered row. */
export async function decryptPrivateKey(
  stored: string,
  secret: string,
  kid: string,
): Promise<string> {
  const parts = stored.slice(keyEnvelopePrefix.length).split(':');
  if (!isEncryptedKey(stored) || parts.length !== 4) throw new KeyDecryptionError(kid);
  const [salt, iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url')) as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  try {
    const decipher = createDecipheriv('aes-256-gcm', await deriveKey(secret, salt), iv);
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new KeyDecryptionError(kid, { cause: error });
  }
}
