// Resolving a server's jars from Maven Central with a tiny POM kept in infra/.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mavenRepoDir } from './config.js';
import { progress } from './progress.js';
import { requireCommand, requireJava, runLogged } from './proc.js';

/**
 * Copies the POM's dependencies into libDir, unless a marker says this exact set is complete
 * (an interrupted download leaves no marker and is redone).
 */
export async function resolveJars(options: {
  title: string;
  pomDir: string;
  libDir: string;
  logFile: string;
  /** Names the set of jars: a new version resolves again. */
  marker: string;
  properties: Record<string, string>;
}): Promise<void> {
  const markerFile = join(options.libDir, `.complete-${options.marker}`);
  if (existsSync(markerFile)) return;
  requireJava();
  requireCommand('mvn', 'install Maven (apt-get install -y maven)');
  mkdirSync(options.libDir, { recursive: true });
  const bar = progress(options.title);
  console.log(`${options.title}: resolving jars from Maven Central (log: ${options.logFile})`);
  await runLogged(
    'mvn',
    [
      '-B',
      `-Dmaven.repo.local=${mavenRepoDir}`,
      ...Object.entries(options.properties).map(([key, value]) => `-D${key}=${value}`),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${options.libDir}`,
      '-DincludeScope=runtime',
      '-DoverWriteIfNewer=true',
    ],
    {
      cwd: options.pomDir,
      logFile: options.logFile,
      onLine: (line) => {
        const downloaded = /Downloaded from \S+: \S+\/([^/\s]+)/.exec(line);
        if (downloaded?.[1]) bar.step(downloaded[1]);
      },
    },
  );
  writeFileSync(markerFile, new Date().toISOString());
  bar.done('jars resolved');
}
