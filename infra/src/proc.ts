// Running commands, starting detached servers and waiting for them, with bounded waits everywhere.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Thrown for any failure the user should read as one clear line (no stack). */
export class InfraError extends Error {
  override name = 'InfraError';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Whether a program is on the PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Stops with a message naming the missing tool and how a Debian machine gets it. */
export function requireCommand(name: string, hint: string): void {
  if (!hasCommand(name)) throw new InfraError(`'${name}' is not on the PATH: ${hint}`);
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the full output goes; the progress callback sees each line too. */
  logFile: string;
  /** Called with each output line, to show progress. */
  onLine?: (line: string) => void;
  input?: string;
  /**
   * Runs the command in a session of its own (setsid), so a daemon it leaves behind (a service
   * script's server) outlives the caller's session and process group: a closed terminal or a
   * killed job no longer takes the server down with it.
   */
  detached?: boolean;
}

/** Runs a command to completion with its output in a log file; rejects with the log tail. */
export function runLogged(command: string, args: string[], options: RunOptions): Promise<void> {
  return new Promise((resolveRun, rejectRun) => {
    const fd = openSync(options.logFile, 'a');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    let pending = '';
    const onData = (chunk: Buffer): void => {
      writeFileSync(fd, chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine?.(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // A command that exits without reading its input closes the pipe first: its exit code, not
    // the EPIPE of that write, says how it went.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') rejectRun(error);
    });
    child.stdin.end(options.input ?? '');
    // A command that cannot start emits 'error' and then 'close': the log closes once.
    let logOpen = true;
    const closeLog = (): void => {
      if (logOpen) closeSync(fd);
      logOpen = false;
    };
    child.on('error', (error) => {
      closeLog();
      rejectRun(error);
    });
    child.on('close', (code) => {
      closeLog();
      if (code === 0) resolveRun();
      else
        rejectRun(
          new InfraError(
            `${command} ${args.join(' ')} failed (exit ${code}); last lines of ${options.logFile}:\n${tail(options.logFile)}`,
          ),
        );
    });
  });
}

/** Runs a short command and returns its stdout, or undefined when it fails. */
export function runQuiet(command: string, args: string[], input?: string): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', input, timeout: 30_000 });
  return result.status === 0 ? result.stdout : undefined;
}

/** The last lines of a log file, for failure messages. */
export function tail(file: string, lineCount = 40): string {
  if (!existsSync(file)) return `(no ${file})`;
  const lines = readFileSync(file, 'utf8').split('\n');
  return lines.slice(-lineCount).join('\n');
}

/**
 * Starts a long-running server in its own session so it outlives the npm command, with stdout and
 * stderr in a log file, and records its pid.
 */
export function startDetached(
  command: string,
  args: string[],
  options: { cwd: string; logFile: string; pidFile: string; env?: NodeJS.ProcessEnv },
): number {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new InfraError(`could not start ${command}`);
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

/**
 * The pid recorded in a pid file, when that process still runs and its command line contains the
 * marker (a recycled pid belonging to something else is never ours).
 */
export function livePid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends SIGTERM, waits up to timeoutMs for the process to go, then SIGKILL. */
export async function stopPid(pid: number, timeoutMs: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      // A zombie still answers kill(0); /proc says whether it really runs.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat);
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) return;
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/**
 * Polls probe until it answers true, or fails after timeoutMs with the log tail. Also fails early
 * when the process died.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; logFile: string; stillRunning?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    if (options.stillRunning && !options.stillRunning()) {
      throw new InfraError(
        `${what} exited while starting; last lines of ${options.logFile}:\n${tail(options.logFile)}`,
      );
    }
    await sleep(500);
  }
  throw new InfraError(
    `${what} did not become healthy within ${options.timeoutMs / 1000}s; last lines of ${options.logFile}:\n${tail(options.logFile)}`,
  );
}

/**
 * Fails with a clear message when a port the server needs is taken by something that is not our
 * healthy server (which was checked before this).
 */
export async function requireFreePorts(
  server: string,
  ports: { port: number; variable: string }[],
  inUse: (port: number) => Promise<boolean>,
): Promise<void> {
  for (const { port, variable } of ports) {
    if (await inUse(port)) {
      throw new InfraError(
        `${server}: port ${port} on 127.0.0.1 is taken by another process; stop it or set ${variable} to another port`,
      );
    }
  }
}

const javaMajorMin = 17;
const javaHint = 'install a Java 17 JDK (apt-get install -y openjdk-17-jdk-headless)';

/** Kafka 4 and OpenSearch 2.19 need Java 17 or newer on the PATH. */
export function requireJava(): void {
  requireCommand('java', javaHint);
  const banner = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr ?? '';
  const major = Number(/version "(\d+)/.exec(banner)?.[1] ?? '0');
  if (major < javaMajorMin) {
    throw new InfraError(
      `java on the PATH is version ${major || 'unknown'}, need ${javaMajorMin}+: ${javaHint}`,
    );
  }
}
