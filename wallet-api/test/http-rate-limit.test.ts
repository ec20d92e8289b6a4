/**
 * Login rate limits live in the database: two wallet-api instances on one database (SQLite and the
 * real MariaDB) count against the same limit, concurrent guesses cannot slip past it, the 429 names
 * when to come back, and no email or address is stored in clear.
 */
import test from 'ava';
import { loginFailuresPerAccountMax } from '../src/features/auth/service.js';
import { startHarness } from './http-harness.js';
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
