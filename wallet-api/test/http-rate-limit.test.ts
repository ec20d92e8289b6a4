/**
 * Login rate limits live in the database: two wallet-api instances on one database (SQLite and the
 * real MariaDB) count against the same limit, concurrent guesses cannot slip past it (at login, at
 * a password change, at client credentials), the 429 names when to come back, and no email or
 * address is stored in clear.
 */
import test from 'ava';
import {
  loginAttemptsPerAddressMax,
  loginFailuresPerAccountMax,
} from '../src/features/auth/service.js';
import { adminEmail, startHarness } from './http-harness.js';
import { openTestDb } from './test-db.js';
import type { TestDbKind } from './test-db.js';

for (const kind of ['sqlite', 'mariadb'] as const satisfies readonly TestDbKind[]) {
  test(`${kind}: two instances on one database share the per-account login limit`, async (t) => {
    const db = await openTestDb(kind);
    t.teardown(() => db.close());
    const a = await startHarness(t, kind, { db });
    const b = await startHarness(t, kind, { db });
    const alice = await a.signUp();
    const login = (h: typeof a, password: string) =>
      h.call('POST', '/v1/auth/login', { body: { email: alice.email, password } });

    // Wrong passwords alternate between the instances: the limit counts them together.
    for (let i = 0; i < loginFailuresPerAccountMax; i += 1) {
      t.is((await login(i % 2 === 0 ? a : b, `wrong-password-${i}`)).status, 401);
    }
    for (const h of [a, b]) {
      const limited = await login(h, alice.password);
      t.is(limited.status, 429, 'the right password waits out the window on either instance');
      t.is(limited.json.code, 'rate_limited');
      t.true(Number(limited.headers.get('retry-after')) > 0);
    }

    // Concurrent guesses on a fresh account, spread over both instances: exactly the limit pass.
    const bob = await b.signUp();
    const results = await Promise.all(
      Array.from({ length: 4 * loginFailuresPerAccountMax }, (_, i) =>
        (i % 2 === 0 ? a : b).call('POST', '/v1/auth/login', {
          body: { email: bob.email, password: `guess-${i}-password` },
        }),
      ),
    );
    t.is(results.filter((r) => r.status === 401).length, loginFailuresPerAccountMax);
    t.is(
      results.filter((r) => r.status === 429).length,
      3 * loginFailuresPerAccountMax,
      'every attempt beyond the limit is a 429',
    );

    // Buckets are hashed: neither email appears in the table.
    const buckets = (await db.knex('rate_limits').select('bucket')) as Array<{ bucket: string }>;
    t.true(buckets.length >= 2);
    for (const { bucket } of buckets) {
      t.regex(bucket, /^login-(account|address):[0-9a-f]{64}$/);
      t.false(bucket.includes(alice.email) || bucket.includes(bob.email));
    }
  });
}

test('a successful login clears the account count; failures before it do not add up with later ones', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const login = (password: string) =>
    h.call('POST', '/v1/auth/login', { body: { email: alice.email, password } });
  for (let round = 0; round < 2; round += 1) {
    for (let i = 0; i < loginFailuresPerAccountMax - 1; i += 1)
      t.is((await login(`wrong-password-${round}-${i}`)).status, 401);
    t.is((await login(alice.password)).status, 200);
  }
});

for (const kind of ['sqlite', 'mariadb'] as const satisfies readonly TestDbKind[]) {
  test(`${kind}: concurrent wrong passwords at a password change: exactly the limit are checked`, async (t) => {
    const db = await openTestDb(kind);
    t.teardown(() => db.close());
    const a = await startHarness(t, kind, { db });
    const b = await startHarness(t, kind, { db });
    const alice = await a.signUp();
    const change = (h: typeof a, currentPassword: string) =>
      h.call('POST', '/v1/auth/password', {
        token: alice.accessToken,
        body: { currentPassword, newPassword: 'a brand new password' },
      });
    const results = await Promise.all(
      Array.from({ length: 4 * loginFailuresPerAccountMax }, (_, i) =>
        change(i % 2 === 0 ? a : b, `guess-${i}-password`),
      ),
    );
    t.is(results.filter((r) => r.status === 401).length, loginFailuresPerAccountMax);
    t.is(results.filter((r) => r.status === 429).length, 3 * loginFailuresPerAccountMax);
    // The window is used up: even the right password waits, and the password is unchanged.
    t.is((await change(a, alice.password)).status, 429);
    const login = await a.call('POST', '/v1/auth/login', {
      body: { email: alice.email, password: 'a brand new password' },
    });
    t.is(login.status, 429, 'the account window is shared with login');
  });

  test(`${kind}: client credentials: concurrent wrong secrets from one address: exactly the limit are checked; successes do not count`, async (t) => {
    const db = await openTestDb(kind);
    t.teardown(() => db.close());
    const a = await startHarness(t, kind, { db });
    const b = await startHarness(t, kind, { db });
    const admin = await a.signUp({ email: adminEmail });
    const client = await a.call('POST', '/v1/clients', {
      token: admin.accessToken,
      body: { name: 'Acme Bank', scopes: ['transactions:write'] },
    });
    t.is(client.status, 201);
    const from = { 'x-forwarded-for': '203.0.113.7' };
    const token = (h: typeof a, secret: string) =>
      h.call('POST', '/v1/oauth/token', {
        headers: from,
        body: {
          grant_type: 'client_credentials',
          client_id: client.json.clientId,
          client_secret: secret,
        },
      });
    // A busy client fetching more tokens than the limit: its successes take their count back.
    for (let i = 0; i < loginAttemptsPerAddressMax + 5; i += 1)
      t.is((await token(i % 2 === 0 ? a : b, client.json.clientSecret)).status, 200);
    const results = await Promise.all(
      Array.from({ length: 3 * loginAttemptsPerAddressMax }, (_, i) =>
        token(i % 2 === 0 ? a : b, `cs_wrong_${i}`),
      ),
    );
    t.is(results.filter((r) => r.status === 401).length, loginAttemptsPerAddressMax);
    t.is(results.filter((r) => r.status === 429).length, 2 * loginAttemptsPerAddressMax);
    t.is(
      (await token(a, client.json.clientSecret)).status,
      429,
      'the address waits out the window',
    );
    // Another address is not affected.
    const other = await a.call('POST', '/v1/oauth/token', {
      headers: { 'x-forwarded-for': '203.0.113.8' },
      body: {
        grant_type: 'client_credentials',
        client_id: client.json.clientId,
        client_secret: client.json.clientSecret,
      },
    });
    t.is(other.status, 200);
  });
}
