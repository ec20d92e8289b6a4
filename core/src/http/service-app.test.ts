import test from 'ava';
import Router from '@koa/router';
import { z } from 'zod';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  IdempotencyConflictError,
  PreconditionFailedError,
  InsufficientFundsError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  errorCodes,
  errorStatus,
  type ErrorCode,
} from '../errors.js';
import { createMemoryLogger } from '../log.js';
import { createServiceApp, type ServiceAppOptions } from './service-app.js';
import { createServiceServer, startService } from './server.js';
import { parseBody, parseQuery } from './validate.js';

async function startApp(
  t: { teardown(fn: () => unknown): void },
  options: Partial<ServiceAppOptions> = {},
) {
  const { log, records } = createMemoryLogger('test-api');
  const app = createServiceApp({ name: 'test-api', version: '1.2.3', log, ...options });
  const server = createServiceServer(app, { shutdownTimeoutMs: 2_000 });
  await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  return { app, server, url: server.url, records };
}

/** One route per error kind, so each rendering is checked through the real middleware stack. */
const errorsByCode: Record<ErrorCode, () => Error> = {
  validation_failed: () =>
    new ValidationError('amount: expected an integer', {
      fields: [
        { path: 'amount', message: 'expected an integer' },
        { path: 'currency', message: 'expected an ISO 4217 code' },
      ],
    }),
  malformed_json: () => new DomainError('malformed_json', 'bad json', { field: 'body' }),
  unsupported_media_type: () => new DomainError('unsupported_media_type', 'want json'),
  payload_too_large: () => new DomainError('payload_too_large', 'too big'),
  unauthorized: () => new UnauthorizedError(),
  forbidden: () => new ForbiddenError(),
  not_found: () => new NotFoundError('no such wallet', { field: 'walletId' }),
  method_not_allowed: () => new DomainError('method_not_allowed', 'nope'),
  conflict: () => new ConflictError('already exists'),
  idempotency_conflict: () => new IdempotencyConflictError(),
  precondition_failed: () => new PreconditionFailedError('the rules changed since revision 3'),
  insufficient_funds: () => new InsufficientFundsError(),
  rate_limited: () => new RateLimitedError('slow down', 7),
  unavailable: () => new UnavailableError('database down', 3),
  internal: () => new DomainError('internal', 'internal on purpose'),
};

function errorRouter() {
  const router = new Router();
  for (const code of errorCodes) {
    router.get(`/errors/${code}`, () => {
      throw errorsByCode[code]();
    });
  }
  router.get('/boom', () => {
    throw new Error('secret connection string mysql://root:hunter2@db');
  });
  router.post('/echo', (ctx) => {
    ctx.body = { received: parseBody(ctx, z.object({ n: z.number().int() })) };
  });
  router.get('/search', (ctx) => {
    ctx.body = parseQuery(ctx, z.object({ minAmount: z.coerce.number().int() }));
  });
  return router;
}

for (const code of errorCodes) {
  test(`a ${code} DomainError renders as problem+json with status ${errorStatus[code]}`, async (t) => {
    const { url } = await startApp(t, { routers: [errorRouter()] });
    const response = await fetch(`${url}/errors/${code}`, {
      headers: { 'X-Request-Id': `req-${code}` },
    });
    t.is(response.status, errorStatus[code]);
    t.regex(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    const error = errorsByCode[code]() as DomainError;
    t.like(body, {
      type: `urn:spendstream:problem:${code}`,
      status: errorStatus[code],
      detail: error.message,
      code,
      requestId: `req-${code}`,
    });
    t.is(typeof body.title, 'string');
    t.deepEqual(body.errors, error.fields);
    t.is(body.field, error.field);
    if (code === 'rate_limited') t.is(response.headers.get('retry-after'), '7');
    else if (code === 'unavailable') t.is(response.headers.get('retry-after'), '3');
    else t.is(response.headers.get('retry-after'), null);
  });
}

test('an unknown error becomes a 500 that hides the message, shows the request id and is logged', async (t) => {
  const { url, records } = await startApp(t, { routers: [errorRouter()] });
  const response = await fetch(`${url}/boom`);
  t.is(response.status, 500);
  const text = await response.text();
  t.false(text.includes('hunter2'));
  const body = JSON.parse(text) as Record<string, unknown>;
  const requestId = response.headers.get('x-request-id');
  t.truthy(requestId);
  t.like(body, { code: 'internal', status: 500, requestId });
  t.true(String(body.detail).includes(requestId!));
  const logged = records.find((r) => r.msg === 'unhandled error');
  t.is(logged?.requestId, requestId);
  t.true(JSON.stringify(logged?.err).includes('hunter2'));
});

test('a sane incoming X-Request-Id is echoed back and lands in the access log', async (t) => {
  const { url, records } = await startApp(t);
  const response = await fetch(`${url}/healthz`, { headers: { 'X-Request-Id': 'abc-123.x:y_z' } });
  t.is(response.headers.get('x-request-id'), 'abc-123.x:y_z');
  const line = records.find((r) => r.msg === 'request');
  t.like(line, {
    requestId: 'abc-123.x:y_z',
    method: 'GET',
    path: '/healthz',
    status: 200,
    service: 'test-api',
  });
});

test('an insane incoming X-Request-Id is replaced by a generated one', async (t) => {
  const { url } = await startApp(t);
  const response = await fetch(`${url}/healthz`, {
    headers: { 'X-Request-Id': 'a b"<script>'.padEnd(200, 'x') },
  });
  const id = response.headers.get('x-request-id') ?? '';
  t.regex(id, /^[0-9a-f-]{36}$/);
});

test('a JSON body over bodyBytesMax is rejected with 413', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()], limits: { bodyBytesMax: 100 } });
  const response = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ n: 1, pad: 'x'.repeat(200) }),
  });
  t.is(response.status, 413);
  t.like(await response.json(), { code: 'payload_too_large' });
});

test('a chunked JSON body over bodyBytesMax is rejected with 413 while reading', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()], limits: { bodyBytesMax: 100 } });
  const chunks = [Buffer.from('{"n":1,"pad":"'), Buffer.alloc(300, 'x'), Buffer.from('"}')];
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const response = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit);
  t.is(response.status, 413);
});

test('a body the client stops sending halfway ends the read with an error, not a wait for ever', async (t) => {
  const { connect } = await import('node:net');
  const { readRawBody } = await import('./body.js');
  let outcome: (value: string) => void = () => undefined;
  const read = new Promise<string>((resolve) => (outcome = resolve));
  const router = new Router();
  router.post('/import', async (ctx) => {
    try {
      const bytes = await readRawBody(ctx, 1_000);
      outcome(`read ${bytes.length} bytes`);
    } catch (error) {
      outcome(`failed: ${(error as Error).message}`);
      throw error;
    }
    ctx.body = {};
  });
  const { url } = await startApp(t, { routers: [router], limits: { rawMediaTypes: ['text/csv'] } });
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'POST /import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 100\r\n\r\na,b\n',
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
  const settled = await Promise.race([
    read,
    new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2_000)),
  ]);
  t.regex(settled, /^failed: /);
});

test('a body read after it was read to its end is empty, at once', async (t) => {
  const { readRawBody } = await import('./body.js');
  const router = new Router();
  router.post('/twice', async (ctx) => {
    const first = await readRawBody(ctx, 1_000);
    const second = await readRawBody(ctx, 1_000);
    ctx.body = { first: first.length, second: second.length };
  });
  const { url } = await startApp(t, { routers: [router], limits: { rawMediaTypes: ['text/csv'] } });
  const response = await fetch(`${url}/twice`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: 'a,b\n1,2\n',
  });
  t.deepEqual(await response.json(), { first: 8, second: 0 });
});

test('a body within the limit is parsed and validated', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()], limits: { bodyBytesMax: 100 } });
  const ok = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: '{"n":42}',
  });
  t.is(ok.status, 200);
  t.deepEqual(await ok.json(), { received: { n: 42 } });
  const bad = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"n":4.5}',
  });
  t.is(bad.status, 400);
  t.like(await bad.json(), { code: 'validation_failed', field: 'n' });
});

test('a body with a prototype key is refused as malformed_json', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()] });
  const response = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"n":1,"__proto__":{"isAdmin":true}}',
  });
  t.is(response.status, 400);
  t.like(await response.json(), { code: 'malformed_json', field: '__proto__' });
});

test('bigints in a response body go out as decimal strings with a JSON content type', async (t) => {
  const router = new Router();
  router.get('/balance', (ctx) => {
    ctx.body = { amount: 2n ** 62n + 1n, currency: 'EUR', items: [{ n: -5n }] };
  });
  const { url } = await startApp(t, { routers: [router] });
  const response = await fetch(`${url}/balance`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^application\/json/);
  t.is(
    await response.text(),
    '{"amount":"4611686018427387905","currency":"EUR","items":[{"n":"-5"}]}',
  );
});

test('malformed JSON is a 400 malformed_json', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()] });
  const response = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"n": 1,',
  });
  t.is(response.status, 400);
  t.like(await response.json(), { code: 'malformed_json', field: 'body' });
});

test('a body of another media type is a 415, unless the app accepts it raw', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()] });
  const response = await fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'n=1',
  });
  t.is(response.status, 415);
  t.like(await response.json(), { code: 'unsupported_media_type', field: 'Content-Type' });

  const csvRouter = new Router();
  const { readRawBody } = await import('./body.js');
  csvRouter.post('/import', async (ctx) => {
    ctx.body = { bytes: (await readRawBody(ctx, 1_000)).length };
  });
  const raw = await startApp(t, { routers: [csvRouter], limits: { rawMediaTypes: ['text/csv'] } });
  const imported = await fetch(`${raw.url}/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: 'a,b\n1,2\n',
  });
  t.deepEqual(await imported.json(), { bytes: 8 });
});

test('a bad query parameter is a 400 naming the field', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()] });
  const response = await fetch(`${url}/search?minAmount=abc`);
  t.is(response.status, 400);
  t.like(await response.json(), { code: 'validation_failed', field: 'minAmount' });
  const ok = await fetch(`${url}/search?minAmount=12`);
  t.deepEqual(await ok.json(), { minAmount: 12 });
});

test('an unknown route is a problem+json 404 and a wrong method a 405 with Allow', async (t) => {
  const { url } = await startApp(t, { routers: [errorRouter()] });
  const missing = await fetch(`${url}/nowhere`);
  t.is(missing.status, 404);
  t.like(await missing.json(), { code: 'not_found' });
  const wrongMethod = await fetch(`${url}/boom`, { method: 'DELETE' });
  t.is(wrongMethod.status, 405);
  t.is(wrongMethod.headers.get('allow'), 'HEAD, GET');
  t.like(await wrongMethod.json(), { code: 'method_not_allowed' });
});

test('readiness answers 200 when every check passes', async (t) => {
  const { url } = await startApp(t, { readiness: { sql: async () => undefined } });
  const response = await fetch(`${url}/readyz`);
  t.is(response.status, 200);
  t.deepEqual(await response.json(), { status: 'ready', checks: { sql: { ok: true } } });
});

test('readiness answers 503 naming the failed and timed-out checks', async (t) => {
  const { url } = await startApp(t, {
    readiness: {
      sql: async () => undefined,
      kafka: async () => {
        throw new Error('connection refused');
      },
      mongo: () => new Promise(() => undefined),
    },
    limits: { readinessTimeoutMs: 100 },
  });
  const response = await fetch(`${url}/readyz`);
  t.is(response.status, 503);
  t.is(response.headers.get('retry-after'), '1');
  const body = (await response.json()) as {
    code: string;
    detail: string;
    checks: Record<string, unknown>;
  };
  t.is(body.code, 'unavailable');
  t.is(body.detail, 'not ready: kafka, mongo');
  t.deepEqual(body.checks, {
    sql: { ok: true },
    kafka: { ok: false, error: 'connection refused' },
    mongo: { ok: false, error: 'no answer within 100 ms' },
  });
});

test('metrics text has the request histogram labelled by route template and status', async (t) => {
  const router = new Router();
  router.get('/v1/wallets/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  const { url } = await startApp(t, { routers: [router, errorRouter()] });
  await fetch(`${url}/v1/wallets/w1`);
  await fetch(`${url}/v1/wallets/w2`);
  await fetch(`${url}/errors/not_found`);
  await fetch(`${url}/random/path/for/scan`);
  const response = await fetch(`${url}/metrics`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  t.regex(
    text,
    /http_request_duration_seconds_count\{service="test-api",method="GET",route="\/v1\/wallets\/:id",status="200"\} 2/,
  );
  t.regex(
    text,
    /http_request_duration_seconds_count\{service="test-api",method="GET",route="\/errors\/not_found",status="404"\} 1/,
  );
  t.regex(text, /route="\(unmatched\)",status="404"/);
  t.false(text.includes('/random/path'));
  t.regex(text, /process_cpu_user_seconds_total\{service="test-api"\}/);
});

test('two apps in one process keep separate metrics', async (t) => {
  const a = await startApp(t);
  const b = await startApp(t);
  await fetch(`${a.url}/healthz`);
  const textA = await (await fetch(`${a.url}/metrics`)).text();
  const textB = await (await fetch(`${b.url}/metrics`)).text();
  t.regex(
    textA,
    /http_request_duration_seconds_count\{service="test-api",method="GET",route="\(unmatched\)",status="200"\} 1/,
  );
  t.notRegex(
    textB,
    /http_request_duration_seconds_count\{service="test-api",method="GET",route="\(unmatched\)",status="200"/,
  );
});

test('openapi.json serves the document with the shared problem schema', async (t) => {
  const { url } = await startApp(t);
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, unknown>;
    components: { schemas: Record<string, unknown> };
  };
  t.is(doc.openapi, '3.1.0');
  t.deepEqual(doc.info, { title: 'test-api', version: '1.2.3' });
  t.truthy(doc.paths['/healthz']);
  t.truthy(doc.paths['/readyz']);
  t.truthy(doc.components.schemas.Problem);
});

test('graceful close lets an in-flight slow request finish, then runs close hooks', async (t) => {
  const events: string[] = [];
  const router = new Router();
  let entered: () => void = () => undefined;
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  router.get('/slow', async (ctx) => {
    entered();
    await new Promise((resolve) => setTimeout(resolve, 400));
    ctx.body = { done: true };
    events.push('handler finished');
  });
  const { url, server, app } = await startApp(t, { routers: [router] });
  server.onClose(() => void events.push('hook 1'));
  server.onClose(() => void events.push('hook 2'));
  const inFlight = fetch(`${url}/slow`).then(async (r) => ({
    status: r.status,
    connection: r.headers.get('connection'),
    body: (await r.json()) as unknown,
  }));
  await handlerEntered;
  const closeStarted = Date.now();
  const closed = server.close().then(() => events.push('closed'));
  t.true(app.draining);
  await new Promise((resolve) => setTimeout(resolve, 20));
  // A new connection is refused once closing has begun.
  await t.throwsAsync(fetch(`${url}/healthz`));
  const result = await inFlight;
  await closed;
  t.deepEqual(result, { status: 200, connection: 'close', body: { done: true } });
  // Done when the slow request was (about 400 ms), not at the 2 s shutdown timeout.
  t.true(Date.now() - closeStarted < 1_500, `closed after ${Date.now() - closeStarted} ms`);
  // Hooks run after the drain, newest first.
  t.deepEqual(events, ['handler finished', 'hook 2', 'hook 1', 'closed']);
});

test('startService runs its closeHooks after the drain in the order listed', async (t) => {
  const events: string[] = [];
  const { log } = createMemoryLogger('test-api');
  const app = createServiceApp({ name: 'test-api', version: '1.2.3', log });
  const server = await startService(app, {
    port: 0,
    host: '127.0.0.1',
    closeHooks: ['stop consumers', 'close the log', 'close the pool'].map(
      (name) => () => void events.push(name),
    ),
  });
  t.teardown(() => server.close());
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  await server.close();
  t.deepEqual(events, ['stop consumers', 'close the log', 'close the pool']);
});

test('graceful close cuts a request that outlives shutdownTimeoutMs', async (t) => {
  const { log } = createMemoryLogger();
  const router = new Router();
  let entered: () => void = () => undefined;
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  router.get('/forever', () => {
    entered();
    return new Promise(() => undefined);
  });
  const app = createServiceApp({ name: 'x', version: '0', log, routers: [router] });
  const server = createServiceServer(app, { shutdownTimeoutMs: 200 });
  await server.listen(0, '127.0.0.1');
  const request = fetch(`${server.url}/forever`).catch((error: unknown) => error);
  await handlerEntered;
  const started = Date.now();
  await server.close();
  const elapsed = Date.now() - started;
  t.true(elapsed >= 190 && elapsed < 2_000, `closed after ${elapsed} ms`);
  t.true((await request) instanceof Error);
});

test('readiness answers 503 once draining has begun', async (t) => {
  const { url, app } = await startApp(t);
  app.startDraining();
  const response = await fetch(`${url}/readyz`);
  t.is(response.status, 503);
  t.like(await response.json(), { code: 'unavailable', detail: 'shutting down' });
});
