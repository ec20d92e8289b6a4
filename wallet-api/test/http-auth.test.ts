/**
 * Accounts and tokens over HTTP: the token attacks a verifier must refuse, refresh rotation with
 * family revocation on reuse, login brute force, one answer for unknown email and wrong password,
 * machine clients limited to the users who granted them, and no password hash in any response.
 */
import test from 'ava';
import { createHmac } from 'node:crypto';
import { generateSigningKey, signAccessToken, userScopesDefault } from '@spendstream/core/auth';
import { adminEmail, startHarness } from './http-harness.js';
import type { Harness } from './http-harness.js';
import { issuerDefault, audienceDefault } from '../src/app.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function realKey(h: Harness) {
  return (await h.app.ready).keys.signingKey();
}

test('forged, expired, misdirected and tampered tokens are all refused with 401', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const key = await realKey(h);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuerDefault,
    aud: audienceDefault,
    sub: alice.userId,
    iat: now,
    exp: now + 600,
    jti: 'x',
    scope: userScopesDefault.join(' '),
  };
  const attacks: Record<string, string> = {};
  attacks['alg none'] = `${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64(claims)}.`;
  // HS256 keyed with the public key: the classic algorithm-confusion forgery.
  const hsInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64(claims)}`;
  const publicKeyBytes = Buffer.from(String(key.publicJwk.x), 'base64url');
  attacks['HMAC with the public key bytes'] =
    `${hsInput}.${createHmac('sha256', publicKeyBytes).update(hsInput).digest('base64url')}`;
  attacks['HMAC with the public JWK text'] =
    `${hsInput}.${createHmac('sha256', JSON.stringify(key.publicJwk)).update(hsInput).digest('base64url')}`;
  const stranger = await generateSigningKey();
  attacks['unknown kid'] = await signAccessToken(stranger, {
    issuer: issuerDefault,
    audience: audienceDefault,
    subject: alice.userId,
    scopes: userScopesDefault,
  });
  attacks['known kid, other key'] = await signAccessToken(
    { ...stranger, kid: key.kid },
    {
      issuer: issuerDefault,
      audience: audienceDefault,
      subject: alice.userId,
      scopes: userScopesDefault,
    },
  );
  attacks.expired = await signAccessToken(key, {
    issuer: issuerDefault,
    audience: audienceDefault,
    subject: alice.userId,
    scopes: userScopesDefault,
    ttlSeconds: 60,
    issuedAt: new Date(Date.now() - 3600_000),
  });
  attacks['wrong audience'] = await signAccessToken(key, {
    issuer: issuerDefault,
    audience: 'another-api',
    subject: alice.userId,
    scopes: userScopesDefault,
  });
  attacks['wrong issuer'] = await signAccessToken(key, {
    issuer: 'https://evil.test',
    audience: audienceDefault,
    subject: alice.userId,
    scopes: userScopesDefault,
  });
  const [header, , signature] = alice.accessToken.split('.');
  const payload = JSON.parse(
    Buffer.from(alice.accessToken.split('.')[1]!, 'base64url').toString(),
  ) as Record<string, unknown>;
  attacks['tampered payload'] =
    `${header}.${b64({ ...payload, sub: 'someone-else' })}.${signature}`;
  attacks.garbage = 'not.a.token';

  const ok = await h.call('GET', '/v1/wallets', { token: alice.accessToken });
  t.is(ok.status, 200, 'the genuine token works');
  for (const [name, token] of Object.entries(attacks)) {
    const response = await h.call('GET', '/v1/wallets', { token });
    t.is(response.status, 401, name);
    t.is(response.json.code, 'unauthorized', name);
    t.regex(response.headers.get('www-authenticate') ?? '', /Bearer/, name);
  }
  t.is((await h.call('GET', '/v1/wallets')).status, 401, 'no token');
});

test('the JWKS serves the public signing key only, and tokens carry iss, aud, exp, sub and kid', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const jwks = await h.call('GET', '/.well-known/jwks.json');
  t.is(jwks.status, 200);
  const key = await realKey(h);
  t.deepEqual(
    jwks.json.keys.map((k: { kid: string }) => k.kid),
    [key.kid],
  );
  t.false(JSON.stringify(jwks.json).includes('"d"'), 'no private part');
  const [header, payload] = alice.accessToken
    .split('.')
    .slice(0, 2)
    .map(
      (part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>,
    );
  t.like(header, { alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' });
  t.like(payload, { iss: issuerDefault, aud: audienceDefault, sub: alice.userId });
  t.true(
    typeof payload?.exp === 'number' &&
      payload.exp > Date.now() / 1000 &&
      payload.exp <= Date.now() / 1000 + 3600,
  );
  // After a rotation the old token still verifies (grace period) and new ones use the new kid.
  await (await h.app.ready).keys.rotate();
  t.is((await h.call('GET', '/v1/wallets', { token: alice.accessToken })).status, 200);
  const rotated = await h.call('GET', '/.well-known/jwks.json');
  t.is(rotated.json.keys.length, 2);
});

test('refresh tokens rotate on use, and reusing a spent one revokes the whole family', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const first = await h.call('POST', '/v1/auth/refresh', {
    body: { refreshToken: alice.refreshToken },
  });
  t.is(first.status, 200);
  t.not(first.json.refreshToken, alice.refreshToken);
  t.is((await h.call('GET', '/v1/me', { token: first.json.accessToken })).status, 200);
  // The spent token comes back (stolen copy): refused, and the family dies with it.
  const reuse = await h.call('POST', '/v1/auth/refresh', {
    body: { refreshToken: alice.refreshToken },
  });
  t.is(reuse.status, 401);
  t.regex(reuse.json.detail, /reuse/);
  const afterRevocation = await h.call('POST', '/v1/auth/refresh', {
    body: { refreshToken: first.json.refreshToken },
  });
  t.is(afterRevocation.status, 401, 'the newest token of the family is revoked too');
  // A separate login (another family) is unaffected.
  const login = await h.call('POST', '/v1/auth/login', {
    body: { email: alice.email, password: alice.password },
  });
  t.is(
    (await h.call('POST', '/v1/auth/refresh', { body: { refreshToken: login.json.refreshToken } }))
      .status,
    200,
  );
  const tokens = (await h.db.knex('refresh_tokens').select('token_hash')) as Array<{
    token_hash: string;
  }>;
  t.false(
    tokens.some((row) => row.token_hash === alice.refreshToken),
    'refresh tokens are stored hashed',
  );
});

test('logout and password change end sessions; account deletion removes the user', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  t.is(
    (
      await h.call('POST', '/v1/auth/logout', {
        token: alice.accessToken,
        body: { refreshToken: alice.refreshToken },
      })
    ).status,
    204,
  );
  t.is(
    (await h.call('POST', '/v1/auth/refresh', { body: { refreshToken: alice.refreshToken } }))
      .status,
    401,
  );
  const login = await h.call('POST', '/v1/auth/login', {
    body: { email: alice.email, password: alice.password },
  });
  const wrong = await h.call('POST', '/v1/auth/password', {
    token: login.json.accessToken,
    body: { currentPassword: 'not-the-password', newPassword: 'a-new-long-password' },
  });
  t.is(wrong.status, 401);
  t.is(
    (
      await h.call('POST', '/v1/auth/password', {
        token: login.json.accessToken,
        body: { currentPassword: alice.password, newPassword: 'a-new-long-password' },
      })
    ).status,
    204,
  );
  t.is(
    (await h.call('POST', '/v1/auth/refresh', { body: { refreshToken: login.json.refreshToken } }))
      .status,
    401,
    'sessions end with a password change',
  );
  t.is(
    (
      await h.call('POST', '/v1/auth/login', {
        body: { email: alice.email, password: alice.password },
      })
    ).status,
    401,
  );
  const fresh = await h.call('POST', '/v1/auth/login', {
    body: { email: alice.email, password: 'a-new-long-password' },
  });
  t.is(fresh.status, 200);
  const wallet = await h.call('POST', '/v1/wallets', {
    token: fresh.json.accessToken,
    body: { name: 'Cash', type: 'cash', currency: 'EUR' },
  });
  t.is(wallet.status, 201);
  t.is(
    (
      await h.call('DELETE', '/v1/me', {
        token: fresh.json.accessToken,
        body: { password: 'a-new-long-password' },
      })
    ).status,
    204,
  );
  t.is(await h.db.knex('users').where('id', alice.userId).first(), undefined);
  t.is(
    (
      await h.call('POST', '/v1/auth/login', {
        body: { email: alice.email, password: 'a-new-long-password' },
      })
    ).status,
    401,
  );
  const archived = (await h.db.knex('wallets').where('id', wallet.json.id).first()) as {
    archived_at: unknown;
  };
  t.not(archived.archived_at, null, 'owned wallets are archived, their ledger kept');
});

test('login brute force gets 429 per account and per address, with one answer for unknown email and wrong password', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const unknown = await h.call('POST', '/v1/auth/login', {
    body: { email: 'nobody@example.test', password: 'whatever-password' },
  });
  const wrong = await h.call('POST', '/v1/auth/login', {
    body: { email: alice.email, password: 'whatever-password' },
  });
  t.is(unknown.status, 401);
  t.is(wrong.status, 401);
  t.deepEqual(
    { ...unknown.json, requestId: '' },
    { ...wrong.json, requestId: '' },
    'same body for both',
  );
  let limited;
  for (let i = 0; i < 10 && !limited; i += 1) {
    const r = await h.call('POST', '/v1/auth/login', {
      body: { email: alice.email, password: `guess-${i}-password` },
    });
    if (r.status === 429) limited = r;
    else t.is(r.status, 401);
  }
  t.truthy(limited, 'guessing one account is stopped');
  t.is(limited?.json.code, 'rate_limited');
  t.true(Number(limited?.headers.get('retry-after')) > 0);
  // Locked: even the right password waits out the window.
  t.is(
    (
      await h.call('POST', '/v1/auth/login', {
        body: { email: alice.email, password: alice.password },
      })
    ).status,
    429,
  );
  // Spraying many accounts from one address is stopped too.
  let sprayLimited = false;
  for (let i = 0; i < 40 && !sprayLimited; i += 1) {
    const r = await h.call('POST', '/v1/auth/login', {
      body: { email: `spray-${i}@example.test`, password: 'password-guess' },
    });
    sprayLimited = r.status === 429;
  }
  t.true(sprayLimited);
});

test('machine clients get scoped tokens and act only for users who granted them, until the grant is withdrawn', async (t) => {
  const h = await startHarness(t);
  const admin = await h.signUp({ email: adminEmail });
  const alice = await h.signUp();
  const bob = await h.signUp();
  const notAdmin = await h.call('POST', '/v1/clients', {
    token: alice.accessToken,
    body: { name: 'Bank', scopes: ['transactions:write'] },
  });
  t.is(notAdmin.status, 403);
  const client = await h.call('POST', '/v1/clients', {
    token: admin.accessToken,
    body: {
      name: 'Acme Bank',
      scopes: ['transactions:write', 'transactions:read', 'wallets:read'],
    },
  });
  t.is(client.status, 201);
  const wallet = await h.call('POST', '/v1/wallets', {
    token: alice.accessToken,
    body: { name: 'Bank', type: 'bank', currency: 'EUR' },
  });
  await h.call('POST', '/v1/wallets', {
    token: bob.accessToken,
    body: { name: 'Bob', type: 'bank', currency: 'EUR' },
  });
  t.is(
    (
      await h.call('PUT', `/v1/me/grants/${client.json.clientId}`, {
        token: alice.accessToken,
        body: {},
      })
    ).status,
    200,
  );
  const badSecret = await h.call('POST', '/v1/oauth/token', {
    body: {
      grant_type: 'client_credentials',
      client_id: client.json.clientId,
      client_secret: 'cs_wrong',
    },
  });
  t.is(badSecret.status, 401);
  const token = await h.call('POST', '/v1/oauth/token', {
    body: {
      grant_type: 'client_credentials',
      client_id: client.json.clientId,
      client_secret: client.json.clientSecret,
    },
  });
  t.is(token.status, 200);
  t.is(token.json.scope, 'transactions:write transactions:read wallets:read');
  const asAlice = { token: token.json.access_token, headers: { 'on-behalf-of': alice.userId } };
  const list = await h.call('GET', '/v1/wallets', asAlice);
  t.is(list.status, 200);
  t.deepEqual(
    list.json.items.map((w: { id: string }) => w.id),
    [wallet.json.id],
  );
  const income = await h.call('POST', '/v1/movements', {
    ...asAlice,
    idempotencyKey: 'bank-tx-1',
    body: { kind: 'income', walletId: wallet.json.id, amount: '1250', merchant: 'Employer' },
  });
  t.is(income.status, 201);
  t.is(
    (
      await h.call('POST', '/v1/wallets', {
        ...asAlice,
        body: { name: 'X', type: 'cash', currency: 'EUR' },
      })
    ).status,
    403,
    'no wallets:write scope',
  );
  t.is(
    (
      await h.call('GET', '/v1/wallets', {
        token: token.json.access_token,
        headers: { 'on-behalf-of': bob.userId },
      })
    ).status,
    403,
    'bob granted nothing',
  );
  t.is(
    (await h.call('GET', '/v1/wallets', { token: token.json.access_token })).status,
    400,
    'a client must name its user',
  );
  t.is(
    (await h.call('DELETE', `/v1/me/grants/${client.json.clientId}`, { token: alice.accessToken }))
      .status,
    204,
  );
  t.is(
    (await h.call('GET', '/v1/wallets', asAlice)).status,
    403,
    'a withdrawn grant takes effect at once',
  );
});

test('no response ever contains a password hash', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  await h.call('GET', '/v1/me', { token: alice.accessToken });
  await h.call('POST', '/v1/auth/login', {
    body: { email: alice.email, password: 'wrong-password' },
  });
  await h.call('POST', '/v1/auth/register', {
    body: {
      email: alice.email,
      password: 'another-password',
      displayName: 'X',
      homeCurrency: 'EUR',
      timeZone: 'UTC',
    },
  });
  const stored = (await h.db.knex('users').where('id', alice.userId).first()) as {
    password_hash: string;
  };
  t.regex(stored.password_hash, /^scrypt\$/);
  const salt = stored.password_hash.split('$')[4]!;
  t.true(h.bodies.length >= 5);
  for (const body of h.bodies) {
    t.false(body.includes('scrypt$'));
    t.false(body.includes(salt));
    t.false(/password_?hash/i.test(body));
  }
});

test('an unknown email costs the same scrypt work as a wrong password, so timing tells them apart no more than the answer', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const timed = async (email: string, i: number) => {
    const started = process.hrtime.bigint();
    const response = await h.call('POST', '/v1/auth/login', {
      headers: { 'x-forwarded-for': `198.51.100.${i}` },
      body: { email, password: `wrong-password-${i}` },
    });
    t.is(response.status, 401);
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, body: response.json };
  };
  const wrong: number[] = [];
  const unknown: number[] = [];
  const bodies = new Set<string>();
  // Interleaved, so load from others hits both alike; fewer than the per-account limit.
  for (let i = 0; i < 4; i += 1) {
    const w = await timed(alice.email, 2 * i);
    const u = await timed(`nobody-${i}@example.test`, 2 * i + 1);
    wrong.push(w.ms);
    unknown.push(u.ms);
    bodies.add(JSON.stringify({ ...w.body, requestId: undefined }));
    bodies.add(JSON.stringify({ ...u.body, requestId: undefined }));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  t.log(
    `median ms: wrong password ${median(wrong).toFixed(1)}, unknown email ${median(unknown).toFixed(1)}`,
  );
  // Skipping scrypt for an unknown email would make it an order of magnitude faster.
  t.true(median(unknown) > 0.4 * median(wrong), 'an unknown email also pays for scrypt');
  t.is(bodies.size, 1, 'one answer for both');
});
