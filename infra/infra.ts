// `npm run infra:up [-- name ...]`, `infra:down [-- name ...]`, `infra:status`: the real servers
// (Kafka, MariaDB, FerretDB, OpenSearch) natively on loopback, for tests and benchmarks.
// See docs/infra.md.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { envFilePath, readConfig, stateDir, type InfraConfig } from './src/config.js';
import { chromium } from './src/chromium.js';
import { ferretdb } from './src/ferretdb.js';
import { kafka } from './src/kafka.js';
import { mariadb } from './src/mariadb.js';
import { opensearch } from './src/opensearch.js';
import { InfraError, livePid, removeFile, sleep } from './src/proc.js';
import type { InfraServer } from './src/server.js';

/**
 * In the order they come up: Kafka first, the others wait on it least; chromium (a package, not a
 * server, for the dashboard's browser tests) last.
 */
const servers: readonly InfraServer[] = [kafka, mariadb, ferretdb, opensearch, chromium];
const lockFile = `${stateDir}/infra.lock`;
/** Long enough for a first install from nothing (downloads and a Go build). */
const lockWaitMs = 20 * 60_000;

function select(names: string[]): InfraServer[] {
  if (names.length === 0) return [...servers];
  const known = new Set(servers.map((server) => server.name));
  const unknown = names.filter((name) => !known.has(name as InfraServer['name']));
  if (unknown.length > 0) {
    throw new InfraError(`unknown server ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  }
  return servers.filter((server) => names.includes(server.name));
}

/** Rewrites .infra/env.json with the servers that answer now (atomically: readers never see half). */
async function writeEnvFile(config: InfraConfig): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const server of servers) {
    if ((await server.status(config)).up) Object.assign(env, server.envEntry(config));
  }
  mkdirSync(stateDir, { recursive: true });
  const temporary = `${envFilePath}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(env, null, 2)}\n`);
  renameSync(temporary, envFilePath);
  return env;
}

/**
 * One `up` or `down` at a time: two test runs starting the servers together would both format and
 * start them. A lock whose owner died is taken over.
 */
async function withLock<T>(action: () => Promise<T>): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  const deadline = Date.now() + lockWaitMs;
  let announced = false;
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      writeFileSync(lockFile, `${process.pid}\n`);
      break;
    } catch {
      const owner = Number(readFileSync(lockFile, 'utf8').trim() || '0');
      if (owner > 0 && livePid(lockFile, 'infra') === undefined) {
        removeFile(lockFile);
        continue;
      }
      if (Date.now() > deadline)
        throw new InfraError(`another infra command (pid ${owner}) holds ${lockFile}`);
      if (!announced) console.log(`waiting for another infra command (pid ${owner}) to finish`);
      announced = true;
      await sleep(1_000);
    }
  }
  try {
    return await action();
  } finally {
    removeFile(lockFile);
  }
}

async function up(config: InfraConfig, names: string[]): Promise<boolean> {
  const started = Date.now();
  const failures: string[] = [];
  for (const server of select(names)) {
    try {
      await server.install(config);
      await server.start(config);
      const status = await server.status(config);
      if (!status.up) throw new InfraError(`${server.name} started but does not answer`);
      console.log(`${server.name}: up, ${status.version} at ${status.url}`);
    } catch (error) {
      failures.push(server.name);
      console.error(
        `${server.name}: FAILED: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // After each server, so that whoever waits for Kafka can start while the rest comes up.
    await writeEnvFile(config);
  }
  console.log(`wrote ${envFilePath} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (failures.length > 0) console.error(`not up: ${failures.join(', ')}`);
  return failures.length === 0;
}

async function down(config: InfraConfig, names: string[]): Promise<boolean> {
  for (const server of select(names).reverse()) await server.stop(config);
  await writeEnvFile(config);
  return true;
}

async function status(config: InfraConfig): Promise<boolean> {
  const rows = await Promise.all(
    servers.map(async (server) => ({ name: server.name, ...(await server.status(config)) })),
  );
  const widths = [10, 6, 28, 50];
  const line = (cells: string[]): string =>
    cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' ');
  console.log(line(['server', 'state', 'version', 'url']) + ' notes');
  for (const row of rows) {
    const notes = [row.pid ? `pid ${row.pid}` : '', row.note ?? ''].filter(Boolean).join(', ');
    console.log(line([row.name, row.up ? 'up' : 'down', row.version, row.url]) + ` ${notes}`);
  }
  return true;
}

async function main(): Promise<number> {
  const [command, ...names] = process.argv.slice(2);
  const config = readConfig();
  switch (command) {
    case 'up':
      return (await withLock(() => up(config, names))) ? 0 : 1;
    case 'down':
      return (await withLock(() => down(config, names))) ? 0 : 1;
    case 'status':
      return (await status(config)) ? 0 : 1;
    default:
      console.error(
        'usage: tsx infra/infra.ts up|down|status [kafka|mariadb|ferretdb|opensearch|chromium ...]',
      );
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof InfraError ? error.message : error);
    process.exitCode = 1;
  },
);
