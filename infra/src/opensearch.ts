// OpenSearch 2.19, one node in its own JVM, from its Maven Central jars, started by our launcher
// (infra/opensearch/OpenSearchLauncher.java, compiled here with javac).
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraSourceDir, stateDir, type InfraConfig } from './config.js';
import { resolveJars } from './maven.js';
import { getJson, portInUse } from './probes.js';
import {
  livePid,
  removeFile,
  requireJava,
  requireFreePorts,
  requireCommand,
  runLogged,
  startDetached,
  stopPid,
  waitUntil,
} from './proc.js';
import type { InfraServer } from './server.js';

/** 2.19.6 is the newest OpenSearch that runs on Java 17 (3.x needs Java 21). */
export const openSearchVersion = '2.19.6';
/** The log4j-jul version that the 2.19.6 server POM brings, so all log4j jars match. */
const log4jVersion = '2.25.4';
const startTimeoutMs = 120_000;
const stopTimeoutMs = 30_000;
/** The launcher's main class (also the marker of its process in /proc). */
export const launcherClass = 'OpenSearchLauncher';
const clusterName = 'spendstream-infra';

const home = join(stateDir, 'opensearch');
/** The server's jars and the compiled launcher: reused by private nodes (private-servers.ts). */
export const libDir = join(home, 'lib');
export const classesDir = join(home, 'classes');
const configDir = join(home, 'config');
const dataDir = join(home, 'data');
const logsDir = join(home, 'logs');
const pidFile = join(home, 'opensearch.pid');
const stdoutLog = join(logsDir, 'stdout.log');
const serverLog = join(logsDir, `${clusterName}.log`);
const launcherSource = join(infraSourceDir, 'opensearch', `${launcherClass}.java`);
const launcherCompiled = join(classesDir, `${launcherClass}.class`);

export const log4jProperties = `# Written by infra/src/opensearch.ts: the node's log, rotated, under .infra/opensearch/logs.
status = error
appender.rolling.type = RollingFile
appender.rolling.name = rolling
appender.rolling.fileName = \${sys:opensearch.logs.base_path}\${sys:file.separator}\${sys:opensearch.logs.cluster_name}.log
appender.rolling.filePattern = \${sys:opensearch.logs.base_path}\${sys:file.separator}\${sys:opensearch.logs.cluster_name}-%i.log
appender.rolling.layout.type = PatternLayout
appender.rolling.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}]%marker %m%n
appender.rolling.policies.type = Policies
appender.rolling.policies.size.type = SizeBasedTriggeringPolicy
appender.rolling.policies.size.size = 20MB
appender.rolling.strategy.type = DefaultRolloverStrategy
appender.rolling.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.rolling.ref = rolling
logger.deprecation.name = org.opensearch.deprecation
logger.deprecation.level = error
`;

function baseUrl(config: InfraConfig): string {
  return `http://127.0.0.1:${config.openSearchHttpPort}`;
}

async function healthy(config: InfraConfig): Promise<boolean> {
  const health = (await getJson(`${baseUrl(config)}/_cluster/health`)) as
    { status?: string } | undefined;
  return health?.status === 'green' || health?.status === 'yellow';
}

/** The java command line of one node: heap, JVM flags, the launcher, its config folder, settings. */
export function openSearchJavaArgs(options: {
  heap: string;
  home: string;
  configDir: string;
  settings: Record<string, string>;
}): string[] {
  return [
    `-Xms${options.heap}`,
    `-Xmx${options.heap}`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    '-Dlog4j2.formatMsgNoLookups=true',
    '-Dlog4j.shutdownHookEnabled=false',
    '-Dlog4j2.disable.jmx=true',
    '-Dopensearch.set.netty.runtime.available.processors=false',
    '-Dio.netty.noUnsafe=true',
    '-Dio.netty.recycler.maxCapacityPerThread=0',
    `-Djava.io.tmpdir=${join(options.home, 'tmp')}`,
    '-cp',
    `${classesDir}:${libDir}/*`,
    launcherClass,
    options.configDir,
    ...Object.entries(options.settings).map(([key, value]) => `${key}=${value}`),
  ];
}

export const opensearch: InfraServer = {
  name: 'opensearch',

  async install() {
    mkdirSync(logsDir, { recursive: true });
    await resolveJars({
      title: 'opensearch',
      pomDir: join(infraSourceDir, 'opensearch'),
      libDir,
      logFile: join(logsDir, 'maven.log'),
      marker: `${openSearchVersion}-${log4jVersion}`,
      properties: { 'opensearch.version': openSearchVersion, 'log4j.version': log4jVersion },
    });
    if (
      !existsSync(launcherCompiled) ||
      statSync(launcherCompiled).mtimeMs < statSync(launcherSource).mtimeMs
    ) {
      requireCommand(
        'javac',
        'install a Java 17 JDK, not only a JRE (apt-get install -y openjdk-17-jdk-headless)',
      );
      console.log('opensearch: compiling the launcher');
      mkdirSync(classesDir, { recursive: true });
      await runLogged('javac', ['-cp', `${libDir}/*`, '-d', classesDir, launcherSource], {
        logFile: join(logsDir, 'javac.log'),
      });
    }
  },

  async start(config) {
    if (await healthy(config).catch(() => false)) return;
    requireJava();
    await requireFreePorts(
      'opensearch',
      [
        { port: config.openSearchHttpPort, variable: 'INFRA_OPENSEARCH_PORT' },
        { port: config.openSearchTransportPort, variable: 'INFRA_OPENSEARCH_TRANSPORT_PORT' },
      ],
      portInUse,
    );
    for (const dir of [
      configDir,
      dataDir,
      join(home, 'plugins'),
      join(home, 'modules'),
      join(home, 'tmp'),
    ]) {
      mkdirSync(dir, { recursive: true });
    }
    writeFileSync(join(configDir, 'log4j2.properties'), log4jProperties);
    console.log(`opensearch: starting on ${baseUrl(config)} (log: ${serverLog})`);
    const settings = {
      'cluster.name': clusterName,
      'node.name': 'node-1',
      'path.home': home,
      'path.data': dataDir,
      'path.logs': logsDir,
      'network.host': '127.0.0.1',
      'http.port': String(config.openSearchHttpPort),
      'transport.port': String(config.openSearchTransportPort),
      'discovery.type': 'single-node',
      // These machines can run low on disk: never turn indexes read-only for it.
      'cluster.routing.allocation.disk.threshold_enabled': 'false',
      // Tests create many throwaway indexes.
      'action.destructive_requires_name': 'false',
    };
    const pid = startDetached(
      'java',
      openSearchJavaArgs({ heap: config.openSearchHeap, home, configDir, settings }),
      { cwd: home, logFile: stdoutLog, pidFile },
    );
    await waitUntil('opensearch', () => healthy(config), {
      timeoutMs: startTimeoutMs,
      logFile: existsSync(serverLog) ? serverLog : stdoutLog,
      stillRunning: () => livePid(pidFile, launcherClass) === pid,
    });
  },

  async stop() {
    const pid = livePid(pidFile, launcherClass);
    if (pid !== undefined) {
      console.log(`opensearch: stopping pid ${pid}`);
      await stopPid(pid, stopTimeoutMs);
    }
    removeFile(pidFile);
  },

  async status(config) {
    const root = (await getJson(`${baseUrl(config)}/`).catch(() => undefined)) as
      { version?: { number?: string } } | undefined;
    const up = root !== undefined && (await healthy(config).catch(() => false));
    const pid = livePid(pidFile, launcherClass);
    return {
      up,
      version: root?.version?.number ?? openSearchVersion,
      url: baseUrl(config),
      ...(pid ? { pid } : {}),
      ...(up && pid === undefined ? { note: 'answers, but not started by infra:up' } : {}),
    };
  },

  envEntry(config) {
    return { OPENSEARCH_URL: baseUrl(config) };
  },
};
