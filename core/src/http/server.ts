/**
 * The HTTP server around a service app: `listen`, and a graceful `close` that stops accepting,
 * lets in-flight requests finish up to `shutdownTimeoutMs`, then runs the close hooks (database
 * pools, consumers) in reverse order of registration.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { ServiceApp } from './service-app.js';

/** Default time in-flight requests get to finish on shutdown. */
export const shutdownTimeoutMsDefault = 10_000;
/** Node's default header timeout is 60 s; a slow-loris client should not hold a socket that long. */
export const headersTimeoutMs = 20_000;
/** Longest a whole request may take to arrive (Node's request timeout). */
export const requestTimeoutMs = 60_000;
/** Idle keep-alive sockets close after this; above common load-balancer idle timeouts' floor. */
export const keepAliveTimeoutMs = 5_000;

/** How often a draining server closes keep-alive sockets that became idle. */
export const idleSweepIntervalMs = 25;

export type CloseHook = () => unknown;

export interface ServiceServer {
  /** The Node server, for tests and advanced wiring. */
  readonly server: Server;
  /** Start listening; resolves with the bound port (use port 0 for a free one). */
  listen(port: number, host?: string): Promise<number>;
  /** `http://127.0.0.1:<port>` once listening (for tests and logs). */
  readonly url: string;
  /** Register work to run after the server has stopped (close pools, stop consumers). */
  onClose(hook: CloseHook): void;
  /** Graceful shutdown; idempotent: every call returns the same promise. */
  close(): Promise<void>;
}

export interface ServerOptions {
  shutdownTimeoutMs?: number;
  log?: Logger;
}

export function createServiceServer(app: ServiceApp, options: ServerOptions = {}): ServiceServer {
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? shutdownTimeoutMsDefault;
  const log = options.log ?? app.log;
  const server = createServer(app.koa.callback());
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  const hooks: CloseHook[] = [];
  let closing: Promise<void> | undefined;

  const stopServer = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      const forceTimer = setTimeout(() => {
        log.warn('shutdown timeout reached; closing remaining connections', { shutdownTimeoutMs });
        server.closeAllConnections();
      }, shutdownTimeoutMs);
      forceTimer.unref();
      // server.close stops accepting and calls back once every connection has ended.
      // A keep-alive socket whose last response just finished is idle, but Node does not close it
      // by itself: sweep idle sockets until the last one is gone.
      const idleSweep = setInterval(() => server.closeIdleConnections(), idleSweepIntervalMs);
      server.close(() => {
        clearTimeout(forceTimer);
        clearInterval(idleSweep);
        resolve();
      });
      server.closeIdleConnections();
    });

  const runHooks = async () => {
    for (const hook of [...hooks].reverse()) {
      try {
        await hook();
      } catch (error) {
        log.error('close hook failed', { err: error });
      }
    }
  };

  return {
    server,
    get url() {
      const address = server.address() as AddressInfo | null;
      return address ? `http://127.0.0.1:${address.port}` : '';
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    onClose(hook) {
      hooks.push(hook);
    },
    close() {
      closing ??= (async () => {
        app.startDraining();
        const started = Date.now();
        await stopServer();
        await runHooks();
        log.info('stopped', { durationMs: Date.now() - started });
      })();
      return closing;
    },
  };
}

/** At this many SIGTERM/SIGINT signals the process exits at once, without finishing the drain. */
export const signalsBeforeForcedExit = 2;

/**
 * Run `shutdown` on SIGTERM or SIGINT, then exit 0 (1 if it failed). A second signal exits at once,
 * for the operator who really means it.
 */
export function onShutdownSignal(shutdown: () => Promise<void>, log: Logger): void {
  let signals = 0;
  const handle = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals >= signalsBeforeForcedExit) {
      log.warn('second signal: exiting without finishing the drain', { signal });
      process.exit(1);
    }
    log.info('shutting down', { signal });
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('shutdown failed', { err: error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

export interface RunOptions {
  port: number;
  host?: string;
  shutdownTimeoutMs?: number;
  /**
   * Run after the server has drained, in the order listed: what writes first (stop consumers and
   * relays, wait for confirms), then the event log, then the SQL pool. (`onClose` on the server
   * runs hooks newest first; these are registered so that the list's order holds.)
   */
  closeHooks?: CloseHook[];
  /** Extra fields for the `listening` log line (the backends chosen, say). */
  logFields?: Record<string, unknown>;
}

/**
 * Start one service: listen, log `listening` with its URL and port, and return the server (whose
 * `close` drains it). Signals are the caller's: `main.ts` passes `server.close` to
 * `onShutdownSignal`, the all-in-one closes every server together.
 */
export async function startService(app: ServiceApp, options: RunOptions): Promise<ServiceServer> {
  const server = createServiceServer(app, { shutdownTimeoutMs: options.shutdownTimeoutMs });
  for (const hook of [...(options.closeHooks ?? [])].reverse()) server.onClose(hook);
  const port = await server.listen(options.port, options.host);
  app.log.info('listening', {
    ...options.logFields,
    port,
    host: options.host ?? '::',
    url: `http://localhost:${port}`,
    version: app.version,
  });
  return server;
}
