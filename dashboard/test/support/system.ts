/**
 * The whole system for browser tests: `npm start` (bin/start.ts) in a child process on the
 * embedded default, its own DATA_DIR in a temporary folder and free ports, and Debian's chromium
 * driven by playwright-core (headless, no sandbox, no background networking: these machines have no
 * network, and playwright never downloads a browser here).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { spawnTsx, type SpawnedProcess } from '@spendstream/core/http/test-process';

const startPath = fileURLToPath(new URL('../../../bin/start.ts', import.meta.url));
/** Debian's chromium (installed by `npm run infra:up`). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags for a headless browser on a machine without network or display. */
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Containers often have a small /dev/shm; chromium then crashes its renderers.
  '--disable-dev-shm-usage',
];
/** The system's start: a first build of the app plus every service. */
const systemStartMs = 90_000;

export interface RunningSystem {
  url: string;
  process: SpawnedProcess;
  stop(): Promise<void>;
}

export async function startSystem(env: Record<string, string> = {}): Promise<RunningSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spendstream-e2e-'));
  const run = spawnTsx(startPath, {
    WALLET_API_PORT: '0',
    INGEST_API_PORT: '0',
    ANALYTICS_API_PORT: '0',
    STREAM_JOBS_PORT: '0',
    DASHBOARD_PORT: '0',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    ...env,
  });
  try {
    const up = await run.waitForRecord((r) => r.msg === 'all services up', systemStartMs);
    const services = up.services as Record<string, string>;
    return {
      url: `${services.dashboard}/`,
      process: run,
      async stop() {
        // A drain that hangs must not hide the test results: then it is killed.
        await run.stop('SIGTERM').catch(() => run.stop('SIGKILL'));
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await run.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${String(error)}\nstderr:\n${run.stderr()}`);
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium with a fresh profile (a new --user-data-dir) of its own. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `${chromiumPath} is missing: run \`npm run infra:up\` (it installs Debian's chromium) or set CHROMIUM_PATH`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'spendstream-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 860 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      // A crashed browser has nothing left to close.
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every console error and uncaught exception of a page, for the tests to assert there are none. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') {
      errors.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}
