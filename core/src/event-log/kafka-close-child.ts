/**
 * A Kafka event log closed right after a failed send while other sends are in flight, in a process
 * of its own, for kafka.test.ts. Usage: `kafka-close-child.ts <brokers> <topic> <tooLargeBytes>`,
 * on a topic whose max.message.bytes is under tooLargeBytes. Prints one JSON line (what close()
 * took, each send's outcome, the process's active resources before the log and after its close)
 * and must then exit by itself: nothing of the log may keep it alive.
 */
import { createKafkaEventLog } from './kafka.js';

const [brokers, topic, tooLargeBytes] = process.argv.slice(2);
if (!brokers || !topic || !tooLargeBytes) {
  throw new Error('usage: kafka-close-child.ts <brokers> <topic> <tooLargeBytes>');
}
/** Callers sending at once while the failing send goes out. */
const senders = 6;
/** How long the callers send before the failing send. */
const warmUpMs = 300;
/** How long after close() the resources are counted (callbacks of the close may still run). */
const settleMs = 200;

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

const before = activeResources();
const log = createKafkaEventLog({ brokers: brokers.split(','), clientId: 'close-child' });
const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
await log.send(
  topic,
  keys.map((key) => ({ key, value: 'warm-up' })),
);

const acknowledged: number[] = [];
const rejected: { send: number; error: string }[] = [];
let stop = false;
let next = 0;
const callers = Array.from({ length: senders }, async () => {
  while (!stop) {
    const send = next++;
    try {
      await log.send(
        topic,
        keys.map((key) => ({ key, value: String(send) })),
      );
      acknowledged.push(send);
    } catch (error) {
      rejected.push({ send, error: error instanceof Error ? error.message : String(error) });
    }
  }
});
await new Promise((resolve) => setTimeout(resolve, warmUpMs));
let tooLargeError = '';
try {
  await log.send(topic, [{ key: 'k0', value: 'x'.repeat(Number(tooLargeBytes)) }]);
} catch (error) {
  tooLargeError = error instanceof Error ? error.message : String(error);
}
stop = true;
const closeStarted = performance.now();
await log.close();
const closeMs = performance.now() - closeStarted;
await Promise.all(callers);
await new Promise((resolve) => setTimeout(resolve, settleMs));
process.stdout.write(
  `${JSON.stringify({ closeMs, tooLargeError, acknowledged, rejected, before, after: activeResources() })}\n`,
);
