// Private, throwaway FerretDB and OpenSearch instances for tests that must stop a server (never the
// shared ones of infra:up): the same binaries and launch arguments as infra:up, on free loopback
// ports, with their data in a temporary folder that `destroy()` removes.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ferretDbArgs, ferretDbBinary } from './ferretdb.js';
import { classesDir, log4jProperties, openSearchJavaArgs } from './opensearch.js';
import { getJson, mongoAnswers } from './probes.js';
import { InfraError, waitUntil } from './proc.js';

/** A private OpenSearch node's heap: small, it holds a few test indexes. */
export const privateOpenSearchHeapDefault = '320m';
/** Longest wait for a private server to answer after a start. */
export const privateFerretDbStartTimeoutMs = 30_000;
export const privateOpenSearchStartTimeoutMs = 180_000;
/** Longest wait for a private server to exit after SIGTERM, before SIGKILL. */
export const privateServerStopTimeoutMs = 15_000;

export interface PrivateServer {
  /** The client URL (`mongodb://...` or `http://...`). */
  url: string;
  /** The folder with its data and its log (`server.log`). */
  home: string;
  /** The running process, for a test that stops it (SIGSTOP/SIGCONT, SIGKILL). */
  pid(): number;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folder. */
  destroy(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Spawns `command` with its output in `home/server.log`, waits until `ready` answers true. */
async function launch(options: {
  what: string;
  home: string;
  command: string;
  args: string[];
  url: string;
  ready: () => Promise<boolean>;
  timeoutMs: number;
}): Promise<PrivateServer> {
  const logFile = join(options.home, 'server.log');
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(options.command, options.args, {
    cwd: options.home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: PrivateServer = {
    url: options.url,
    home: options.home,
    pid() {
      if (child.pid === undefined) throw new InfraError(`${options.what} has no pid`);
      return child.pid;
    },
    async destroy() {
      if (running(child)) {
        // A stopped (SIGSTOP) process would not act on SIGTERM before it is continued.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), privateServerStopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      rmSync(options.home, { recursive: true, force: true });
    },
  };
  try {
    await waitUntil(options.what, options.ready, {
      timeoutMs: options.timeoutMs,
      logFile,
      stillRunning: () => running(child),
    });
  } catch (error) {
    await server.destroy().catch(() => undefined);
    throw error;
  }
  return server;
}

/** Starts a private FerretDB (SQLite handler) built by infra:up; resolves once it answers. */
export async function startPrivateFerretDb(name: string): Promise<PrivateServer> {
  if (!existsSync(ferretDbBinary))
    throw new InfraError(`${ferretDbBinary} is missing: run \`npm run infra:up\` once to build it`);
  const home = mkdtempSync(join(tmpdir(), `${name}-ferretdb-`));
  const dataDir = join(home, 'data');
  const stateDir = join(home, 'state');
  mkdirSync(dataDir);
  mkdirSync(stateDir);
  const port = await freeLoopbackPort();
  return launch({
    what: `private ferretdb (${home})`,
    home,
    command: ferretDbBinary,
    args: ferretDbArgs({ dataDir, stateDir, port }),
    url: `mongodb://127.0.0.1:${port}/`,
    ready: () => mongoAnswers(port),
    timeoutMs: privateFerretDbStartTimeoutMs,
  });
}

/**
 * Starts a private single-node OpenSearch from the jars and launcher infra:up prepared, with a
 * small heap; resolves once the cluster is yellow or green.
 */
export async function startPrivateOpenSearch(
  name: string,
  heap = privateOpenSearchHeapDefault,
): Promise<PrivateServer> {
  if (!existsSync(classesDir))
    throw new InfraError(
      `${classesDir} is missing: run \`npm run infra:up\` once to prepare OpenSearch`,
    );
  const home = mkdtempSync(join(tmpdir(), `${name}-opensearch-`));
  const configDir = join(home, 'config');
  for (const dir of ['config', 'data', 'logs', 'plugins', 'modules', 'tmp'])
    mkdirSync(join(home, dir), { recursive: true });
  writeFileSync(join(configDir, 'log4j2.properties'), log4jProperties);
  const [httpPort, transportPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const settings = {
    'cluster.name': `${name}-private`,
    'node.name': 'node-1',
    'path.home': home,
    'path.data': join(home, 'data'),
    'path.logs': join(home, 'logs'),
    'network.host': '127.0.0.1',
    'http.port': String(httpPort),
    'transport.port': String(transportPort),
    'discovery.type': 'single-node',
    'cluster.routing.allocation.disk.threshold_enabled': 'false',
    'action.destructive_requires_name': 'false',
  };
  return launch({
    what: `private opensearch (${home})`,
    home,
    command: 'java',
    args: openSearchJavaArgs({ heap, home, configDir, settings }),
    url,
    ready: async () => {
      const health = (await getJson(`${url}/_cluster/health`)) as { status?: string } | undefined;
      return health?.status === 'green' || health?.status === 'yellow';
    },
    timeoutMs: privateOpenSearchStartTimeoutMs,
  });
}
