/**
 * kafkajs 2 vs @platformatic/kafka 1, side by side in one run against the same broker: produce N
 * messages of ~300 bytes in batches (acks=all, awaited one batch after another), then consume them
 * through a fresh consumer group, committing after each batch. A few repetitions, alternating the
 * clients, medians reported. Uses the raw clients so it keeps working whichever adapter the project
 * keeps.
 *
 *   npx tsx bench/kafka-clients.ts [--messages 100000] [--batch 1000] [--partitions 4] [--reps 3]
 *
 * The broker comes from KAFKA_BROKERS, else from .infra/env.json (written by `npm run infra:up`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  Admin,
  Consumer as PlatformaticConsumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer as PlatformaticProducer,
  type Message,
} from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

/** Time allowed for one consume phase before the run is declared broken. */
const consumeTimeoutMs = 300_000;
/** Size of each message value, in bytes (a raw transaction event is about this big). */
const valueBytes = 300;
/** Distinct keys (users), so messages spread over every partition. */
const keyCount = 1_000;

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    // Messages handed to a handler and committed at a time; 500 is the adapters' default.
    'consume-batch': { type: 'string', default: '500' },
  },
});
const messageCount = Number(args.messages);
const batchSize = Number(args.batch);
const partitions = Number(args.partitions);
const reps = Number(args.reps);
const consumeBatchSize = Number(args['consume-batch']);

function brokersFromEnv(): string[] {
  const fromEnv = process.env.KAFKA_BROKERS;
  if (fromEnv) return fromEnv.split(',');
  const file = JSON.parse(readFileSync(new URL('../.infra/env.json', import.meta.url), 'utf8')) as {
    KAFKA_BROKERS?: string;
  };
  if (!file.KAFKA_BROKERS) throw new Error('no KAFKA_BROKERS: run npm run infra:up');
  return file.KAFKA_BROKERS.split(',');
}
const brokers = brokersFromEnv();

function makeMessages(): { key: Buffer; value: Buffer }[] {
  const padding = 'x'.repeat(valueBytes);
  return Array.from({ length: messageCount }, (_, i) => {
    const key = `user-${i % keyCount}`;
    const body = JSON.stringify({
      id: i,
      userId: key,
      amountMinor: String(i * 7),
      currency: 'EUR',
      padding,
    });
    return { key: Buffer.from(key), value: Buffer.from(body.slice(0, valueBytes)) };
  });
}
const messages = makeMessages();

interface Result {
  produceMs: number;
  consumeMs: number;
}

async function createTopic(topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  await admin.close();
}

async function runKafkajs(topic: string): Promise<Result> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const produceStart = performance.now();
  for (let i = 0; i < messages.length; i += batchSize) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + batchSize) });
  }
  const produceMs = performance.now() - produceStart;
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  const consumeStart = performance.now();
  const done = new Promise<void>((resolveDone, rejectDone) => {
    const timer = setTimeout(
      () => rejectDone(new Error('kafkajs consume timed out')),
      consumeTimeoutMs,
    );
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        // Slices of consumeBatchSize with a commit after each, as the adapter does.
        for (let i = 0; i < batch.messages.length; i += consumeBatchSize) {
          const slice = batch.messages.slice(i, i + consumeBatchSize);
          received += slice.length;
          const last = slice[slice.length - 1]!;
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(last.offset) + 1n).toString(),
            },
          ]);
          resolveOffset(last.offset);
        }
        if (received >= messageCount) {
          clearTimeout(timer);
          resolveDone();
        }
      },
    });
  });
  await done;
  const consumeMs = performance.now() - consumeStart;
  await consumer.disconnect();
  if (received !== messageCount) throw new Error(`kafkajs received ${received} of ${messageCount}`);
  return { produceMs, consumeMs };
}

async function runPlatformatic(topic: string): Promise<Result> {
  const producer = new PlatformaticProducer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers,
    acks: ProduceAcks.ALL,
    idempotent: true,
    autocreateTopics: false,
  });
  const produceStart = performance.now();
  for (let i = 0; i < messages.length; i += batchSize) {
    await producer.send({
      messages: messages.slice(i, i + batchSize).map((m) => ({ ...m, topic })),
    });
  }
  const produceMs = performance.now() - produceStart;
  await producer.close();

  const consumer = new PlatformaticConsumer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers,
    groupId: `bench-${randomUUID()}`,
    maxWaitTime: 100,
  });
  const consumeStart = performance.now();
  const stream = await consumer.consume({
    topics: [topic],
    autocommit: false,
    // As the adapter: the client buffers at least a batch ahead.
    highWaterMark: Math.max(1024, consumeBatchSize),
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
  });
  let received = 0;
  // A 'readable' listener stays attached: without one the stream stops fetching (see the adapter).
  let wake: (() => void) | undefined;
  stream.on('readable', () => wake?.());
  const timer = setTimeout(
    () => stream.destroy(new Error('platformatic consume timed out')),
    consumeTimeoutMs,
  );
  // Batches as the adapter takes them: what the stream has buffered, committing each partition's
  // last offset after the batch.
  while (received < messageCount) {
    const batch: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
    let m: Message<Buffer, Buffer, Buffer, Buffer> | null;
    while (batch.length < consumeBatchSize && (m = stream.read() as typeof m) !== null)
      batch.push(m);
    if (batch.length === 0) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    received += batch.length;
    const lastPerPartition = new Map<number, Message<Buffer, Buffer, Buffer, Buffer>>();
    for (const message of batch) lastPerPartition.set(message.partition, message);
    await Promise.all([...lastPerPartition.values()].map((last) => last.commit()));
  }
  clearTimeout(timer);
  const consumeMs = performance.now() - consumeStart;
  await stream.close();
  await consumer.close(true);
  if (received !== messageCount)
    throw new Error(`platformatic received ${received} of ${messageCount}`);
  return { produceMs, consumeMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const clients = {
  kafkajs: runKafkajs,
  '@platformatic/kafka': runPlatformatic,
} as const;
type ClientName = keyof typeof clients;
const results: Record<ClientName, Result[]> = { kafkajs: [], '@platformatic/kafka': [] };

console.log(
  `Kafka clients: ${messageCount} messages of ${valueBytes} bytes, batches of ${batchSize}, ` +
    `${partitions} partitions, consume batches of ${consumeBatchSize}, ${reps} repetitions, brokers ${brokers.join(',')}`,
);
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
for (let rep = 0; rep < reps; rep++) {
  // Alternate who goes first so a warming broker or a noisy neighbour does not favour one client.
  const order: ClientName[] =
    rep % 2 === 0 ? ['kafkajs', '@platformatic/kafka'] : ['@platformatic/kafka', 'kafkajs'];
  for (const name of order) {
    const topic = `bench.kafka-clients.${randomUUID().slice(0, 8)}`;
    await createTopic(topic);
    const result = await clients[name](topic);
    results[name].push(result);
    console.log(
      `rep ${rep + 1} ${name}: produce ${result.produceMs.toFixed(0)} ms, consume ${result.consumeMs.toFixed(0)} ms`,
    );
  }
}

const rate = (ms: number): number => Math.round((messageCount / ms) * 1000);
console.log(
  '\n| client | produce median (ms) | produce msg/s | consume median (ms) | consume msg/s |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
const medians = {} as Record<ClientName, Result>;
for (const name of Object.keys(clients) as ClientName[]) {
  const m = {
    produceMs: median(results[name].map((r) => r.produceMs)),
    consumeMs: median(results[name].map((r) => r.consumeMs)),
  };
  medians[name] = m;
  console.log(
    `| ${name} | ${m.produceMs.toFixed(0)} | ${rate(m.produceMs)} | ${m.consumeMs.toFixed(0)} | ${rate(m.consumeMs)} |`,
  );
}
const p = medians['@platformatic/kafka'];
const k = medians.kafkajs;
console.log(
  `\nratio kafkajs / @platformatic/kafka time: produce ${(k.produceMs / p.produceMs).toFixed(2)}x, ` +
    `consume ${(k.consumeMs / p.consumeMs).toFixed(2)}x`,
);
