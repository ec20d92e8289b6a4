/**
 * Several ingest-api processes behind one port (node:cluster), for machines where one process's
 * event loop is the limit: each worker is a whole ingest-api (its own event-log producers, SQL
 * pool, wallet view and group commit); the primary only forks them, shares the listening socket
 * (connections are handed out round robin), replaces a worker that dies, and on shutdown asks
 * every worker to drain and waits until all have exited.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@spendstream/core/log';

/** Most worker processes (INGEST_WORKERS). */
export const workersMax = 16;
/** Pause before replacing a worker that died, in ms (a worker failing at start does not spin). */
export const workerRestartDelayMs = 1_000;

/** What a worker tells the primary once its server listens. */
interface ListeningMessage {
  type: 'ingest-worker-listening';
  port: number;
}

/**
 * In a worker: run `shutdown` (then exit 0, or 1 when it fails) when the primary asks. A message
 * rather than a signal: a terminal's Ctrl-C already signals every worker of the process group,
 * and a second signal would cut a worker's drain short.
 */
export function onPrimaryShutdown(shutdown: () => Promise<void>, log: Logger): void {
  if (!cluster.isWorker) return;
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'ingest-worker-shutdown') return;
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('shutdown failed', { err: error });
        process.exit(1);
      },
    );
  });
}

/** In a worker: tell the primary the server listens (a no-op outside a cluster). */
export function reportListening(port: number): void {
  if (cluster.isWorker) process.send?.({ type: 'ingest-worker-listening', port });
}

export interface WorkerPool {
  /** Resolves with the port once every worker listens. */
  listening: Promise<number>;
  /** Asks every worker to drain and resolves once all have exited. */
  stop(): Promise<void>;
}

/** In the primary: fork `count` workers running this same entry file. */
export function startWorkers(count: number, log: Logger): WorkerPool {
  let stopping = false;
  const workers = new Set<Worker>();
  let resolveListening!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (resolveListening = resolve));
  let listeningCount = 0;

  const fork = () => {
    const worker = cluster.fork();
    workers.add(worker);
    worker.on('message', (message: ListeningMessage) => {
      if (message?.type !== 'ingest-worker-listening') return;
      listeningCount++;
      if (listeningCount === count) resolveListening(message.port);
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping) return;
      log.error('ingest worker died; starting another', { pid: worker.process.pid, code, signal });
      setTimeout(() => {
        if (!stopping) fork();
      }, workerRestartDelayMs).unref();
    });
  };
  for (let i = 0; i < count; i++) fork();

  return {
    listening,
    async stop() {
      stopping = true;
      await Promise.all(
        [...workers].map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.send({ type: 'ingest-worker-shutdown' });
            }),
        ),
      );
    },
  };
}
