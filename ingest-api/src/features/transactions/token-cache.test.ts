import test from 'ava';
import type { AuthContext, TokenVerifier } from '@spendstream/core/auth';
import { UnauthorizedError } from '@spendstream/core/errors';
import { cachingVerifier, tokenCacheEntriesMax, tokenCacheMs } from './token-cache.js';

const start = Date.parse('2026-11-26T10:00:00Z');

/** A verifier that knows a fixed set of tokens and counts its calls. */
function countingVerifier(known: Map<string, AuthContext>) {
  const calls: string[] = [];
  const verifier: TokenVerifier = {
    async verify(token) {
      calls.push(token);
      const auth = known.get(token);
      if (!auth) throw new UnauthorizedError('invalid token');
      return auth;
    },
  };
  return { verifier, calls };
}

const auth = (subject: string, expiresAtMs = start + 3_600_000): AuthContext => ({
  subject,
  kind: 'client',
  scopes: ['transactions:write'],
  expiresAt: new Date(expiresAtMs),
  keyId: 'k1',
});

test('a verified token is served from the cache, a copy of its text too', async (t) => {
  const token = `h.${'p'.repeat(5_000)}.sig1`;
  const { verifier, calls } = countingVerifier(new Map([[token, auth('bank-a')]]));
  const cached = cachingVerifier(verifier, () => start);
  t.is((await cached.verify(token)).subject, 'bank-a');
  t.is((await cached.verify(`${token} `.slice(0, -1))).subject, 'bank-a');
  t.is(calls.length, 1);
});

test('a token that shares only the signature is verified on its own', async (t) => {
  const a = 'h.payload-a.same-sig';
  const b = 'h.payload-b.same-sig';
  const { verifier, calls } = countingVerifier(new Map([[a, auth('bank-a')]]));
  const cached = cachingVerifier(verifier, () => start);
  t.is((await cached.verify(a)).subject, 'bank-a');
  await t.throwsAsync(cached.verify(b), { instanceOf: UnauthorizedError });
  t.deepEqual(calls, [a, b]);
  // A failure is not remembered, and the good token is still known after it.
  await t.throwsAsync(cached.verify(b), { instanceOf: UnauthorizedError });
  t.is((await cached.verify(a)).subject, 'bank-a');
  t.deepEqual(calls, [a, b, b]);
});

test('a cached token is checked again after tokenCacheMs, and never honoured past its exp', async (t) => {
  let now = start;
  const long = 'h.long.sig-long';
  const short = 'h.short.sig-short';
  const known = new Map([
    [long, auth('bank-long')],
    [short, auth('bank-short', start + 10_000)],
  ]);
  const { verifier, calls } = countingVerifier(known);
  const cached = cachingVerifier(verifier, () => now);
  await cached.verify(long);
  await cached.verify(short);
  now = start + 9_999;
  await cached.verify(short);
  t.deepEqual(calls, [long, short]);
  // Past exp: asked again (here the verifier now refuses it, as an expired token).
  now = start + 10_000;
  known.delete(short);
  await t.throwsAsync(cached.verify(short), { instanceOf: UnauthorizedError });
  await cached.verify(long);
  t.deepEqual(calls, [long, short, short]);
  now = start + tokenCacheMs;
  await cached.verify(long);
  t.deepEqual(calls, [long, short, short, long]);
});

test('the cache holds at most tokenCacheEntriesMax tokens', async (t) => {
  const known = new Map<string, AuthContext>();
  for (let i = 0; i <= tokenCacheEntriesMax; i++) known.set(`h.p.sig${i}`, auth(`c${i}`));
  const { verifier, calls } = countingVerifier(known);
  const cached = cachingVerifier(verifier, () => start);
  for (let i = 0; i < tokenCacheEntriesMax; i++) await cached.verify(`h.p.sig${i}`);
  await cached.verify('h.p.sig0');
  t.is(calls.length, tokenCacheEntriesMax);
  // One more token: the cache is emptied first, so the first token is verified again.
  await cached.verify(`h.p.sig${tokenCacheEntriesMax}`);
  await cached.verify('h.p.sig0');
  t.is(calls.length, tokenCacheEntriesMax + 2);
});
