import test from 'ava';
import Router from '@koa/router';
import { createMemoryLogger } from '../log.js';
import { createServiceApp } from './service-app.js';
import { createServiceServer } from './server.js';

async function serve(t: { teardown(fn: () => unknown): void }, routers: Router[]) {
  const { log } = createMemoryLogger('route-table-test');
  const app = createServiceApp({ name: 'route-table-test', version: '1', log, routers });
  const server = createServiceServer(app, { shutdownTimeoutMs: 2_000 });
  await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  return server.url;
}

/** Counts the router's own matching (its `routes()` middleware calls `match` on every request). */
function countMatches(router: Router): { count: number } {
  const counter = { count: 0 };
  const match = router.match.bind(router);
  router.match = (path, method) => {
    counter.count++;
    return match(path, method);
  };
  return counter;
}

test('a fixed path one route alone serves runs its middlewares without the router matching', async (t) => {
  const router = new Router();
  router.post(
    '/v1/things',
    async (ctx, next) => {
      ctx.set('X-Seen', 'first');
      await next();
    },
    (ctx) => {
      ctx.status = 202;
      ctx.body = { params: ctx.params, route: (ctx as { _matchedRoute?: string })._matchedRoute };
    },
  );
  const matches = countMatches(router);
  const url = await serve(t, [router]);
  const response = await fetch(`${url}/v1/things`, { method: 'POST' });
  t.is(response.status, 202);
  t.is(response.headers.get('x-seen'), 'first');
  t.deepEqual(await response.json(), { params: {}, route: '/v1/things' });
  t.is(matches.count, 0);
  // Another method on the same path is the router's: a 405 naming what is allowed.
  const wrong = await fetch(`${url}/v1/things`, { method: 'PUT' });
  t.is(wrong.status, 405);
  t.is(wrong.headers.get('allow'), 'POST');
  t.true(matches.count > 0);
});

test('a path with parameters is still routed by the router, with its params', async (t) => {
  const router = new Router();
  router.get('/v1/things/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  const matches = countMatches(router);
  const url = await serve(t, [router]);
  const response = await fetch(`${url}/v1/things/t-7`);
  t.deepEqual(await response.json(), { id: 't-7' });
  t.is(matches.count, 1);
});

test('a fixed path a router-level middleware also reaches keeps going through it', async (t) => {
  const router = new Router();
  router.use(async (ctx, next) => {
    ctx.set('X-Router-Middleware', 'ran');
    await next();
  });
  router.get('/v1/fixed', (ctx) => {
    ctx.body = { ok: true };
  });
  const url = await serve(t, [router]);
  const response = await fetch(`${url}/v1/fixed`);
  t.is(response.status, 200);
  t.is(response.headers.get('x-router-middleware'), 'ran');
});

test('a fixed path that a parameter route or a later router also matches keeps their order', async (t) => {
  const first = new Router();
  first.get('/v1/items/:id', async (ctx, next) => {
    ctx.set('X-Param-Route', 'ran');
    if (ctx.params.id !== 'summary') {
      ctx.body = { from: 'param' };
      return;
    }
    await next();
  });
  first.get('/v1/items/summary', (ctx) => {
    ctx.body = { from: 'fixed after param' };
  });
  const a = new Router();
  a.get('/v1/shared', async (ctx, next) => {
    ctx.set('X-First-Router', 'ran');
    await next();
  });
  const b = new Router();
  b.get('/v1/shared', (ctx) => {
    ctx.body = { from: 'second router' };
  });
  const url = await serve(t, [first, a, b]);
  const summary = await fetch(`${url}/v1/items/summary`);
  t.is(summary.headers.get('x-param-route'), 'ran');
  t.deepEqual(await summary.json(), { from: 'fixed after param' });
  t.deepEqual(await (await fetch(`${url}/v1/items/x`)).json(), { from: 'param' });
  const shared = await fetch(`${url}/v1/shared`);
  t.is(shared.headers.get('x-first-router'), 'ran');
  t.deepEqual(await shared.json(), { from: 'second router' });
});

test('a fixed route whose middleware calls next twice fails as it would under the router', async (t) => {
  const router = new Router();
  router.get(
    '/v1/twice',
    async (_ctx, next) => {
      await next();
      await next();
    },
    (ctx) => {
      ctx.body = { ok: true };
    },
  );
  const url = await serve(t, [router]);
  const response = await fetch(`${url}/v1/twice`);
  t.is(response.status, 500);
  t.is(((await response.json()) as { code: string }).code, 'internal');
});

test('a fixed route whose middleware throws at once is rendered as its problem', async (t) => {
  const router = new Router();
  router.get('/v1/throws', () => {
    throw Object.assign(new Error('nope'), { status: 409, expose: true });
  });
  const url = await serve(t, [router]);
  const response = await fetch(`${url}/v1/throws`);
  t.is(response.status, 409);
  t.is(((await response.json()) as { code: string }).code, 'conflict');
});

test('a route added to a router after the app was built is honoured, in its order', async (t) => {
  const router = new Router();
  router.get('/v1/late', async (ctx, next) => {
    ctx.set('X-First', 'ran');
    await next();
  });
  const url = await serve(t, [router]);
  t.is((await fetch(`${url}/v1/late`)).status, 404);
  router.get('/v1/late', (ctx) => {
    ctx.body = { from: 'added later' };
  });
  router.get('/v1/later', (ctx) => {
    ctx.body = { from: 'new path' };
  });
  const late = await fetch(`${url}/v1/late`);
  t.is(late.headers.get('x-first'), 'ran');
  t.deepEqual(await late.json(), { from: 'added later' });
  t.deepEqual(await (await fetch(`${url}/v1/later`)).json(), { from: 'new path' });
});
