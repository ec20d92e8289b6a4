/**
 * The bench's latency phase in a process of its own (forked by `stream-jobs-bench.ts`): the sender
 * and its two listeners open the same log as the jobs (the embedded SQLite file, or the Kafka
 * brokers), as ingest-api and the jobs do when they run apart. Its argument is the JSON of
 * `SenderConfig`; it reports `{ type: 'start' }` when the sender starts and then `{ type:
 * 'result', result }` over the IPC channel.
 */
import { createEmbeddedEventLog, createEventLog } from '@spendstream/core/event-log';
import { runLatencyPhase, type LatencyResult } from './bench-load.js';

export interface SenderConfig {
  log:
    { kind: 'embedded'; path: string; pollIntervalMs: number } | { kind: 'kafka'; brokers: string };
  prefix: string;
  rate: number;
  seconds: number;
  firstSequence: number;
}

export type SenderReport = { type: 'start' } | { type: 'result'; result: LatencyResult };

const config = JSON.parse(process.argv[2] ?? '') as SenderConfig;
const report = (message: SenderReport) =>
  new Promise<void>((resolve, reject) =>
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
const eventLog =
  config.log.kind === 'embedded'
    ? createEmbeddedEventLog({ path: config.log.path, pollIntervalMs: config.log.pollIntervalMs })
    : await createEventLog({
        kafkaBrokers: config.log.brokers,
        clientId: `${config.prefix}sender`,
      });
try {
  const result = await runLatencyPhase({
    eventLog,
    prefix: config.prefix,
    groupPrefix: config.prefix,
    rate: config.rate,
    seconds: config.seconds,
    firstSequence: config.firstSequence,
    onStart: () => void report({ type: 'start' }),
  });
  await report({ type: 'result', result });
} finally {
  await eventLog.close();
  process.disconnect();
}
