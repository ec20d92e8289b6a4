// Apache Kafka, one node in KRaft mode (broker and controller in one JVM), from its Maven Central
// jars.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraSourceDir, stateDir, type InfraConfig } from './config.js';
import { resolveJars } from './maven.js';
import { kafkaAnswers, kafkaTakesWrites, portInUse } from './probes.js';
import {
  livePid,
  removeFile,
  requireJava,
  requireFreePorts,
  runLogged,
  runQuiet,
  startDetached,
  stopPid,
  waitUntil,
} from './proc.js';
import type { InfraServer } from './server.js';

export const kafkaVersion = '4.1.2';
/** Kafka 4.1 is built against log4j 2.24. */
const log4jVersion = '2.24.3';
/**
 * How long infra:up waits for the broker to answer and take writes. A fresh data folder starts in
 * 10-20 s; a long-lived one holding every test run's topics loads each partition first (3,536
 * partitions in 11 GB took 2 min 20 s on the 2-core box, 2026-11-27), and a shorter wait wrote
 * `.infra/env.json` without KAFKA_BROKERS while the broker was still loading.
 */
const startTimeoutMs = 300_000;
const stopTimeoutMs = 30_000;
/** Default partitions of auto-created topics: enough for consumer-group tests to share them. */
const defaultPartitions = 4;

const home = join(stateDir, 'kafka');
/** The broker's jars, downloaded by infra:up (private test brokers run from them too). */
export const kafkaLibDir = join(home, 'lib');
const libDir = kafkaLibDir;
const dataDir = join(home, 'data');
const logsDir = join(home, 'logs');
const propertiesFile = join(home, 'server.properties');
const log4jFile = join(home, 'log4j2.properties');
const pidFile = join(home, 'kafka.pid');
const stdoutLog = join(logsDir, 'stdout.log');
const classpath = `${libDir}/*`;

/** Where a KRaft node listens and keeps its data: infra:up's broker, or a test's private one. */
export interface KafkaNodeOptions {
  port: number;
  controllerPort: number;
  dataDir: string;
}

/** One KRaft node (broker and controller) on loopback, as infra:up and private test brokers run it. */
export function kafkaServerProperties(node: KafkaNodeOptions): string {
  return [
    '# Written by infra/src/kafka.ts on every start: edit that file, not this one.',
    'process.roles=broker,controller',
    'node.id=1',
    // A static voter set needs no --standalone at format time and lets the ports move later.
    `controller.quorum.voters=1@127.0.0.1:${node.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${node.dataDir}`,
    `num.partitions=${defaultPartitions}`,
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests join groups constantly: do not wait 3 s for more members before the first rebalance.
    'group.initial.rebalance.delay.ms=0',
    // Test data is throwaway: keep the disk bounded.
    'log.retention.hours=24',
    'log.segment.bytes=268435456',
    '',
  ].join('\n');
}

function serverProperties(config: InfraConfig): string {
  return kafkaServerProperties({
    port: config.kafkaPort,
    controllerPort: config.kafkaControllerPort,
    dataDir,
  });
}

const log4jProperties = `# Written by infra/src/kafka.ts: the broker's log, rotated, under .infra/kafka/logs.
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.filePattern = \${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
`;

function javaLogArgs(): string[] {
  return [`-Dlog4j2.configurationFile=${log4jFile}`, `-Dkafka.logs.dir=${logsDir}`];
}

export const kafka: InfraServer = {
  name: 'kafka',

  async install() {
    mkdirSync(logsDir, { recursive: true });
    await resolveJars({
      title: 'kafka',
      pomDir: join(infraSourceDir, 'kafka'),
      libDir,
      logFile: join(logsDir, 'maven.log'),
      marker: `${kafkaVersion}-${log4jVersion}`,
      properties: { 'kafka.version': kafkaVersion, 'log4j.version': log4jVersion },
    });
  },

  async start(config) {
    if (await kafkaAnswers(config.kafkaPort).catch(() => false)) return;
    requireJava();
    await requireFreePorts(
      'kafka',
      [
        { port: config.kafkaPort, variable: 'INFRA_KAFKA_PORT' },
        { port: config.kafkaControllerPort, variable: 'INFRA_KAFKA_CONTROLLER_PORT' },
      ],
      portInUse,
    );
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(propertiesFile, serverProperties(config));
    writeFileSync(log4jFile, log4jProperties);
    // Format the storage once: meta.properties marks a formatted log directory.
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      const clusterId = runQuiet('java', [
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'random-uuid',
      ])?.trim();
      if (!clusterId) throw new Error('kafka.tools.StorageTool random-uuid failed');
      console.log(`kafka: formatting ${dataDir} (cluster ${clusterId})`);
      await runLogged(
        'java',
        [
          ...javaLogArgs(),
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          propertiesFile,
        ],
        { logFile: join(logsDir, 'format.log') },
      );
    }
    console.log(
      `kafka: starting on 127.0.0.1:${config.kafkaPort} (log: ${join(logsDir, 'server.log')})`,
    );
    const pid = startDetached(
      'java',
      [
        `-Xms${config.kafkaHeap}`,
        `-Xmx${config.kafkaHeap}`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-Djava.awt.headless=true',
        ...javaLogArgs(),
        '-cp',
        classpath,
        'kafka.Kafka',
        propertiesFile,
      ],
      { cwd: home, logFile: stdoutLog, pidFile },
    );
    await waitUntil('kafka', () => kafkaAnswers(config.kafkaPort), {
      timeoutMs: startTimeoutMs,
      logFile: existsSync(join(logsDir, 'server.log')) ? join(logsDir, 'server.log') : stdoutLog,
      stillRunning: () => livePid(pidFile, 'kafka.Kafka') === pid,
    });
    await waitUntil('kafka (new topics)', () => kafkaTakesWrites(config.kafkaPort), {
      timeoutMs: startTimeoutMs,
      logFile: existsSync(join(logsDir, 'server.log')) ? join(logsDir, 'server.log') : stdoutLog,
      stillRunning: () => livePid(pidFile, 'kafka.Kafka') === pid,
    });
  },

  async stop() {
    const pid = livePid(pidFile, 'kafka.Kafka');
    if (pid !== undefined) {
      console.log(`kafka: stopping pid ${pid}`);
      await stopPid(pid, stopTimeoutMs);
    }
    removeFile(pidFile);
  },

  async status(config) {
    const up = await kafkaAnswers(config.kafkaPort).catch(() => false);
    const pid = livePid(pidFile, 'kafka.Kafka');
    const note =
      up && pid === undefined
        ? 'answers, but not started by infra:up'
        : !up && pid !== undefined
          ? 'process runs but does not answer'
          : undefined;
    return {
      up,
      version: kafkaVersion,
      url: `127.0.0.1:${config.kafkaPort}`,
      ...(pid ? { pid } : {}),
      ...(note ? { note } : {}),
    };
  },

  envEntry(config) {
    return { KAFKA_BROKERS: `127.0.0.1:${config.kafkaPort}` };
  },
};
