/**
 * The dashboard server: the built static app, and a same-origin proxy to the three public APIs
 * (`/api/wallet/*` -> wallet-api, `/api/ingest/*` -> ingest-api, `/api/analytics/*` ->
 * analytics-api), so the browser needs no CORS. Bodies and answers stream through (imports, CSV
 * exports and Server-Sent Events), except the three session calls of wallet-api, where the server
 * keeps the refresh token out of the page: it moves it from the login and refresh answers into an
 * httpOnly, SameSite=Strict cookie and puts it back into the refresh and logout bodies.
 */
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type Koa from 'koa';
import { createServiceApp, readRawBody, type ServiceApp } from '@spendstream/core/http';
import type { Logger } from '@spendstream/core/log';

/** The APIs behind the proxy, by the first path segment after `/api/`. */
export interface Upstreams {
  wallet: string;
  ingest: string;
  analytics: string;
}

export interface DashboardServerOptions {
  log: Logger;
  /** The built app (`dashboard/dist/web`). */
  staticDir: string;
  upstreams: Upstreams;
  version?: string;
}

export interface DashboardApp extends ServiceApp {
  /** Ends every proxied stream still open (Server-Sent Events), so a shutdown need not wait. */
  endStreams(): void;
}

/** The cookie holding the refresh token; scoped to the session calls only. */
export const refreshCookieName = 'spendstream_rt';
/** Where the browser sends that cookie: nothing else ever sees it. */
export const refreshCookiePath = '/api/wallet/v1/auth';
/**
 * A non-secret marker readable by the page (`1` while a refresh cookie is set), so a page opened
 * without a session does not ask for a refresh it knows will fail.
 */
export const sessionMarkerCookieName = 'spendstream_session';
/** wallet-api's refresh tokens live 30 days; the cookie no longer. */
export const refreshCookieMaxAgeSeconds = 30 * 24 * 3600;
/** Largest session-call body the server reads to move the token (they are a few hundred bytes). */
export const sessionBodyBytesMax = 16_384;
/** Longest the proxy waits for an API to start answering before a 504. */
export const upstreamTimeoutMs = 30_000;

/** Media types the proxy forwards unread (everything the APIs accept). */
const forwardedMediaTypes = [
  'application/json',
  'text/csv',
  'text/plain',
  'application/x-ofx',
  'application/vnd.intu.qfx',
  'application/octet-stream',
];

/** Request headers never forwarded: hop-by-hop ones, and the cookie (the APIs use bearer tokens). */
const droppedRequestHeaders = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'cookie',
]);
const droppedResponseHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'set-cookie',
]);

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page may talk to its own origin only; no inline script, no framing. */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const sessionPaths = new Set(['/v1/auth/login', '/v1/auth/refresh', '/v1/auth/logout']);

function problem(ctx: Koa.Context, status: number, code: string, detail: string): void {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = JSON.stringify({
    type: `urn:spendstream:problem:${code}`,
    title: detail,
    status,
    code,
    detail,
  });
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** Sets (or, without a token, clears) the refresh cookie and its marker. */
function setSessionCookies(ctx: Koa.Context, token: string | undefined): void {
  const secure = ctx.protocol === 'https' ? '; Secure' : '';
  const value = token === undefined ? '' : encodeURIComponent(token);
  const maxAge = token === undefined ? 0 : refreshCookieMaxAgeSeconds;
  ctx.append(
    'Set-Cookie',
    `${refreshCookieName}=${value}; Path=${refreshCookiePath}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`,
  );
  ctx.append(
    'Set-Cookie',
    `${sessionMarkerCookieName}=${token === undefined ? '' : '1'}; Path=/; Max-Age=${maxAge}; SameSite=Strict${secure}`,
  );
}

/**
 * A cookie-carrying session call must come from a page of this origin: SameSite=Strict already
 * keeps other sites' requests from carrying the cookie; this refuses them outright as well.
 */
function sameOrigin(ctx: Koa.Context): boolean {
  const origin = ctx.get('origin');
  if (origin === '') return ctx.get('sec-fetch-site') !== 'cross-site';
  try {
    return new URL(origin).host === ctx.host;
  } catch {
    return false;
  }
}

interface UpstreamAnswer {
  response: IncomingMessage;
}

function forwardHeaders(ctx: Koa.Context): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (value === undefined || droppedRequestHeaders.has(name)) continue;
    headers[name] = value;
  }
  headers['x-forwarded-for'] = ctx.ip;
  headers['x-forwarded-proto'] = ctx.protocol;
  headers['x-forwarded-host'] = ctx.host;
  return headers;
}

function callUpstream(
  target: URL,
  method: string,
  headers: Record<string, string | string[]>,
  body: Buffer | IncomingMessage | undefined,
): Promise<UpstreamAnswer> {
  return new Promise((resolveCall, rejectCall) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(target, { method, headers, timeout: upstreamTimeoutMs }, (response) => {
      outgoing.setTimeout(0);
      resolveCall({ response });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
    outgoing.on('error', rejectCall);
    if (body === undefined) outgoing.end();
    else if (Buffer.isBuffer(body)) outgoing.end(body);
    else body.pipe(outgoing);
  });
}

function copyResponseHeaders(ctx: Koa.Context, headers: IncomingHttpHeaders): void {
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || droppedResponseHeaders.has(name)) continue;
    ctx.set(name, value);
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * login / refresh / logout: the refresh token travels in the cookie, never in the page. A body
 * that carries its own refresh token (a client not behind this server) is passed as it is.
 */
async function proxySession(ctx: Koa.Context, base: string, path: string): Promise<void> {
  if (!sameOrigin(ctx)) {
    problem(ctx, 403, 'forbidden', 'session calls must come from the dashboard itself');
    return;
  }
  const raw = ctx.req.headers['content-length'] === '0' ? Buffer.alloc(0) : undefined;
  const bytes = raw ?? (await readRawBody(ctx, sessionBodyBytesMax));
  let body: Record<string, unknown> = {};
  if (bytes.length > 0) {
    try {
      body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      problem(ctx, 400, 'malformed_json', 'the body is not valid JSON');
      return;
    }
  }
  const cookieToken = readCookie(ctx.get('cookie'), refreshCookieName);
  if (path !== '/v1/auth/login' && body.refreshToken === undefined) {
    if (cookieToken === undefined) {
      if (path === '/v1/auth/logout') {
        ctx.status = 204;
        return;
      }
      problem(ctx, 401, 'unauthorized', 'no session: log in');
      return;
    }
    body.refreshToken = cookieToken;
  }
  const payload = Buffer.from(JSON.stringify(body));
  const headers = forwardHeaders(ctx);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(payload.length);
  const { response } = await callUpstream(new URL(path, base), 'POST', headers, payload);
  const answer = await readAll(response);
  copyResponseHeaders(ctx, response.headers);
  ctx.remove('content-length');
  ctx.status = response.statusCode ?? 502;
  if (path === '/v1/auth/logout' || ctx.status === 401) {
    setSessionCookies(ctx, undefined);
  }
  if (ctx.status === 200 && path !== '/v1/auth/logout') {
    const tokens = JSON.parse(answer.toString('utf8')) as Record<string, unknown>;
    if (typeof tokens.refreshToken === 'string') {
      setSessionCookies(ctx, tokens.refreshToken);
      delete tokens.refreshToken;
      // Tells the page the token is in the cookie (it sends `{}` to refresh).
      tokens.refreshTokenIn = 'cookie';
    }
    ctx.body = JSON.stringify(tokens);
    return;
  }
  ctx.body = answer;
}

function serveStatic(staticDir: string): Koa.Middleware {
  const root = resolve(staticDir);
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const relative = ctx.path === '/' ? 'index.html' : decodeURIComponent(ctx.path.slice(1));
    const file = normalize(join(root, relative));
    if (file !== root && !file.startsWith(root + sep)) return next();
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return next();
      size = stat.size;
    } catch {
      return next();
    }
    const type = contentTypes[extname(file)] ?? 'application/octet-stream';
    ctx.set('Content-Type', type);
    ctx.set('Content-Length', String(size));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    // Vite names every asset by its content hash: they never change under the same name.
    ctx.set(
      'Cache-Control',
      relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    if (type.startsWith('text/html')) {
      ctx.set('Content-Security-Policy', contentSecurityPolicy);
      ctx.set('X-Frame-Options', 'DENY');
    }
    ctx.status = 200;
    ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file);
  };
}

/** The dashboard as a service app on the core chassis (health, metrics, request logs, errors). */
export function createDashboardApp(options: DashboardServerOptions): DashboardApp {
  const app = createServiceApp({
    name: 'dashboard',
    version: options.version ?? '0.1.0',
    log: options.log,
    // The proxy forwards bodies unread; the chassis must not parse them.
    limits: { rawMediaTypes: forwardedMediaTypes },
  });
  const streams = new Set<IncomingMessage>();
  const bases: Record<string, string> = {
    wallet: options.upstreams.wallet,
    ingest: options.upstreams.ingest,
    analytics: options.upstreams.analytics,
  };

  app.koa.use(async (ctx, next) => {
    const match = /^\/api\/(wallet|ingest|analytics)(\/.*)?$/.exec(ctx.path);
    if (!match) return next();
    const base = bases[match[1]!]!;
    const path = match[2] ?? '/';
    if (match[1] === 'wallet' && ctx.method === 'POST' && sessionPaths.has(path)) {
      try {
        await proxySession(ctx, base, path);
      } catch (error) {
        options.log.warn('upstream failed', { upstream: match[1], err: error });
        problem(ctx, 502, 'unavailable', `${match[1]} API did not answer`);
      }
      return;
    }
    const target = new URL(path + ctx.search, base);
    // Only a request that says it has a body forwards one: piping an empty DELETE would send it
    // chunked, which the APIs read as a body without a media type.
    const hasBody =
      ctx.req.headers['content-length'] !== undefined ||
      ctx.req.headers['transfer-encoding'] !== undefined;
    let answer: UpstreamAnswer;
    try {
      answer = await callUpstream(
        target,
        ctx.method,
        forwardHeaders(ctx),
        hasBody ? ctx.req : undefined,
      );
    } catch (error) {
      options.log.warn('upstream failed', { upstream: match[1], err: error });
      problem(ctx, 502, 'unavailable', `${match[1]} API did not answer`);
      return;
    }
    const { response } = answer;
    ctx.status = response.statusCode ?? 502;
    copyResponseHeaders(ctx, response.headers);
    if ((response.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      // Server-Sent Events: no buffering anywhere, and ended on shutdown.
      ctx.set('X-Accel-Buffering', 'no');
      ctx.req.socket.setNoDelay(true);
      streams.add(response);
      response.on('close', () => streams.delete(response));
    }
    ctx.body = response;
  });
  app.koa.use(serveStatic(options.staticDir));

  return Object.assign(app, {
    endStreams() {
      for (const stream of streams) stream.destroy();
      streams.clear();
    },
  });
}
