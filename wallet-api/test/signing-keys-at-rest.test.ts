/**
 * Private signing keys are encrypted at rest (SQLite and the real MariaDB): the stored value is not
 * the key, a wrong secret stops the app with a message that says so, a key stored in clear by an
 * older version is encrypted on load and keeps verifying the tokens it signed.
 */
import test from 'ava';
import type { JWK } from 'jose';
import { exportSigningKey, generateSigningKey } from '@spendstream/core/auth';
import { createMemoryLogger } from '@spendstream/core/log';
import { createWalletApp } from '../src/app.js';
import {
  KeyDecryptionError,
  decryptPrivateKey,
  encryptPrivateKey,
  keyEnvelopePrefix,
} from '../src/features/auth/key-encryption.js';
import { openTestDb } from './test-db.js';

const secret = 'a-test-secret-of-at-least-thirty-two-characters';
const otherSecret = 'another-test-secret-of-thirty-two-characters!';

test('a private key encrypts to something else, decrypts with its secret and kid only', async (t) => {
  const plain = '{"kty":"OKP","crv":"Ed25519","d":"c2VjcmV0LXBhcnQ","x":"cHVibGljLXBhcnQ"}';
  const sealed = await encryptPrivateKey(plain, secret, 'kid-1');
  t.true(sealed.startsWith(keyEnvelopePrefix));
  t.false(sealed.includes('c2VjcmV0LXBhcnQ'));
  t.not(await encryptPrivateKey(plain, secret, 'kid-1'), sealed, 'a fresh salt and iv each time');
  t.is(await decryptPrivateKey(sealed, secret, 'kid-1'), plain);
  const wrong = await t.throwsAsync(decryptPrivateKey(sealed, otherSecret, 'kid-1'), {
    instanceOf: KeyDecryptionError,
  });
  t.regex(wrong.message, /AUTH_KEY_ENCRYPTION_SECRET is not the secret/);
  await t.throwsAsync(decryptPrivateKey(sealed, secret, 'kid-2'), {
    instanceOf: KeyDecryptionError,
  });
  await t.throwsAsync(decryptPrivateKey(tamperedCiphertext(sealed), secret, 'kid-1'), {
    instanceOf: KeyDecryptionError,
  });
});

/**
 * The sealed key with one bit of its ciphertext flipped. (Overwriting the last two characters
 * with `AA` changed nothing when they already decoded to the same bytes, about one run in a few
 * hundred, and failed CI once.)
 */
function tamperedCiphertext(sealed: string): string {
  const parts = sealed.slice(keyEnvelopePrefix.length).split(':');
  const ciphertext = Buffer.from(parts[3]!, 'base64url');
  ciphertext[0] = ciphertext[0]! ^ 1;
  parts[3] = ciphertext.toString('base64url');
  return keyEnvelopePrefix + parts.join(':');
}

for (const kind of ['sqlite', 'mariadb'] as const) {
  test(`${kind}: signing keys are stored encrypted, a wrong secret fails clearly, a clear key is encrypted on load`, async (t) => {
    const db = await openTestDb(kind);
    t.teardown(() => db.close());
    const { log, records } = createMemoryLogger('wallet-api', 'warn');

    // A key an older version stored in clear.
    const legacy = await generateSigningKey({ alg: 'EdDSA' });
    const legacyJwk = (await exportSigningKey(legacy)) as JWK;
    await db.knex('signing_keys').insert({
      kid: legacy.kid,
      alg: legacy.alg,
      private_jwk: JSON.stringify(legacyJwk),
      public_jwk: JSON.stringify(legacy.publicJwk),
      created_at: Date.now() - 1000,
      retired_at: null,
    });

    const app = createWalletApp({ log, sql: db.knex, keyEncryptionSecret: secret });
    const { keys, auth } = await app.ready;
    t.is(keys.signingKey().kid, legacy.kid, 'the clear key loaded and signs');
    const email = `keys-${kind}@example.test`;
    await auth.register({
      email,
      password: 'a-long-enough-password',
      displayName: 'Keys',
      homeCurrency: 'EUR',
      timeZone: 'UTC',
    });
    const { accessToken } = await auth.login(email, 'a-long-enough-password', '127.0.0.1');
    await keys.rotate();
    t.not(keys.signingKey().kid, legacy.kid);
    t.is(
      (await keys.verifier().verify(accessToken)).subject.length > 0,
      true,
      'a token the legacy key signed still verifies after rotation',
    );

    const rows = (await db.knex('signing_keys').select('kid', 'private_jwk')) as Array<{
      kid: string;
      private_jwk: string;
    }>;
    t.is(rows.length, 2);
    for (const row of rows) {
      t.true(row.private_jwk.startsWith(keyEnvelopePrefix), `${row.kid} is encrypted`);
      t.false(row.private_jwk.includes('"d"'), 'no JWK in clear');
    }
    t.false(
      rows.some((r) => r.private_jwk.includes(String(legacyJwk.d))),
      'the clear key was replaced',
    );
    t.deepEqual(
      JSON.parse(
        await decryptPrivateKey(
          rows.find((r) => r.kid === legacy.kid)!.private_jwk,
          secret,
          legacy.kid,
        ),
      ),
      legacyJwk,
    );
    t.false(
      records.some((r) => String(r.msg).includes('development secret')),
      'no warning with a configured secret',
    );

    // Another instance with the wrong secret does not start, and says why.
    const { log: wrongLog, records: wrongRecords } = createMemoryLogger('wallet-api', 'warn');
    const wrong = createWalletApp({
      log: wrongLog,
      sql: db.knex,
      keyEncryptionSecret: otherSecret,
    });
    const error = await t.throwsAsync(wrong.ready, { instanceOf: KeyDecryptionError });
    t.regex(error.message, /cannot decrypt signing key .*AUTH_KEY_ENCRYPTION_SECRET/);
    t.true(wrongRecords.some((r) => String(r.error).includes('cannot decrypt signing key')));

    // Without a secret the app warns that it runs on the development default.
    const { log: devLog, records: devRecords } = createMemoryLogger('wallet-api', 'warn');
    const devDb = await openTestDb(kind);
    t.teardown(() => devDb.close());
    await createWalletApp({ log: devLog, sql: devDb.knex }).ready;
    t.true(devRecords.some((r) => String(r.msg).includes('development secret')));
  });
}
