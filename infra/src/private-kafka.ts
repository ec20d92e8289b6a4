/**
 * A private, throwaway Kafka broker for a test that must stop and restart its broker (never the
 * shared one of infra:up). One KRaft node on two free ports, with its data in a temporary folder,
 * run from the jars infra:up already downloaded (`.infra/kafka/lib`) with infra:up's server properties. `kill()` ends it with SIGKILL
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
import { join } from 'node:path';
import { kafkaLibDir, kafkaServerProperties } from './kafka.js';
import { freeLoopbackPort } from './private-servers.js';
import { kafkaTakesWrites } from './probes.js';

/** The private broker's heap: small, it holds a few test topics. */
export const privateKafkaHeap = '384m';
/** Longest wait for the broker to take writes after a start. */
export const privateKafkaStartTimeoutMs = 120_000;

const libDir = kafkaLibDir;

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
  writeFileSync(properties, kafkaServerProperties({ port, controllerPort, dataDir }));
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

  /** The probe throws while the broker refuses; a refusal here means "not yet". */
  const takesWrites = () => kafkaTakesWrites(port).catch(() => false);

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
