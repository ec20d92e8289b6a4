/**
 * A service's routers as one middleware. A request whose path is one route's fixed path (no
 * parameters), and that no other route or router-level middleware of any router also matches,
 * runs that route's middlewares, composed once at start: none of @koa/router's per-request work
 * (the Host header parsed for its host option, every layer's pattern tried, the route's chain
 * built and composed again, a not-found event per router that does not match). Everything else
 * (paths with parameters, unknown paths, other methods: 404, 405 with Allow, OPTIONS) goes through
 * the routers' own `routes()` and `allowedMethods()`, in order, as before. The table is built
 * when the app is, and again when a router has gained a route or middleware since.
 */
import type Koa from 'koa';
import type Router from '@koa/router';

type Next = () => Promise<unknown>;
type Chain = (ctx: Koa.Context, next: Next) => Promise<unknown>;

/** A route served without the router: its template and its middlewares composed once. */
interface FixedRoute {
  path: string;
  name: string | undefined;
  run: Chain;
}

/** What @koa/router's dispatch leaves on the context of a matched route, set the same way here. */
interface RouterContextFields {
  _matchedRoute?: string;
  _matchedRouteName?: string;
  routerPath?: string;
  routerName?: string;
  captures?: string[];
  params?: Record<string, string>;
}

/** `stack` run in order, each middleware's `next` the following one, the last one's `next`. */
function composeOnce(stack: readonly Koa.Middleware[]): Chain {
  return (ctx, next) => {
    let called = -1;
    const step = (i: number): Promise<unknown> => {
      if (i <= called) return Promise.reject(new Error('next() called multiple times'));
      called = i;
      const middleware = stack[i];
      if (middleware === undefined) return Promise.resolve(next());
      try {
        return Promise.resolve(middleware(ctx, () => step(i + 1)));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    };
    return step(0);
  };
}

/**
 * `method path` -> route, for the fixed paths that exactly one route of all the routers matches.
 * A router with a host, a router path or exclusive matching keeps all its routes, and the paths
 * they match, on the routers' own dispatch.
 */
function fixedRoutes(routers: readonly Router[]): Map<string, FixedRoute> {
  const table = new Map<string, FixedRoute>();
  const special = (router: Router) =>
    Boolean(router.opts.host) || Boolean(router.opts.routerPath) || Boolean(router.opts.exclusive);
  for (const router of routers) {
    if (special(router)) continue;
    for (const layer of router.stack) {
      if (
        typeof layer.path !== 'string' ||
        layer.methods.length === 0 ||
        layer.paramNames.length > 0 ||
        !layer.match(layer.path)
      )
        continue;
      // Every route and router-level middleware of every router that this path reaches.
      let reached = 0;
      for (const other of routers) {
        if (special(other)) reached += 2;
        else for (const candidate of other.stack) if (candidate.match(layer.path)) reached++;
      }
      if (reached !== 1) continue;
      const route: FixedRoute = {
        path: layer.path,
        name: layer.name ?? undefined,
        run: composeOnce(layer.stack as Koa.Middleware[]),
      };
      for (const method of layer.methods) table.set(`${method} ${layer.path}`, route);
    }
  }
  return table;
}

/** Whether any router's stack has grown or shrunk since `sizes` were taken. */
function changed(routers: readonly Router[], sizes: readonly number[]): boolean {
  for (let i = 0; i < routers.length; i++) if (routers[i]!.stack.length !== sizes[i]) return true;
  return false;
}

export function routeTable(routers: readonly Router[]): Koa.Middleware {
  let fixed = fixedRoutes(routers);
  let sizes = routers.map((router) => router.stack.length);
  const fallback: Koa.Middleware[] = [];
  for (const router of routers) {
    fallback.push(router.routes() as Koa.Middleware, router.allowedMethods() as Koa.Middleware);
  }
  const routed = composeOnce(fallback);
  return (ctx, next) => {
    if (changed(routers, sizes)) {
      fixed = fixedRoutes(routers);
      sizes = routers.map((router) => router.stack.length);
    }
    const route = fixed.size > 0 ? fixed.get(`${ctx.method} ${ctx.path}`) : undefined;
    if (route === undefined) return routed(ctx, next);
    const fields = ctx as Koa.Context & RouterContextFields;
    fields._matchedRoute = route.path;
    fields.routerPath = route.path;
    if (route.name !== undefined) {
      fields._matchedRouteName = route.name;
      fields.routerName = route.name;
    }
    fields.captures = [];
    fields.params = {};
    (ctx.request as { params?: Record<string, string> }).params = fields.params;
    return route.run(ctx, next);
  };
}
