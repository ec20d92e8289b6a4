/**
 * Builds the static app with Vite when `dist/web` is missing or older than its sources, so
 * `npm start`, `npm run demo` and the tests work straight from a fresh clone. Several processes
 * may ask at once (ava runs test files in parallel): each builds into its own folder and renames
 * it into place, so a reader never sees half a build, and the last rename wins with identical
 * content.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard workspace (this file is src/server/build.ts). */
export const dashboardRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the built app goes. */
export const staticDirDefault = join(dashboardRoot, 'dist', 'web');
/** Written last by a build: its time is the build's. */
const stampName = '.build-stamp';
/** What a build is made from: a change in any of these makes the build stale. */
const sources = ['index.html', 'vite.config.ts', 'src/app', 'public'];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestChange(join(path, entry)));
  }
  return newest;
}

/** True when `staticDir` holds a build at least as new as every source. */
export function isBuildCurrent(staticDir = staticDirDefault): boolean {
  // A build by `vite build` itself (npm run build) has no stamp: its index.html is as new.
  const stamp = [join(staticDir, stampName), join(staticDir, 'index.html')].find((file) =>
    existsSync(file),
  );
  if (stamp === undefined) return false;
  const built = statSync(stamp).mtimeMs;
  return sources.every((source) => newestChange(join(dashboardRoot, source)) <= built);
}

/** Builds the app into `staticDir` unless a current build is there; returns whether it built. */
export async function ensureDashboardBuilt(staticDir = staticDirDefault): Promise<boolean> {
  if (isBuildCurrent(staticDir)) return false;
  const { build } = await import('vite');
  const temporary = `${staticDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await build({
      root: dashboardRoot,
      configFile: join(dashboardRoot, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: temporary, emptyOutDir: true },
    });
    writeFileSync(join(temporary, stampName), new Date().toISOString());
    // Another process may have put the same build in place meanwhile, and its server may be
    // serving it: leave it there.
    if (isBuildCurrent(staticDir)) return true;
    rmSync(staticDir, { recursive: true, force: true });
    try {
      renameSync(temporary, staticDir);
    } catch (error) {
      // Another process renamed its identical build into place between our rm and rename.
      if (!isBuildCurrent(staticDir)) throw error;
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  return true;
}
