import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceServer } from '@spendstream/core/http';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createWalletApp } from '../../wallet-api/src/app.js';
import {
  createDashboardApp,
  refreshCookieName,
  sessionMarkerCookieName,
  type Upstreams,
} from '../src/server/server.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An upstream that records each request and answers by path (a stand-in API for the proxy). */
async function recordingUpstream(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (req.url?.startsWith('/v1/stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'set-cookie': 'x=1' });
        res.write('id: 1\nevent: alert\ndata: {"n":1}\n\n');
        // The second event comes only once the first was read: the proxy must not buffer.
        server.once('next', () => res.end('id: 2\nevent: alert\ndata: {"n":2}\n\n'));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

async function startDashboard(upstreams: Upstreams, staticDir: string) {
  const { log } = createMemoryLogger('dashboard', 'silent');
  const app = createDashboardApp({ log, staticDir, upstreams });
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  return { app, server, url: server.url };
}

function staticFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-static-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  return dir;
}

/** A dashboard in front of `upstreams` (the recording upstream by default), closed after the test. */
async function setup(
  t: ExecutionContext,
  upstreams?: Partial<Upstreams>,
): Promise<{
  upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  staticDir: string;
  dashboard: Awaited<ReturnType<typeof startDashboard>>;
}> {
  const upstream = await recordingUpstream();
  const staticDir = staticFolder();
  const dashboard = await startDashboard(
    { wallet: upstream.url, ingest: upstream.url, analytics: upstream.url, ...upstreams },
    staticDir,
  );
  t.teardown(async () => {
    await dashboard.server.close();
    upstream.server.close();
    rmSync(staticDir, { recursive: true, force: true });
  });
  return { upstream, staticDir, dashboard };
}

test('the proxy maps each /api prefix to its API, streams the body through, and keeps cookies out', async (t) => {
  const { upstream, dashboard } = await setup(t);

  const csv = 'date,amount\n2026-11-01,-1.00\n';
  const response = await fetch(`${dashboard.url}/api/ingest/v1/wallets/w1/imports?format=csv`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer token-1',
      'content-type': 'text/csv',
      cookie: `${refreshCookieName}=secret`,
      'idempotency-key': 'k1',
    },
    body: csv,
  });
  t.is(response.status, 201);
  t.is(response.headers.get('x-upstream'), 'yes');
  t.deepEqual(await response.json(), { ok: true });
  const [seen] = upstream.seen;
  t.is(seen?.method, 'POST');
  t.is(seen?.url, '/v1/wallets/w1/imports?format=csv');
  t.is(seen?.body, csv);
  t.is(seen?.headers.authorization, 'Bearer token-1');
  t.is(seen?.headers['idempotency-key'], 'k1');
  t.is(seen?.headers.cookie, undefined, 'the refresh cookie never reaches an API');
  t.is(seen?.headers['x-forwarded-for'], '127.0.0.1');

  const deleted = await fetch(`${dashboard.url}/api/analytics/v1/budgets/b1`, { method: 'DELETE' });
  t.is(deleted.status, 201);
  const deletion = upstream.seen[1]!;
  t.is(deletion.method, 'DELETE');
  t.is(deletion.headers['transfer-encoding'], undefined, 'forwarded without a body');
  upstream.seen.splice(1, 1);
  await fetch(`${dashboard.url}/api/analytics/v1/analytics/breakdown?by=merchant`);
  await fetch(`${dashboard.url}/api/wallet/v1/wallets`);
  t.deepEqual(
    upstream.seen.slice(1).map((s) => s.url),
    ['/v1/analytics/breakdown?by=merchant', '/v1/wallets'],
  );
});

test('Server-Sent Events pass through unbuffered and without the API cookies', async (t) => {
  const { upstream, dashboard } = await setup(t);
  const response = await fetch(`${dashboard.url}/api/analytics/v1/stream`, {
    headers: { 'last-event-id': '0' },
  });
  t.is(response.headers.get('content-type'), 'text/event-stream');
  t.is(response.headers.get('set-cookie'), null);
  t.is(upstream.seen[0]?.headers['last-event-id'], '0');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
  t.is(text, 'id: 1\nevent: alert\ndata: {"n":1}\n\n');
  upstream.server.emit('next');
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  t.true(text.endsWith('id: 2\nevent: alert\ndata: {"n":2}\n\n'));
});

test('open streams end when the dashboard asks (shutdown), and an API that is down is a 502', async (t) => {
  const { dashboard } = await setup(t, { wallet: 'http://127.0.0.1:9' });
  const response = await fetch(`${dashboard.url}/api/analytics/v1/stream`);
  const reader = response.body!.getReader();
  await reader.read();
  dashboard.app.endStreams();
  const ended = await reader.read().then(
    (r) => r.done,
    () => true,
  );
  t.true(ended);

  const down = await fetch(`${dashboard.url}/api/wallet/v1/wallets`);
  t.is(down.status, 502);
  t.is(down.headers.get('content-type'), 'application/problem+json');
  t.like(await down.json(), { code: 'unavailable', status: 502 });
});

test('the static app is served with its security headers, and nothing outside its folder', async (t) => {
  const { staticDir, dashboard } = await setup(t);
  writeFileSync(join(staticDir, '..', 'secret.txt'), 'no');
  t.teardown(() => rmSync(join(staticDir, '..', 'secret.txt'), { force: true }));
  const index = await fetch(`${dashboard.url}/`);
  t.is(index.status, 200);
  t.is(index.headers.get('content-type'), 'text/html; charset=utf-8');
  t.regex(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.is(index.headers.get('x-frame-options'), 'DENY');
  t.is(index.headers.get('cache-control'), 'no-cache');
  t.regex(await index.text(), /id="app"/);
  const asset = await fetch(`${dashboard.url}/assets/index-abc.js`);
  t.is(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.is(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt']) {
    const escaped = await fetch(`${dashboard.url}${path}`);
    t.is(escaped.status, 404, path);
  }
  t.is((await fetch(`${dashboard.url}/nothing.js`)).status, 404);
});

test('with the real wallet-api, the refresh token lives in an httpOnly cookie and never in the page', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dashboard-wallet-'));
  const sql = createSql({ DATA_DIR: dataDir });
  const { log } = createMemoryLogger('wallet-api', 'silent');
  const wallet = createWalletApp({ log, sql });
  await wallet.ready;
  const walletServer = createServiceServer(wallet);
  await walletServer.listen(0, '127.0.0.1');
  const staticDir = staticFolder();
  const dashboard = await startDashboard(
    { wallet: walletServer.url, ingest: walletServer.url, analytics: walletServer.url },
    staticDir,
  );
  t.teardown(async () => {
    await dashboard.server.close();
    await walletServer.close();
    await sql.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(staticDir, { recursive: true, force: true });
  });
  const api = (path: string) => `${dashboard.url}/api/wallet${path}`;
  const json = { 'content-type': 'application/json' };
  const user = { email: 'cookie@example.com', password: 'correct horse battery' };
  const registered = await fetch(api('/v1/auth/register'), {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ ...user, displayName: 'C', homeCurrency: 'EUR', timeZone: 'UTC' }),
  });
  t.is(registered.status, 201);

  const login = await fetch(api('/v1/auth/login'), {
    method: 'POST',
    headers: json,
    body: JSON.stringify(user),
  });
  t.is(login.status, 200);
  const tokens = (await login.json()) as Record<string, unknown>;
  t.is(typeof tokens.accessToken, 'string');
  t.is(tokens.refreshToken, undefined, 'the page never sees the refresh token');
  t.is(tokens.refreshTokenIn, 'cookie');
  const cookies = login.headers.getSetCookie();
  const refreshCookie = cookies.find((c) => c.startsWith(`${refreshCookieName}=rt_`))!;
  t.truthy(refreshCookie);
  t.regex(
    refreshCookie,
    /; Path=\/api\/wallet\/v1\/auth; Max-Age=2592000; HttpOnly; SameSite=Strict$/,
  );
  t.true(cookies.some((c) => c.startsWith(`${sessionMarkerCookieName}=1; Path=/;`)));
  t.false(cookies.find((c) => c.startsWith(sessionMarkerCookieName))!.includes('HttpOnly'));
  const cookie = refreshCookie.split(';')[0]!;

  // A page of another site cannot use the cookie, even if a browser sent it.
  const crossSite = await fetch(api('/v1/auth/refresh'), {
    method: 'POST',
    headers: { ...json, cookie, origin: 'https://evil.example' },
    body: '{}',
  });
  t.is(crossSite.status, 403);

  const refreshed = await fetch(api('/v1/auth/refresh'), {
    method: 'POST',
    headers: { ...json, cookie, origin: dashboard.url },
    body: '{}',
  });
  t.is(refreshed.status, 200);
  const again = (await refreshed.json()) as Record<string, unknown>;
  t.is(typeof again.accessToken, 'string');
  t.is(again.refreshToken, undefined);
  const rotated = refreshed.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${refreshCookieName}=rt_`))!
    .split(';')[0]!;
  t.not(rotated, cookie, 'the refresh token rotates');

  // The old token is spent: wallet-api refuses it (and revokes the family), the cookie is cleared.
  const reused = await fetch(api('/v1/auth/refresh'), {
    method: 'POST',
    headers: { ...json, cookie },
    body: '{}',
  });
  t.is(reused.status, 401);
  t.true(reused.headers.getSetCookie().some((c) => c.startsWith(`${refreshCookieName}=;`)));

  const noCookie = await fetch(api('/v1/auth/refresh'), {
    method: 'POST',
    headers: json,
    body: '{}',
  });
  t.is(noCookie.status, 401);

  // Logout with a fresh session: the cookie goes, and the token is revoked at wallet-api.
  const second = await fetch(api('/v1/auth/login'), {
    method: 'POST',
    headers: json,
    body: JSON.stringify(user),
  });
  const secondTokens = (await second.json()) as { accessToken: string };
  const secondCookie = second.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${refreshCookieName}=rt_`))!
    .split(';')[0]!;
  const logout = await fetch(api('/v1/auth/logout'), {
    method: 'POST',
    headers: { ...json, cookie: secondCookie, authorization: `Bearer ${secondTokens.accessToken}` },
    body: '{}',
  });
  t.is(logout.status, 204);
  t.true(logout.headers.getSetCookie().some((c) => c.startsWith(`${refreshCookieName}=;`)));
  const afterLogout = await fetch(api('/v1/auth/refresh'), {
    method: 'POST',
    headers: { ...json, cookie: secondCookie },
    body: '{}',
  });
  t.is(afterLogout.status, 401);
});
