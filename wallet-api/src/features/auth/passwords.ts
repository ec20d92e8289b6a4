/**
 * Password hashing with scrypt from node:crypto: a random 16-byte salt per hash, the cost parameters
 * stored in the hash string so they can be raised later without breaking old hashes, and a
 * constant-time comparison.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost: N = 2^15, r = 8, p = 1 (about 32 MiB, tens of ms). OWASP prefers N = 2^17; the cost travels in each hash, so raising it later keeps old hashes valid. */
export const scryptCost = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Derived key length, in bytes. */
export const scryptKeyBytes = 32;
/** Salt length, in bytes. */
export const saltBytes = 16;
/** Password length bounds, in characters: long passphrases welcome, unbounded input is not. */
export const passwordLengthMin = 10;
export const passwordLengthMax = 200;

function derive(
  password: string,
  salt: Buffer,
  cost: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      scryptKeyBytes,
      { ...cost, maxmem: 256 * cost.N * cost.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** `scrypt$N$r$p$salt$key` with base64url salt and key. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, scryptCost);
  return [
    'scrypt',
    scryptCost.N,
    scryptCost.r,
    scryptCost.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** True when `password` matches `stored`; false for any malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 2 ** 20) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (expected.length !== scryptKeyBytes) return false;
  const actual = await derive(password, salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}

/** A hash of a random password: verifying against it costs what a real check costs, so an unknown email takes as long as a wrong password. */
export const decoyHash = await hashPassword(randomBytes(24).toString('base64url'));
