/**
 * WAL checkpoints off the writer's thread. In WAL mode SQLite appends each commit to the `-wal`
 * file, and by default the connection whose commit takes the WAL past 1,000 pages then copies the
 * WAL back into the database file and fsyncs it (a checkpoint) before its commit returns. With
 * better-sqlite3 that copy runs on the event loop; in the stream jobs' backlog it was about a third
 * of the time of their large commits (docs/benchmarks.md, stream-jobs, session 10).
 *
 * A background checkpointer is a worker thread with its own connection to the file that runs a
 * PASSIVE checkpoint every `checkpointIntervalMs` (a PASSIVE checkpoint never blocks the writer
 * and never waits for it). The writer's own automatic checkpoint moves up to
 * `walAutocheckpointPagesMax` pages, a bound the WAL reaches only when the worker falls behind:
 * then the writer checkpoints on its commit as SQLite always does, so the WAL cannot grow without
 * bound. Durability is unchanged: a commit is durable once its frames are fsynced in the WAL
 * (`synchronous = FULL`), whoever copies them into the database file later, and SQLite recovers a
 * checkpoint cut short by a crash from the WAL.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * Pages (4 KiB each by default) the WAL may hold before the writer checkpoints on its own commit:
 * 16,384 pages, 64 MiB. Reached only when the background checkpoint falls behind.
 */
export const walAutocheckpointPagesMax = 16_384;
/** How often the worker runs a PASSIVE checkpoint (a no-op read of the WAL index when idle). */
export const checkpointIntervalMs = 50;
/** WAL bytes left on disk when the WAL starts again from its beginning (`journal_size_limit`). */
export const walBytesKeptMax = 16 * 1024 * 1024;
/** How long `release` of the last user waits for the worker's final checkpoint. */
export const checkpointerCloseTimeoutMs = 5_000;

/** How a SQLite file's WAL is checkpointed: by the committing writer (SQLite's default) or a worker. */
export type WalCheckpointMode = 'inline' | 'background';

const require = createRequire(import.meta.url);

/** The worker's code: plain JavaScript, so it runs without a TypeScript loader. */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
// Never wait for a lock: a checkpoint that finds one taken is simply tried again on the next tick.
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const run = () => {
  try {
    checkpoint.run();
  } catch {}
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  run();
  db.close();
  parentPort.postMessage('closed');
});
`;

/**
 * Sets the writer connection's checkpoint settings for `mode`; `walPagesMax` (tests) replaces the
 * bound at which the writer checkpoints on its own.
 */
export function applyWriterCheckpointMode(
  db: BetterSqlite3.Database,
  mode: WalCheckpointMode,
  walPagesMax = walAutocheckpointPagesMax,
): void {
  if (mode === 'inline') return;
  db.pragma(`wal_autocheckpoint = ${walPagesMax}`);
  db.pragma(`journal_size_limit = ${walBytesKeptMax}`);
}

interface Running {
  worker: Worker;
  users: number;
}

/** One worker per file per process, shared by every connection that asks for one. */
const running = new Map<string, Running>();

/**
 * Starts (or joins) the background checkpoint of `filename`, a WAL-mode SQLite file that exists.
 * Call the returned `release` once when the connection closes; the last one stops the worker
 * after a final checkpoint.
 */
export function acquireWalCheckpointer(
  filename: string,
  options: { intervalMs?: number } = {},
): () => Promise<void> {
  const key = resolve(filename);
  let entry = running.get(key);
  if (entry === undefined) {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        filename: key,
        driver: require.resolve('better-sqlite3'),
        intervalMs: options.intervalMs ?? checkpointIntervalMs,
      },
    });
    // The worker never keeps a process alive on its own; the writer's own checkpoints and SQLite's
    // recovery cover a process that exits without releasing it.
    worker.unref();
    // A worker that fails (the file removed under it) leaves the writer's own checkpoints in charge.
    worker.on('error', () => running.get(key)?.worker === worker && running.delete(key));
    entry = { worker, users: 0 };
    running.set(key, entry);
  }
  entry.users += 1;
  const acquired = entry;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    acquired.users -= 1;
    if (acquired.users > 0) return;
    if (running.get(key) === acquired) running.delete(key);
    await stopWorker(acquired.worker);
  };
}

/** Asks the worker for a last checkpoint, then ends it (terminated if it does not answer). */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise<void>((resolveStop) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void worker.terminate().then(() => resolveStop());
    };
    const timer = setTimeout(finish, checkpointerCloseTimeoutMs);
    worker.once('message', finish);
    worker.once('exit', finish);
    worker.postMessage('close');
  });
}

/** Files with a running background checkpointer in this process (for tests). */
export function walCheckpointerFiles(): string[] {
  return [...running.keys()];
}
