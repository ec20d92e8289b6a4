import test, { type ExecutionContext } from 'ava';
import { base64url, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import Koa from 'koa';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assertCanActFor,
  authScopes,
  bearerHeadersRememberedMax,
  bearerToken,
  createTokenVerifier,
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  publicJwks,
  requireAuth,
  requireScopes,
  signAccessToken,
  type AuthContext,
  type AuthState,
} from './auth.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';
import { problemMiddleware } from './http.js';
import { createMemoryLogger } from './log.js';
import { createTestIssuer, testAudience, testIssuerUrl } from './testing/tokens.js';

const encodeSegment = (value: unknown) => base64url.encode(JSON.stringify(value));
const nowSeconds = () => Math.floor(Date.now() / 1000);

function validClaims(kid: string) {
  return {
    header: { alg: 'EdDSA', kid, typ: 'at+jwt' },
    payload: {
      iss: testIssuerUrl,
      aud: testAudience,
      sub: 'user_1',
      iat: nowSeconds(),
      exp: nowSeconds() + 600,
      jti: 'jti-1',
      scope: 'wallets:read',
    },
  };
}

async function rejects(t: ExecutionContext, promise: Promise<unknown>, reason: RegExp) {
  const error = await t.throwsAsync(promise, { instanceOf: UnauthorizedError });
  t.regex(error.message, reason);
  t.is(error.status, 401);
}

test('a valid EdDSA user token yields the typed identity', async (t) => {
  const issuer = await createTestIssuer();
  const token = await issuer.userToken('user_1', { tokenId: 'abc' });
  const auth = await issuer.verifier.verify(token);
  t.is(auth.subject, 'user_1');
  t.is(auth.kind, 'user');
  t.is(auth.clientId, 'spendstream-web');
  t.is(auth.tokenId, 'abc');
  t.is(auth.keyId, issuer.key.kid);
  t.true(auth.scopes.includes(authScopes.walletsRead));
  t.true(auth.expiresAt.getTime() > Date.now());
  t.is(auth.userIds, undefined);
});

test('a valid RS256 machine-client token yields the client identity and its users', async (t) => {
  const issuer = await createTestIssuer({ alg: 'RS256' });
  const token = await issuer.clientToken(
    'acme-bank',
    ['user_1', 'user_2'],
    [authScopes.transactionsWrite],
  );
  const auth = await issuer.verifier.verify(token);
  t.is(auth.kind, 'client');
  t.is(auth.subject, 'acme-bank');
  t.deepEqual(auth.userIds, ['user_1', 'user_2']);
  t.deepEqual(auth.scopes, ['transactions:write']);
});

test('alg none is refused', async (t) => {
  const issuer = await createTestIssuer();
  const { header, payload } = validClaims(issuer.key.kid);
  const token = `${encodeSegment({ ...header, alg: 'none' })}.${encodeSegment(payload)}.`;
  await rejects(t, issuer.verifier.verify(token), /algorithm none is not allowed/);
});

test('HS256 signed with the public key bytes (key confusion) is refused', async (t) => {
  const issuer = await createTestIssuer({ alg: 'RS256' });
  const { header, payload } = validClaims(issuer.key.kid);
  const publicKey = (await importJWK(issuer.key.publicJwk, 'RS256', {
    extractable: true,
  })) as CryptoKey;
  const publicPem = await exportSPKI(publicKey);
  t.regex(publicPem, /BEGIN PUBLIC KEY/);
  for (const secret of [
    publicPem,
    JSON.stringify(issuer.key.publicJwk),
    Buffer.from(issuer.key.publicJwk.n ?? '', 'base64url'),
  ]) {
    const signingInput = `${encodeSegment({ ...header, alg: 'HS256' })}.${encodeSegment(payload)}`;
    const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
    await rejects(
      t,
      issuer.verifier.verify(`${signingInput}.${signature}`),
      /algorithm HS256 is not allowed/,
    );
  }
});

test('a token without kid is refused even when the key set has one key', async (t) => {
  const issuer = await createTestIssuer();
  const { payload } = validClaims(issuer.key.kid);
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
    .sign(issuer.key.privateKey);
  await rejects(t, issuer.verifier.verify(token), /no key id/);
});

test('an unknown kid is refused', async (t) => {
  const issuer = await createTestIssuer();
  const stranger = await generateSigningKey();
  const token = await signAccessToken(stranger, {
    issuer: issuer.issuer,
    audience: issuer.audience,
    subject: 'user_1',
    scopes: [],
  });
  await rejects(t, issuer.verifier.verify(token), /kid\) is not in the key set/);
});

test('a forged key that reuses the real kid fails the signature check', async (t) => {
  const issuer = await createTestIssuer();
  const forger = await generateSigningKey({ kid: issuer.key.kid });
  const token = await signAccessToken(forger, {
    issuer: issuer.issuer,
    audience: issuer.audience,
    subject: 'user_1',
    scopes: [],
  });
  await rejects(t, issuer.verifier.verify(token), /signature is invalid/);
});

test('an expired token is refused', async (t) => {
  const issuer = await createTestIssuer();
  const token = await issuer.userToken('user_1', {
    issuedAt: new Date(Date.now() - 3600_000),
    ttlSeconds: 900,
  });
  await rejects(t, issuer.verifier.verify(token), /expired/);
});

test('a token for another audience is refused', async (t) => {
  const issuer = await createTestIssuer();
  await rejects(
    t,
    issuer.verifier.verify(await issuer.userToken('user_1', { audience: 'someone-else' })),
    /claim aud/,
  );
});

test('a token from another issuer is refused', async (t) => {
  const issuer = await createTestIssuer();
  await rejects(
    t,
    issuer.verifier.verify(await issuer.userToken('user_1', { issuer: 'https://evil.test' })),
    /claim iss/,
  );
});

test('a tampered payload fails the signature check', async (t) => {
  const issuer = await createTestIssuer();
  const [header, payload, signature] = (await issuer.userToken('user_1')).split('.');
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ''))) as Record<
    string,
    unknown
  >;
  const forged = `${header}.${encodeSegment({ ...claims, sub: 'user_2' })}.${signature}`;
  await rejects(t, issuer.verifier.verify(forged), /signature is invalid/);
});

test('a token of another type (not at+jwt) is refused', async (t) => {
  const issuer = await createTestIssuer();
  const { payload } = validClaims(issuer.key.kid);
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: issuer.key.kid, typ: 'JWT' })
    .sign(issuer.key.privateKey);
  await rejects(t, issuer.verifier.verify(token), /claim typ/);
});

test('an allow-listed family but other algorithm (RS384, ES256) is refused', async (t) => {
  const issuer = await createTestIssuer();
  for (const alg of ['RS384', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg);
    const token = await new SignJWT(validClaims(issuer.key.kid).payload)
      .setProtectedHeader({ alg, kid: issuer.key.kid, typ: 'at+jwt' })
      .sign(privateKey);
    await rejects(t, issuer.verifier.verify(token), new RegExp(`algorithm ${alg} is not allowed`));
  }
});

test('garbage, empty and oversized tokens are refused as malformed', async (t) => {
  const issuer = await createTestIssuer();
  for (const token of ['', 'abc', 'a.b.c', 'x'.repeat(9000)]) {
    await rejects(t, issuer.verifier.verify(token), /malformed/);
  }
});

test('a user token carrying user_ids is refused (only machine clients act for others)', async (t) => {
  const issuer = await createTestIssuer();
  const token = await issuer.token({ subject: 'user_1', clientId: 'app', userIds: ['user_2'] });
  await rejects(t, issuer.verifier.verify(token), /user_ids/);
});

test('a signing key survives export and import and keeps verifying', async (t) => {
  const key = await generateSigningKey();
  const stored = JSON.parse(JSON.stringify(await exportSigningKey(key)));
  const loaded = await importSigningKey(stored);
  t.is(loaded.kid, key.kid);
  t.is(loaded.publicJwk.d, undefined);
  t.deepEqual(publicJwks([loaded]), publicJwks([key]));
  const verifier = createTokenVerifier({ issuer: 'i', audience: 'a', jwks: publicJwks([key]) });
  const token = await signAccessToken(loaded, {
    issuer: 'i',
    audience: 'a',
    subject: 's',
    scopes: ['x'],
  });
  t.is((await verifier.verify(token)).subject, 's');
});

test('signAccessToken refuses a lifetime beyond the maximum', async (t) => {
  const key = await generateSigningKey();
  await t.throwsAsync(
    signAccessToken(key, {
      issuer: 'i',
      audience: 'a',
      subject: 's',
      scopes: [],
      ttlSeconds: 86400,
    }),
    {
      message: /ttlSeconds/,
    },
  );
});

async function serveJwks(
  body: () => unknown,
): Promise<{ url: string; fetches: () => number; server: Server }> {
  let count = 0;
  const server = createServer((_request, response) => {
    count += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, fetches: () => count, server };
}

test('a remote JWKS is fetched once, cached, refetched for a new kid after the cooldown only', async (t) => {
  const first = await generateSigningKey();
  const second = await generateSigningKey();
  let published = [first];
  const remote = await serveJwks(() => publicJwks(published));
  t.teardown(() => remote.server.close());
  const verifier = createTokenVerifier({
    issuer: 'i',
    audience: 'a',
    jwks: { url: remote.url, cooldownMs: 300, cacheMaxAgeMs: 60_000 },
  });
  const claims = { issuer: 'i', audience: 'a', subject: 'user_1', scopes: [] };
  t.is((await verifier.verify(await signAccessToken(first, claims))).subject, 'user_1');
  await verifier.verify(await signAccessToken(first, claims));
  t.is(remote.fetches(), 1, 'the key set is cached');

  // Rotation: the issuer publishes a second key. Within the cooldown an unknown kid does not refetch.
  published = [first, second];
  const rotated = await signAccessToken(second, claims);
  await rejects(t, verifier.verify(rotated), /not in the key set/);
  t.is(remote.fetches(), 1, 'no refetch during the cooldown');
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.is((await verifier.verify(rotated)).subject, 'user_1');
  t.is(remote.fetches(), 2, 'one refetch after the cooldown finds the new key');
  await rejects(
    t,
    verifier.verify(await signAccessToken(await generateSigningKey(), claims)),
    /not in the key set/,
  );
  t.is(remote.fetches(), 2, 'an unknown kid right after a fetch does not refetch');
});

test('an unreachable JWKS is an authentication failure, not a crash', async (t) => {
  const remote = await serveJwks(() => ({}));
  const url = remote.url;
  await new Promise((resolve) => remote.server.close(resolve));
  const key = await generateSigningKey();
  const verifier = createTokenVerifier({
    issuer: 'i',
    audience: 'a',
    jwks: { url, timeoutMs: 500 },
  });
  await t.throwsAsync(
    verifier.verify(
      await signAccessToken(key, { issuer: 'i', audience: 'a', subject: 's', scopes: [] }),
    ),
    {
      instanceOf: UnauthorizedError,
    },
  );
});

async function serveApp(app: Koa<AuthState>): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('requireAuth sets ctx.state.auth and maps failures to 401 and 403', async (t) => {
  const issuer = await createTestIssuer();
  const app = new Koa<AuthState>();
  // The shared problem+json renderer: 401/403 must come out as problems with WWW-Authenticate kept.
  app.use(problemMiddleware(createMemoryLogger().log));
  app.use(requireAuth(issuer.verifier, { scopes: [authScopes.walletsRead] }));
  app.use(requireScopes<AuthState>(authScopes.walletsRead));
  app.use((ctx) => {
    ctx.body = { subject: ctx.state.auth.subject, scopes: ctx.state.auth.scopes };
  });
  const { url, server } = await serveApp(app);
  t.teardown(() => server.close());

  const call = (authorization?: string) =>
    fetch(`${url}/`, { headers: authorization === undefined ? {} : { authorization } });

  const ok = await call(`Bearer ${await issuer.userToken('user_1')}`);
  t.is(ok.status, 200);
  t.is(((await ok.json()) as { subject: string }).subject, 'user_1');

  const missing = await call();
  t.is(missing.status, 401);
  t.is(missing.headers.get('www-authenticate'), 'Bearer');
  t.is(missing.headers.get('content-type'), 'application/problem+json');
  t.is(((await missing.json()) as { type: string }).type, 'urn:spendstream:problem:unauthorized');

  const basic = await call('Basic dXNlcjpwYXNz');
  t.is(basic.status, 401);

  const expired = await call(
    `Bearer ${await issuer.userToken('user_1', { issuedAt: new Date(Date.now() - 7200_000) })}`,
  );
  t.is(expired.status, 401);
  t.regex(expired.headers.get('www-authenticate') ?? '', /invalid_token/);

  const noScope = await call(
    `Bearer ${await issuer.userToken('user_1', { scopes: ['alerts:read'] })}`,
  );
  t.is(noScope.status, 403);
  t.regex(noScope.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  t.regex(((await noScope.json()) as { detail: string }).detail, /missing scope wallets:read/);
});

test('bearerToken answers a remembered header as the pattern does: a one-character change, a bad header, the ring passed', (t) => {
  const header = (value: string) => ({
    get: (name: string) => (name === 'authorization' ? value : ''),
  });
  const long = 'a'.repeat(6_000);
  const token = `${long}.sig`;
  t.is(bearerToken(header(`Bearer ${token}`)), token);
  // The same text again (a new string, as each request's header is): the same token.
  t.is(bearerToken(header(`Bearer ${long}.sig`)), token);
  // The same length, one character changed: its own token, not the remembered one.
  t.is(bearerToken(header(`Bearer ${long}.siG`)), `${long}.siG`);
  t.is(bearerToken(header(`bearer   ${long}.sig  `)), token);
  // A header that failed is never remembered: it fails every time.
  for (let i = 0; i < 2; i++) {
    t.throws(() => bearerToken(header(`Bearer ${long}.s g`)), { instanceOf: UnauthorizedError });
    t.throws(() => bearerToken(header(`Basic ${token}`)), { instanceOf: UnauthorizedError });
  }
  t.is(bearerToken(header('')), undefined);
  t.throws(() => bearerToken(header(`Bearer ${'a'.repeat(9_000)}`)), {
    message: 'authorization header too long',
  });
  // More headers than the ring holds: each still gives its own token.
  const tokens = Array.from({ length: bearerHeadersRememberedMax * 2 + 1 }, (_, i) => `t${i}.x`);
  for (let round = 0; round < 2; round++) {
    for (const each of tokens) t.is(bearerToken(header(`Bearer ${each}`)), each);
  }
});

test('assertCanActFor lets users reach only their own data and clients only their users', (t) => {
  const base = { scopes: [], expiresAt: new Date(), keyId: 'k' };
  const user: AuthContext = { ...base, subject: 'user_1', kind: 'user' };
  const client: AuthContext = {
    ...base,
    subject: 'bank',
    kind: 'client',
    clientId: 'bank',
    userIds: ['user_2'],
  };
  t.notThrows(() => assertCanActFor(user, 'user_1'));
  t.throws(() => assertCanActFor(user, 'user_2'), { instanceOf: ForbiddenError });
  t.notThrows(() => assertCanActFor(client, 'user_2'));
  t.throws(() => assertCanActFor(client, 'user_1'), { instanceOf: ForbiddenError });
});
