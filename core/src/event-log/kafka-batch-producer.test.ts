import { createServer, type Socket } from 'node:net';
import test from 'ava';
import type { GenericError } from '@platformatic/kafka';
import { realServers, uniqueName } from '../testing/servers.js';
import { parseKafkaBrokers } from './factory.js';
import { RecordBatchProducer, closeClientWithin } from './kafka-batch-producer.js';
import { createKafkaEventLog } from './kafka.js';
import type { EncodedMessage, IncomingMessage } from './port.js';

const brokers = parseKafkaBrokers(realServers(['KAFKA_BROKERS']).KAFKA_BROKERS);
const timeoutMs = 10_000;

function message(key: string, value: Buffer, eventId: string): EncodedMessage {
  return { key: Buffer.from(key), value, headers: [['event-id', Buffer.from(eventId)]] };
}

/** A new topic of `partitions` and an idempotent RecordBatchProducer, both closed after the test. */
async function topicAndProducer(
  t: { teardown: (fn: () => Promise<void>) => void },
  name: string,
  partitions: number,
): Promise<{ topic: string; producer: RecordBatchProducer }> {
  const admin = createKafkaEventLog({ brokers, clientId: 'batch-producer-admin' });
  t.teardown(() => admin.close());
  const topic = uniqueName(name);
  await admin.createTopic(topic, { partitions });
  const producer = new RecordBatchProducer({
    clientId: 'batch-producer-test',
    bootstrapBrokers: brokers,
    idempotent: true,
  });
  t.teardown(() => producer.close());
  return { topic, producer };
}

async function readAll(
  topic: string,
  count: number,
  t: { teardown: (fn: () => Promise<void>) => void },
): Promise<IncomingMessage[]> {
  const log = createKafkaEventLog({ brokers, clientId: 'batch-producer-read' });
  t.teardown(() => log.close());
  const received: IncomingMessage[] = [];
  await log.subscribe({
    groupId: uniqueName('read'),
    topics: [topic],
    handler: async (batch) => {
      received.push(...batch.messages);
    },
  });
  const deadline = Date.now() + 30_000;
  while (received.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A little longer: anything beyond `count` would be a duplicate.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return received;
}

test('record batches written by our encoder are read back exactly, in order per partition, over many requests', async (t) => {
  const { topic, producer } = await topicAndProducer(t, 'batch-producer', 3);
  const sent: EncodedMessage[][] = [[], [], []];
  // 30 requests, each with one to three partitions and a few records: the sequences of every
  // partition go on across requests (a wrong one is refused by the broker as out of order).
  for (let round = 0; round < 30; round++) {
    const parts = [0, 1, 2].slice(0, 1 + (round % 3)).map((partition) => {
      const messages = Array.from({ length: 1 + ((round * 7 + partition) % 5) }, (_, i) =>
        message(
          `k${partition}`,
          Buffer.from(`${round}.${partition}.${i} ${'é'.repeat(round * 10)}`),
          `${round}:${i}`,
        ),
      );
      sent[partition]!.push(...messages);
      return { topic, partition, messages };
    });
    await producer.produce(parts, timeoutMs);
  }
  const total = sent.reduce((n, list) => n + list.length, 0);
  const received = await readAll(topic, total, t);
  t.is(received.length, total, 'every record once');
  for (const partition of [0, 1, 2]) {
    const got = received.filter((m) => m.partition === partition);
    t.deepEqual(
      got.map((m) => [m.key, m.value.toString('utf8'), m.headers['event-id']?.toString('utf8')]),
      sent[partition]!.map((m) => [
        m.key.toString('utf8'),
        m.value.toString('utf8'),
        m.headers[0]![1].toString('utf8'),
      ]),
      `partition ${partition} in order`,
    );
    t.deepEqual(
      got.map((m) => m.offset),
      got.map((_, i) => BigInt(i)),
    );
  }
});

test('a request the broker refuses rejects, nothing of it is written, and the next one goes out under a new producer id', async (t) => {
  const { topic, producer } = await topicAndProducer(t, 'batch-producer-refused', 1);
  await producer.produce(
    [{ topic, partition: 0, messages: [message('k', Buffer.from('before'), 'a')] }],
    timeoutMs,
  );
  const firstId = producer.producerId;
  // Over the broker's default message.max.bytes (1 MiB): MESSAGE_TOO_LARGE, not retried.
  const tooLarge = message('k', Buffer.alloc(1_200_000, 1), 'b');
  const error = await t.throwsAsync(
    producer.produce([{ topic, partition: 0, messages: [tooLarge] }], timeoutMs),
  );
  // Kafka's error code 10, MESSAGE_TOO_LARGE, in the client's error chain.
  t.truthy((error as GenericError | undefined)?.findBy('apiCode', 10));
  await producer.produce(
    [{ topic, partition: 0, messages: [message('k', Buffer.from('after'), 'c')] }],
    timeoutMs,
  );
  t.not(producer.producerId, firstId, 'a new producer id after the failure');
  const received = await readAll(topic, 2, t);
  t.deepEqual(
    received.map((m) => m.value.toString('utf8')),
    ['before', 'after'],
  );
});

test('a partition the topic does not have, or one named twice, is refused before anything is sent', async (t) => {
  const { topic, producer } = await topicAndProducer(t, 'batch-producer-partitions', 2);
  await t.throwsAsync(
    producer.produce(
      [
        { topic, partition: 0, messages: [message('k', Buffer.from('kept out'), 'a')] },
        { topic, partition: 2, messages: [message('k', Buffer.from('nowhere'), 'b')] },
      ],
      timeoutMs,
    ),
    { message: /no leader known for .* partition 2/ },
  );
  // One batch per partition and call: the same partition twice would carry one sequence twice.
  await t.throwsAsync(
    producer.produce(
      [
        { topic, partition: 1, messages: [message('k', Buffer.from('twice'), 'd')] },
        { topic, partition: 1, messages: [message('k', Buffer.from('twice'), 'e')] },
      ],
      timeoutMs,
    ),
    { message: /appears twice/ },
  );
  await producer.produce(
    [{ topic, partition: 1, messages: [message('k', Buffer.from('after'), 'c')] }],
    timeoutMs,
  );
  const received = await readAll(topic, 1, t);
  t.deepEqual(
    received.map((m) => [m.partition, m.value.toString('utf8')]),
    [[1, 'after']],
  );
});

test('a second produce while one is running is refused, and the first is written', async (t) => {
  const { topic, producer } = await topicAndProducer(t, 'batch-producer-one-call', 1);
  const first = producer.produce(
    [{ topic, partition: 0, messages: [message('k', Buffer.from('first'), 'a')] }],
    timeoutMs,
  );
  await t.throwsAsync(
    producer.produce(
      [{ topic, partition: 0, messages: [message('k', Buffer.from('second'), 'b')] }],
      timeoutMs,
    ),
    { message: /one call at a time/ },
  );
  await first;
  const received = await readAll(topic, 1, t);
  t.deepEqual(
    received.map((m) => m.value.toString('utf8')),
    ['first'],
  );
});

/** How long after close() a produce in flight may take to reject (the client's retry delay is 1 s:
 * one retry after close would already miss it). */
const rejectAfterCloseMsMax = 500;

test('a produce in flight at close rejects at once, and the client schedules no retry after close', async (t) => {
  // A "broker" that accepts connections and reads but never answers: the producer's first
  // request (ApiVersions, on its way to a producer id) stays in flight.
  const sockets: Socket[] = [];
  let received!: () => void;
  const requestArrived = new Promise<void>((resolve) => (received = resolve));
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => received());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const producer = new RecordBatchProducer({
    clientId: 'batch-producer-close',
    bootstrapBrokers: [`127.0.0.1:${port}`],
    idempotent: true,
  });
  let retriesAfterClose = 0;
  const produced = producer
    .produce(
      [{ topic: 'silent', partition: 0, messages: [message('k', Buffer.from('v'), 'a')] }],
      timeoutMs,
    )
    .then(
      () => 'resolved',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
  await requestArrived;
  await producer.close();
  producer.on('client:performWithRetry:retry', () => retriesAfterClose++);
  const closedAt = Date.now();
  const outcome = await Promise.race([
    produced,
    new Promise((resolve) => setTimeout(() => resolve('still pending'), rejectAfterCloseMsMax * 4)),
  ]);
  t.true(
    Date.now() - closedAt <= rejectAfterCloseMsMax,
    `settled ${Date.now() - closedAt} ms after close`,
  );
  t.not(outcome, 'resolved');
  t.not(outcome, 'still pending');
  // Longer than the client's retry delay: nothing comes back.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.is(retriesAfterClose, 0);
  await t.throwsAsync(
    producer.produce(
      [{ topic: 'silent', partition: 0, messages: [message('k', Buffer.from('v'), 'b')] }],
      timeoutMs,
    ),
    { message: /closed/ },
  );
});

test('a client close that hangs is cut at the bound and its sockets destroyed', async (t) => {
  const server = createServer((socket) => socket.on('data', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const producer = new RecordBatchProducer({
    clientId: 'batch-producer-close-bound',
    bootstrapBrokers: [`127.0.0.1:${port}`],
    idempotent: true,
  });
  const connection = await producer.connections.get({ host: '127.0.0.1', port });
  // A close that never settles (as when the broker stopped reading and a socket cannot flush).
  Object.assign(producer, { close: () => new Promise<void>(() => undefined) });
  const started = Date.now();
  await closeClientWithin(producer, 200);
  t.true(Date.now() - started < 1_000, 'resolved at the bound');
  t.true(connection.socket.destroyed, 'its sockets were destroyed');
});
