// Debian's chromium, the browser the dashboard's end-to-end tests drive (through playwright-core,
// which never downloads a browser of its own here: the machines reach package registries only).
// Not a server: `up` installs it when missing and checks that it runs; there is nothing to start
// or stop.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './config.js';
import { progress } from './progress.js';
import { InfraError, requireCommand, runLogged, runQuiet } from './proc.js';
import type { InfraServer } from './server.js';

/** Where Debian's package puts the browser; the e2e tests launch this path. */
export const chromiumPath = '/usr/bin/chromium';
const home = join(stateDir, 'chromium');
const logFile = join(home, 'infra.log');

/** `Chromium 156.0.8078.108 built on Debian ...` -> `156.0.8078.108`, or undefined. */
function installedVersion(): string | undefined {
  if (!existsSync(chromiumPath)) return undefined;
  const out = runQuiet(chromiumPath, ['--version']);
  return /(\d+(?:\.\d+)+)/.exec(out ?? '')?.[1];
}

export const chromium: InfraServer = {
  name: 'chromium',

  async install() {
    mkdirSync(home, { recursive: true });
    if (existsSync(chromiumPath)) return;
    requireCommand('apt-get', "chromium comes from Debian's packages; this needs apt-get");
    if (process.getuid?.() !== 0) {
      throw new InfraError('installing chromium needs root (apt-get); run infra:up as root once');
    }
    const bar = progress('chromium');
    console.log(`chromium: installing Debian's chromium with apt-get (log: ${logFile})`);
    const onLine = (line: string): void => {
      const step = /^(Get:\d+|Unpacking|Setting up) (\S+)/.exec(line);
      if (step) bar.step(`${step[1]} ${step[2]}`);
    };
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runLogged('apt-get', ['update'], { logFile, onLine, env });
    await runLogged('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      logFile,
      onLine,
      env,
    });
    if (!existsSync(chromiumPath)) {
      throw new InfraError(`apt-get installed chromium but ${chromiumPath} is missing`);
    }
    bar.done('chromium installed');
  },

  async start() {
    // Nothing runs in the background: each test launches its own headless browser.
  },

  async stop() {
    // Nothing to stop; the package stays installed.
  },

  async status() {
    const version = installedVersion();
    return {
      up: version !== undefined,
      version: version ?? 'Debian package',
      url: chromiumPath,
      ...(version === undefined ? { note: 'not installed: npm run infra:up -- chromium' } : {}),
    };
  },

  envEntry() {
    return { CHROMIUM_PATH: chromiumPath };
  },
};
