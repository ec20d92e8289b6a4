/**
 * Server-Sent Events plumbing shared by the live streams (alerts, transactions): the response
 * headers, the `retry` hint, a keep-alive comment, and a registry of open streams so a draining
 * server ends them at once instead of waiting for `SHUTDOWN_TIMEOUT_MS` (clients reconnect, to
 * another instance behind a load balancer).
 */
import type Koa from 'koa';
import { PassThrough } from 'node:stream';

/** A comment line this often keeps proxies from closing an idle stream. */
export const heartbeatIntervalMs = 15_000;
/** What the browser waits before reconnecting, sent as the SSE `retry` field. */
export const reconnectDelayMs = 1_000;

/** The open streams of one app. */
export interface SseRegistry {
  /** Track a stream; the returned function forgets it. */
  add(end: () => void): () => void;
  /** End every open stream (the server is draining); later streams end as soon as they open. */
  endAll(): void;
  readonly size: number;
}

export function createSseRegistry(): SseRegistry {
  const ends = new Set<() => void>();
  let ended = false;
  return {
    add(end) {
      if (ended) queueMicrotask(end);
      ends.add(end);
      return () => ends.delete(end);
    },
    endAll() {
      ended = true;
      for (const end of [...ends]) end();
    },
    get size() {
      return ends.size;
    },
  };
}

export interface SseStream {
  /** Send one event (`id` optional). */
  send(event: string, data: unknown, id?: string | number): void;
  /** True once the client left or the stream was ended. */
  readonly closed: boolean;
}

/**
 * Turn the response into an event stream. `onClose` runs once, when the client leaves, the stream
 * fails or the registry ends it.
 */
export function openSseStream(
  ctx: Koa.Context,
  registry: SseRegistry,
  onClose: () => void,
): SseStream {
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.set('Cache-Control', 'no-cache, no-transform');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.type = 'text/event-stream; charset=utf-8';
  ctx.status = 200;
  ctx.body = stream;
  stream.write(`retry: ${reconnectDelayMs}\n\n`);
  let closed = false;
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), heartbeatIntervalMs);
  heartbeat.unref();
  const cleanup = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    forget();
    onClose();
    stream.end();
  };
  const forget = registry.add(cleanup);
  ctx.req.on('close', cleanup);
  stream.on('error', cleanup);
  return {
    send(event, data, id) {
      if (closed) return;
      const idLine = id === undefined ? '' : `id: ${id}\n`;
      stream.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    get closed() {
      return closed;
    },
  };
}
