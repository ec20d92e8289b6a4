/**
 * Throughput and latency of the embedded event log, for docs/event-log.md:
 *
 *   npx tsx core/src/event-log/embedded-bench.ts [--messages 100000] [--reps 3]
 *
 * Produces N messages of 300 bytes over 1,000 keys into 4 partitions in sends of 1,000, consumes
 * them through one group (batches of 500, a commit after each), then times 200 single-message
 * sends to an already-waiting consumer (send start to handler call, fsync included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbeddedEventLog } from './embedded.js';

/** Bytes of each message value. */
const valueBytes = 300;
/** Messages per send. */
const sendBatchSize = 1_000;
/** Single-message round trips timed for the latency figures. */
const latencySamples = 200;

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    reps: { type: 'string', default: '3' },
  },
});
const messageCount = Number(args.messages);
const reps = Number(args.reps);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

for (let rep = 1; rep <= reps; rep++) {
  const dir = mkdtempSync(join(tmpdir(), 'event-log-bench-'));
  const log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  try {
    await log.createTopic('bench', { partitions: 4 });
    const padding = 'x'.repeat(valueBytes);
    const messages = Array.from({ length: messageCount }, (_, i) => ({
      key: `user-${i % 1_000}`,
      value: padding,
    }));
    let start = performance.now();
    for (let i = 0; i < messageCount; i += sendBatchSize) {
      await log.send('bench', messages.slice(i, i + sendBatchSize));
    }
    const produceMs = performance.now() - start;

    start = performance.now();
    let received = 0;
    await new Promise<void>((allReceived) => {
      void log.subscribe({
        groupId: 'bench',
        topics: ['bench'],
        handler: async (batch) => {
          received += batch.messages.length;
          if (received >= messageCount) allReceived();
        },
      });
    });
    const consumeMs = performance.now() - start;

    await log.createTopic('latency', { partitions: 1 });
    const latencies: number[] = [];
    let sentAt = 0;
    let arrived: (() => void) | undefined;
    await log.subscribe({
      groupId: 'latency',
      topics: ['latency'],
      handler: async () => {
        latencies.push(performance.now() - sentAt);
        arrived?.();
      },
    });
    for (let i = 0; i < latencySamples; i++) {
      const handled = new Promise<void>((resolveHandled) => (arrived = resolveHandled));
      sentAt = performance.now();
      await log.send('latency', [{ key: 'k', value: 'v' }]);
      await handled;
    }
    latencies.sort((a, b) => a - b);
    const rate = (ms: number): number => Math.round((messageCount / ms) * 1_000);
    console.log(
      `rep ${rep}: produce ${produceMs.toFixed(0)} ms (${rate(produceMs)} msg/s), ` +
        `consume ${consumeMs.toFixed(0)} ms (${rate(consumeMs)} msg/s), ` +
        `send to handler p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms`,
    );
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
