// MariaDB from Debian's packages. It is the machine's own server (system data folder, port 3306):
// we reuse it when it runs, start it through its service script when it does not, and stop it on
// `down` only when we were the ones who started it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir, type InfraConfig } from './config.js';
import { progress } from './progress.js';
import {
  InfraError,
  hasCommand,
  removeFile,
  requireCommand,
  runLogged,
  runQuiet,
  waitUntil,
} from './proc.js';
import type { InfraServer } from './server.js';

const serverBinary = '/usr/sbin/mariadbd';
const serviceScript = '/etc/init.d/mariadb';
const startTimeoutMs = 60_000;
const home = join(stateDir, 'mariadb');
const logFile = join(home, 'infra.log');
/** Present when infra:up started the server, so infra:down knows it may stop it. */
const startedByUsMarker = join(home, 'started-by-infra');

function client(): string {
  return hasCommand('mariadb') ? 'mariadb' : 'mysql';
}

/** The server answers as root over its local socket (Debian's root uses unix_socket auth). */
function answersAsRoot(): boolean {
  return (
    runQuiet(client(), ['--protocol=socket', '-uroot', '-N', '-e', 'SELECT 1'])?.trim() === '1'
  );
}

/** The version, asked over TCP as our user: this is how the tests will connect. */
function versionOverTcp(config: InfraConfig): string | undefined {
  return runQuiet(client(), [
    '--protocol=tcp',
    '-h127.0.0.1',
    `-P${config.mariaDbPort}`,
    `-u${config.mariaDbUser}`,
    `-p${config.mariaDbPassword}`,
    '-N',
    '-e',
    'SELECT VERSION()',
  ])?.trim();
}

function quoteString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function quoteName(value: string): string {
  return `\`${value.replaceAll('`', '``')}\``;
}

export const mariadb: InfraServer = {
  name: 'mariadb',

  async install() {
    mkdirSync(home, { recursive: true });
    if (existsSync(serverBinary)) return;
    requireCommand(
      'apt-get',
      'MariaDB comes from Debian packages; this needs a Debian machine with apt-get',
    );
    if (process.getuid?.() !== 0) {
      throw new InfraError(
        'installing mariadb-server needs root (apt-get); run infra:up as root once',
      );
    }
    const bar = progress('mariadb');
    console.log(`mariadb: installing mariadb-server with apt-get (log: ${logFile})`);
    const onLine = (line: string): void => {
      const step = /^(Get:\d+|Unpacking|Setting up) (\S+)/.exec(line);
      if (step) bar.step(`${step[1]} ${step[2]}`);
    };
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runLogged('apt-get', ['update'], { logFile, onLine, env });
    await runLogged(
      'apt-get',
      ['install', '-y', '--no-install-recommends', 'mariadb-server', 'mariadb-client'],
      {
        logFile,
        onLine,
        env,
      },
    );
    bar.done('mariadb-server installed');
  },

  async start(config) {
    if (!answersAsRoot()) {
      console.log("mariadb: starting the machine's server");
      // In a session of its own, like the other servers: the service script leaves mysqld_safe
      // and mariadbd behind in its session, which ended with the caller's before (a killed job
      // that had run infra:up took MariaDB down with it).
      if (existsSync(serviceScript)) {
        await runLogged(serviceScript, ['start'], { logFile, detached: true });
      } else {
        await runLogged(
          'start-stop-daemon',
          ['--start', '--oknodo', '--background', '--exec', serverBinary, '--', '--user=mysql'],
          { logFile, detached: true },
        );
      }
      writeFileSync(startedByUsMarker, new Date().toISOString());
      await waitUntil('mariadb', async () => answersAsRoot(), {
        timeoutMs: startTimeoutMs,
        logFile,
      });
    }
    // Idempotent: the database, a password user for TCP on loopback, and the right to create
    // databases (every test makes its own).
    const user = quoteString(config.mariaDbUser);
    const password = quoteString(config.mariaDbPassword);
    const sql = [
      `CREATE DATABASE IF NOT EXISTS ${quoteName(config.mariaDbDatabase)}`,
      ...['127.0.0.1', 'localhost'].flatMap((host) => [
        `CREATE USER IF NOT EXISTS ${user}@'${host}' IDENTIFIED BY ${password}`,
        `ALTER USER ${user}@'${host}' IDENTIFIED BY ${password}`,
        `GRANT ALL PRIVILEGES ON *.* TO ${user}@'${host}'`,
      ]),
      'FLUSH PRIVILEGES',
    ].join(';\n');
    await runLogged(client(), ['--protocol=socket', '-uroot'], { logFile, input: `${sql};\n` });
    const version = versionOverTcp(config);
    if (version === undefined) {
      throw new InfraError(
        `mariadb runs but does not accept ${config.mariaDbUser} over TCP on 127.0.0.1:${config.mariaDbPort} ` +
          "(is INFRA_MARIADB_PORT the port of the machine's server?)",
      );
    }
  },

  async stop() {
    if (!existsSync(startedByUsMarker)) {
      console.log('mariadb: left running (it was running before infra:up started it)');
      return;
    }
    if (answersAsRoot()) {
      console.log('mariadb: stopping (infra:up started it)');
      if (existsSync(serviceScript)) await runLogged(serviceScript, ['stop'], { logFile });
      else
        await runLogged('start-stop-daemon', ['--stop', '--oknodo', '--exec', serverBinary], {
          logFile,
        });
    }
    removeFile(startedByUsMarker);
  },

  async status(config) {
    const version = versionOverTcp(config);
    const installed = existsSync(serverBinary);
    const packaged = installed
      ? runQuiet(serverBinary, ['--version'])?.match(/Ver (\S+)/)?.[1]
      : undefined;
    return {
      up: version !== undefined,
      version: version ?? packaged ?? 'not installed',
      url: `mysql://${config.mariaDbUser}@127.0.0.1:${config.mariaDbPort}/${config.mariaDbDatabase}`,
      ...(existsSync(startedByUsMarker) ? { note: 'started by infra:up' } : {}),
    };
  },

  envEntry(config) {
    const user = encodeURIComponent(config.mariaDbUser);
    const password = encodeURIComponent(config.mariaDbPassword);
    return {
      DATABASE_URL: `mysql://${user}:${password}@127.0.0.1:${config.mariaDbPort}/${config.mariaDbDatabase}`,
    };
  },
};
