/**
 * A private, throwaway Kafka broker for a test that must stop and restart its broker (never the
 * shared one of infra:up). One KRaft node on two free ports, with its data in a temporary folder,
 * run from the jars infra:up already downloaded (`.infra/kafka/lib`). `kill()` ends it with SIGKILL
 * and `start()` brings it back on the same ports and data, as a crashed broker restarting would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEventLog } from '@spendstream/core/event-log';
import { envFilePath } from '@spendstream/core/testing/servers';
import { freeLoopbackPort } from '../../infra/src/private-servers.js';

/** The private broker's heap: small, it holds a few test topics. */
export const privateKafkaHeap = '384m';
/** Longest wait for the broker to take writes after a start. */
export const privateKafkaStartTimeoutMs = 120_000;

const libDir = join(dirname(envFilePath), 'kafka', 'lib');

/** A child killed by a signal has `exitCode` null: `signalCode` tells it is gone too. */
function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export interface PrivateKafka {
  brokers: string;
  /** Starts (or restarts) the broker and waits until it takes writes. */
  start(): Promise<void>;
  /** Ends the broker (SIGTERM: a clean shutdown; SIGKILL: none); resolves once the process is gone. */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Kills it and removes its data. */
  destroy(): Promise<void>;
}

export async function createPrivateKafka(name: string): Promise<PrivateKafka> {
  if (!existsSync(libDir))
    throw new Error(`${libDir} is missing: run \`npm run infra:up\` once to download Kafka`);
  const home = mkdtempSync(join(tmpdir(), `${name}-kafka-`));
  const dataDir = join(home, 'data');
  mkdirSync(dataDir);
  const [port, controllerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const properties = join(home, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=4',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home, 'log4j2.properties'),
    [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = out',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = warn',
      'rootLogger.appenderRef.out.ref = out',
      '',
    ].join('\n'),
  );
  const classpath = `${libDir}/*`;
  const java = (args: string[]) =>
    spawnSync(
      'java',
      [`-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`, '-cp', classpath, ...args],
      { encoding: 'utf8' },
    );
  const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).stdout.trim();
  const format = java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
  if (format.status !== 0) throw new Error(`kafka storage format failed: ${format.stderr}`);

  let child: ChildProcess | undefined;
  const brokers = `127.0.0.1:${port}`;

  async function takesWrites(): Promise<boolean> {
    const log = await createEventLog({ kafkaBrokers: brokers, clientId: `${name}-probe` });
    try {
      await log.createTopic(`${name}_probe`, { partitions: 1 });
      await log.send(`${name}_probe`, [{ key: 'probe', value: 'probe' }]);
      return true;
    } catch {
      return false;
    } finally {
      await log.close().catch(() => undefined);
    }
  }

  const kafka: PrivateKafka = {
    brokers,
    async start() {
      if (child && alive(child)) return;
      const out = createWriteStream(join(home, 'stdout.log'), { flags: 'a' });
      child = spawn(
        'java',
        [
          `-Xms${privateKafkaHeap}`,
          `-Xmx${privateKafkaHeap}`,
          '-XX:+UseSerialGC',
          `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          properties,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
      const deadline = Date.now() + privateKafkaStartTimeoutMs;
      while (Date.now() < deadline) {
        if (!alive(child))
          throw new Error(`private kafka exited ${child.exitCode} (log: ${home}/stdout.log)`);
        if (await takesWrites()) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error(`private kafka did not take writes in ${privateKafkaStartTimeoutMs} ms`);
    },
    async kill(signal = 'SIGKILL') {
      const running = child;
      if (!running || !alive(running)) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(signal);
      await exited;
    },
    async destroy() {
      await kafka.kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return kafka;
}
