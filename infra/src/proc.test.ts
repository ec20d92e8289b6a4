import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError, runLogged } from './proc.js';

/** The session id of a process (field 6 of /proc/<pid>/stat). */
function sessionOf(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

/** Runs a script that leaves a daemon behind (as a service script does) and returns its pid. */
async function daemonLeftBy(detached: boolean): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), 'infra-proc-'));
  try {
    const logFile = join(folder, 'run.log');
    await runLogged('sh', ['-c', 'sleep 60 > /dev/null 2>&1 < /dev/null & echo "$!"'], {
      logFile,
      detached,
    });
    return Number(readFileSync(logFile, 'utf8').trim());
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

test('runLogged detached: what the command leaves running is in a session of its own, not the caller’s', async (t) => {
  const own = sessionOf('self');
  const detached = await daemonLeftBy(true);
  const attached = await daemonLeftBy(false);
  t.teardown(() => {
    for (const pid of [detached, attached]) process.kill(pid, 'SIGKILL');
  });
  t.true(Number.isInteger(detached) && detached > 0);
  t.not(sessionOf(detached), own, 'a daemon started detached outlives the caller’s session');
  // Without the option it stays in the caller's session (so ends with it): the test's contrast.
  t.is(sessionOf(attached), own);
});

test('runLogged: a command that exits without reading its input succeeds by its exit code, and a failing one is an InfraError naming it', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'infra-proc-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const logFile = join(folder, 'run.log');
  // 1 MiB of input the command never reads: the pipe closes under the write (EPIPE).
  await t.notThrowsAsync(runLogged('true', [], { logFile, input: 'x'.repeat(1 << 20) }));
  const error = await t.throwsAsync(runLogged('sh', ['-c', 'echo broken; exit 3'], { logFile }), {
    instanceOf: InfraError,
  });
  t.regex(error.message, /^sh -c echo broken; exit 3 failed \(exit 3\)/);
  t.regex(error.message, /broken/);
});

test('runLogged: a command that is not there rejects with its spawn error, once (no second close of the log)', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'infra-proc-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const error = await t.throwsAsync(
    runLogged('spendstream-no-such-command', [], { logFile: join(folder, 'run.log') }),
  );
  t.regex(error.message, /spawn spendstream-no-such-command ENOENT/);
  // The 'close' that follows the 'error' must not throw (it was an uncaught EBADF, which fails
  // this file): give it its turn before the test ends.
  await new Promise((resolve) => setTimeout(resolve, 100));
});
