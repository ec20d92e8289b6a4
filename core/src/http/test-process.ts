/**
 * Test helpers for whole processes: spawn a TypeScript entry (a service's main, the all-in-one)
 * under tsx, read its JSON log lines, wait for one, stop it with a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * How long a helper waits for a log line or an exit before failing the test. A service's start
 * takes 6-15 s in a calm CI run (tsx compiles its sources first), but 30 s was not enough when
 * the suite's first wave of test files started beside benchmarks (load 12-13: two start-ups timed
 * out in one run); these tests prove what a process does, not how fast it starts.
 */
export const processWaitMsDefault = 90_000;

export interface SpawnedProcess {
  readonly child: ChildProcess;
  /** Parsed JSON lines from stdout so far (non-JSON lines are kept as `{ text }`). */
  readonly records: Record<string, unknown>[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** The first record matching `predicate`, waiting for it if needed. */
  waitForRecord(
    predicate: (record: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal) once the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send a signal and wait for the exit. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Run `entry` (a .ts file) with tsx in a child process, with exactly `env` plus PATH and HOME. */
export function spawnTsx(entry: string, env: Record<string, string>): SpawnedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TZ: 'UTC', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stdoutRest = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (stdoutRest + chunk).split('\n');
    stdoutRest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        records.push({ text: line });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));

  return {
    child,
    records,
    stderr: () => stderr,
    exited,
    waitForRecord(predicate, timeoutMs = processWaitMsDefault) {
      const found = new Promise<Record<string, unknown>>((resolve, reject) => {
        const check = () => {
          const record = records.find(predicate);
          if (record) {
            waiters.delete(check);
            resolve(record);
          } else if (done || child.exitCode !== null) {
            waiters.delete(check);
            reject(new Error(`process exited before the expected log line; stderr: ${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
      return withTimeout(found, timeoutMs, 'a log line');
    },
    async stop(signal = 'SIGTERM', timeoutMs = processWaitMsDefault) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return withTimeout(exited, timeoutMs, 'the process to exit');
    },
  };
}
