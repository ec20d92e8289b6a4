// FerretDB v1 (MongoDB wire protocol) on its SQLite handler, built from source with `go install`.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { binDir, goPathDir, stateDir } from './config.js';
import { mongoAnswers, portInUse } from './probes.js';
import { progress } from './progress.js';
import {
  livePid,
  removeFile,
  requireFreePorts,
  requireCommand,
  runLogged,
  startDetached,
  stopPid,
  waitUntil,
} from './proc.js';
import type { InfraServer } from './server.js';

export const ferretDbVersion = 'v1.24.2';
const moduleRoot = 'github.com/FerretDB/FerretDB';
const startTimeoutMs = 30_000;
const stopTimeoutMs = 15_000;

const home = join(stateDir, 'ferretdb');
/** A writable copy of the module source, built with version.txt added. */
const sourceDir = join(home, 'src');
const dataDir = join(home, 'data');
const stateFolder = join(home, 'state');
const logsDir = join(home, 'logs');
const logFile = join(logsDir, 'ferretdb.log');
const pidFile = join(home, 'ferretdb.pid');
/** The binary infra:up builds; private instances (private-servers.ts) run it too. */
export const ferretDbBinary = join(binDir, 'ferretdb');
/** The version the binary in .infra/bin was built from (the binary itself reports "unknown"). */
const versionFile = join(binDir, 'ferretdb.version');

/** Module cache files are read-only; the copy must be writable to add a file and delete later. */
function chmodTreeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) chmodTreeWritable(path);
    else chmodSync(path, 0o644);
  }
}

/** FerretDB's arguments: the SQLite handler on `dataDir`, loopback on `port`. */
export function ferretDbArgs(options: {
  dataDir: string;
  stateDir: string;
  port: number;
}): string[] {
  return [
    '--handler=sqlite',
    // A folder (trailing slash): one SQLite file per database inside it.
    `--sqlite-url=file:${options.dataDir}/`,
    `--listen-addr=127.0.0.1:${options.port}`,
    `--state-dir=${options.stateDir}`,
    '--telemetry=disable',
    '--debug-addr=-',
    // warn would log every driver's endSessions (unsupported in v1) with a full message dump.
    '--log-level=error',
  ];
}

export const ferretdb: InfraServer = {
  name: 'ferretdb',

  async install() {
    mkdirSync(logsDir, { recursive: true });
    if (
      existsSync(ferretDbBinary) &&
      existsSync(versionFile) &&
      readFileSync(versionFile, 'utf8').trim() === ferretDbVersion
    ) {
      return;
    }
    requireCommand(
      'go',
      'install Go >= 1.24 (https://go.dev/dl, or apt-get install -y golang-go if recent enough)',
    );
    mkdirSync(binDir, { recursive: true });
    const buildLog = join(logsDir, 'build.log');
    console.log(
      `ferretdb: building ${ferretDbVersion} from the Go module proxy (a few minutes; log: ${buildLog})`,
    );
    const bar = progress('ferretdb');
    const goEnv = {
      ...process.env,
      GOPATH: goPathDir,
      GOMODCACHE: join(goPathDir, 'pkg', 'mod'),
      GOCACHE: join(goPathDir, 'cache'),
      // Lets `rm -rf .infra` delete the module cache (Go makes it read-only by default).
      GOFLAGS: '-modcacherw',
      // The SQLite handler is pure Go.
      CGO_ENABLED: '0',
    };
    const onLine = (line: string): void => {
      const downloading = /^go: downloading (\S+)/.exec(line);
      if (downloading?.[1]) bar.step(`downloading ${downloading[1]}`);
      else if (/^[\w.-]+(\/[\w.@-]+)+$/.test(line.trim())) bar.step(`compiling ${line.trim()}`);
    };
    // Not a plain `go install ...@v1.24.2`: that binary panics at start because the module lacks
    // build/version/version.txt (generated from git in FerretDB's own builds). So: fetch the
    // module, copy it, add that file with the version, and build the copy.
    await runLogged('go', ['mod', 'download', '-json', `${moduleRoot}@${ferretDbVersion}`], {
      logFile: buildLog,
      env: goEnv,
    });
    const moduleDir = join(
      goPathDir,
      'pkg',
      'mod',
      'github.com',
      '!ferret!d!b',
      `!ferret!d!b@${ferretDbVersion}`,
    );
    rmSync(sourceDir, { recursive: true, force: true });
    cpSync(moduleDir, sourceDir, { recursive: true });
    chmodTreeWritable(sourceDir);
    writeFileSync(join(sourceDir, 'build', 'version', 'version.txt'), `${ferretDbVersion}\n`);
    await runLogged('go', ['build', '-v', '-trimpath', '-o', ferretDbBinary, './cmd/ferretdb'], {
      cwd: sourceDir,
      logFile: buildLog,
      env: goEnv,
      onLine,
    });
    writeFileSync(versionFile, `${ferretDbVersion}\n`);
    bar.done(`built ${ferretDbBinary}`);
  },

  async start(config) {
    if (await mongoAnswers(config.ferretDbPort).catch(() => false)) return;
    await requireFreePorts(
      'ferretdb',
      [{ port: config.ferretDbPort, variable: 'INFRA_FERRETDB_PORT' }],
      portInUse,
    );
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(stateFolder, { recursive: true });
    console.log(`ferretdb: starting on 127.0.0.1:${config.ferretDbPort} (log: ${logFile})`);
    const pid = startDetached(
      ferretDbBinary,
      ferretDbArgs({ dataDir, stateDir: stateFolder, port: config.ferretDbPort }),
      { cwd: home, logFile, pidFile },
    );
    await waitUntil('ferretdb', () => mongoAnswers(config.ferretDbPort), {
      timeoutMs: startTimeoutMs,
      logFile,
      stillRunning: () => livePid(pidFile, 'ferretdb') === pid,
    });
  },

  async stop() {
    const pid = livePid(pidFile, 'ferretdb');
    if (pid !== undefined) {
      console.log(`ferretdb: stopping pid ${pid}`);
      await stopPid(pid, stopTimeoutMs);
    }
    removeFile(pidFile);
  },

  async status(config) {
    const up = await mongoAnswers(config.ferretDbPort).catch(() => false);
    const pid = livePid(pidFile, 'ferretdb');
    return {
      up,
      version: existsSync(versionFile)
        ? readFileSync(versionFile, 'utf8').trim()
        : `${ferretDbVersion} (not built)`,
      url: `mongodb://127.0.0.1:${config.ferretDbPort}/`,
      ...(pid ? { pid } : {}),
      ...(up && pid === undefined ? { note: 'answers, but not started by infra:up' } : {}),
    };
  },

  envEntry(config) {
    return { MONGODB_URL: `mongodb://127.0.0.1:${config.ferretDbPort}/` };
  },
};
