import test from 'ava';
import { UnauthorizedError } from '@spendstream/core/errors';
import { createTestIssuer } from '@spendstream/core/testing/tokens';
import { cachingVerifier } from './verify-cache.js';

test('a cached token is served until its own expiry and then verified again; another string never comes from the cache', async (t) => {
  const issuer = await createTestIssuer();
  let calls = 0;
  let clock = Date.now();
  const verifier = cachingVerifier(
    {
      verify: async (token) => {
        calls += 1;
        return issuer.verifier.verify(token);
      },
    },
    () => clock,
  );
  const token = await issuer.userToken('user_1', { ttlSeconds: 60 });
  t.is((await verifier.verify(token)).subject, 'user_1');
  t.is((await verifier.verify(token)).subject, 'user_1');
  t.is(calls, 1, 'the second call came from the cache');
  clock += 61_000;
  // Past exp the cache lets go; the inner verifier decides (here on the real clock, so it still
  // accepts) and is asked again.
  await verifier.verify(token);
  t.is(calls, 2);
  const forged = `${token.slice(0, -4)}AAAA`;
  await t.throwsAsync(() => verifier.verify(forged), { instanceOf: UnauthorizedError });
  t.is(calls, 3, 'a different string is never served from the cache');
});
