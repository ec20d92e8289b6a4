import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import test from 'ava';
import { eventLogContract } from '../testing/event-log-contract.js';
import { ValidationError } from '../errors.js';
import { realServers, uniqueName } from '../testing/servers.js';
import { parseKafkaBrokers } from './factory.js';
import { kafkaClientCloseMsMax } from './kafka-batch-producer.js';
import {
  createKafkaEventLog,
  kafkaOneLaneSendMessagesMax,
  kafkaProducerLanesMax,
} from './kafka.js';

type Produce = (...args: unknown[]) => Promise<unknown>;

/** The producers of a Kafka log's lanes (private to the log), to count or hold their requests. */
const producersOf = (log: object) =>
  (log as { lanes: { producer: { produce: Produce } }[] }).lanes.map((lane) => lane.producer);

/** Reads `topic` from the start until `count` messages arrived (or 30 s passed), by key in order. */
async function readByKey(
  log: ReturnType<typeof createKafkaEventLog>,
  topic: string,
  count: number,
): Promise<Map<string, string[]>> {
  const received = new Map<string, string[]>();
  let seen = 0;
  await log.subscribe({
    groupId: uniqueName('g'),
    topics: [topic],
    handler: async (batch) => {
      for (const m of batch.messages) {
        const list = received.get(m.key) ?? [];
        list.push(m.value.toString('utf8'));
        received.set(m.key, list);
        seen++;
      }
    },
  });
  const deadline = Date.now() + 30_000;
  while (seen < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return received;
}

const brokers = parseKafkaBrokers(realServers(['KAFKA_BROKERS']).KAFKA_BROKERS);

// Kafka's smallest allowed session timeout is group.min.session.timeout.ms (6 s by default);
// members heartbeat every third of it, so a group settles within about one heartbeat.
eventLogContract(test, {
  open: async () => createKafkaEventLog({ brokers, clientId: 'event-log-contract' }),
  sessionTimeoutMs: 6_000,
  rebalanceSettleMs: 2_500,
});

test('producerLanes outside 1 to kafkaProducerLanesMax is refused, naming the option', (t) => {
  for (const producerLanes of [0, -1, 1.5, kafkaProducerLanesMax + 1]) {
    const error = t.throws(
      () => createKafkaEventLog({ brokers, clientId: 'lanes-check', producerLanes }),
      { instanceOf: ValidationError },
    );
    t.is(error?.field, 'producerLanes');
  }
});

test('one lane or many: concurrent sends over 8 partitions arrive once each, in order per key', async (t) => {
  for (const producerLanes of [1, kafkaProducerLanesMax]) {
    const log = createKafkaEventLog({ brokers, clientId: 'lanes-order', producerLanes });
    t.teardown(() => log.close());
    const topic = uniqueName('lanes');
    await log.createTopic(topic, { partitions: 8 });
    const keys = 24;
    /** Rounds per caller (6 callers): 3 small sends of one message a key, 2 large of twelve. */
    const rounds = 5;
    const perKey = 6 * (3 * 1 + 2 * 12);
    // Every caller sends messages of every key, so each partition gets sends from all callers at
    // once: per key, the order is the order of the sends. Small sends (24 messages: whole to one
    // lane when the lanes are idle, and every send while that one is unsettled) and large ones
    // (288, above kafkaOneLaneSendMessagesMax: spread by partition), mixed.
    let sequence = 0;
    const sent = new Map<string, number[]>();
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let round = 0; round < rounds; round++) {
          const messages = Array.from({ length: keys * (round % 2 === 0 ? 1 : 12) }, (_, i) => {
            const k = i % keys;
            const n = sequence++;
            const list = sent.get(`k${k}`) ?? [];
            list.push(n);
            sent.set(`k${k}`, list);
            return { key: `k${k}`, value: String(n) };
          });
          await log.send(topic, messages);
        }
      }),
    );
    const received = await readByKey(log, topic, keys * perKey);
    const count = [...received.values()].flat().length;
    t.is(count, keys * perKey, `${producerLanes} lanes: each message once`);
    for (const [key, values] of sent)
      t.deepEqual(received.get(key)?.map(Number), values, `${key} in order`);
  }
});

test('a small send while the lanes are idle is one produce request; a large one spreads over the lanes', async (t) => {
  const log = createKafkaEventLog({ brokers, clientId: 'lanes-small', producerLanes: 4 });
  t.teardown(() => log.close());
  const topic = uniqueName('lanes_small');
  await log.createTopic(topic, { partitions: 8 });
  const requests = [0, 0, 0, 0];
  producersOf(log).forEach((producer, lane) => {
    const produce = producer.produce.bind(producer);
    producer.produce = (...args: unknown[]) => {
      requests[lane]!++;
      return produce(...args);
    };
  });
  // 40 keys cover all 8 partitions (4 lanes by partition mod 4).
  const messages = (count: number, from: number) =>
    Array.from({ length: count }, (_, i) => ({ key: `k${i % 40}`, value: String(from + i) }));
  for (let round = 0; round < 3; round++) {
    requests.fill(0);
    await log.send(topic, messages(kafkaOneLaneSendMessagesMax, round * 1_000));
    t.deepEqual(requests, [1, 0, 0, 0], `small send ${round}: one produce request`);
  }
  requests.fill(0);
  await log.send(topic, messages(kafkaOneLaneSendMessagesMax + 1, 10_000));
  t.deepEqual(requests, [1, 1, 1, 1], 'a large send: one produce request per lane');
  const total = 4 * kafkaOneLaneSendMessagesMax + 1;
  const received = await readByKey(log, topic, total);
  t.is(new Set([...received.values()].flat()).size, total, 'every message once');
});

test('while a one-lane send is unacknowledged every send follows it onto its lane, in order per key', async (t) => {
  const log = createKafkaEventLog({ brokers, clientId: 'lanes-held', producerLanes: 4 });
  t.teardown(() => log.close());
  const topic = uniqueName('lanes_held');
  await log.createTopic(topic, { partitions: 8 });
  // Lane 0's requests wait until the gate opens; the others count theirs.
  let open: (value?: unknown) => void = () => undefined;
  const gate = new Promise((resolve) => (open = resolve));
  const others = [0, 0, 0, 0];
  producersOf(log).forEach((producer, lane) => {
    const produce = producer.produce.bind(producer);
    producer.produce = async (...args: unknown[]) => {
      if (lane === 0) await gate;
      else others[lane]!++;
      return produce(...args);
    };
  });
  const messages = (count: number, tag: string) =>
    Array.from({ length: count }, (_, i) => ({ key: `k${i % 40}`, value: `${tag}-${i}` }));
  // A small send goes whole to lane 0 (held); a large one and another small one made meanwhile
  // would put their partitions on lanes 1-3 and overtake it there: they must queue behind it.
  const sends = [
    log.send(topic, messages(40, 'a')),
    log.send(topic, messages(kafkaOneLaneSendMessagesMax + 40, 'b')),
    log.send(topic, messages(40, 'c')),
  ];
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.deepEqual(others, [0, 0, 0, 0], 'nothing went out on another lane while lane 0 was held');
  open();
  await Promise.all(sends);
  const total = 80 + kafkaOneLaneSendMessagesMax + 40;
  const received = await readByKey(log, topic, total);
  t.is([...received.values()].flat().length, total, 'every message once');
  for (const [key, values] of received) {
    const tags = values.map((v) => v.split('-')[0]);
    t.deepEqual(tags, [...tags].sort(), `${key}: a, then b, then c`);
  }
  // Settled: the next large send spreads again.
  others.fill(0);
  await log.send(topic, messages(kafkaOneLaneSendMessagesMax + 1, 'd'));
  t.deepEqual(others, [0, 1, 1, 1], 'once settled, a large send spreads over the lanes again');
});

/** The topic's max.message.bytes in the close test, and the size of the message it refuses. */
const closeTestTopicBytesMax = 100_000;
const closeTestTooLargeBytes = 150_000;
/** How long the close test's process may live in all (start-up, sends, close): far beyond what it
 * needs; a timer outliving close() kept it alive for ever. */
const closeTestProcessMsMax = 60_000;

interface CloseChildReport {
  closeMs: number;
  tooLargeError: string;
  acknowledged: number[];
  rejected: { send: number; error: string }[];
  before: Record<string, number>;
  after: Record<string, number>;
}

test('closing right after a failed send with sends in flight: close is bounded, nothing unacknowledged resolves, and the process exits', async (t) => {
  const admin = new Admin({ clientId: 'close-test-admin', bootstrapBrokers: brokers });
  t.teardown(() => admin.close());
  const topic = uniqueName('close_after_failure');
  await admin.createTopics({
    topics: [topic],
    partitions: 8,
    replicas: 1,
    configs: [{ name: 'max.message.bytes', value: String(closeTestTopicBytesMax) }],
  });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./kafka-close-child.ts', import.meta.url)),
      brokers.join(','),
      topic,
      String(closeTestTooLargeBytes),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), closeTestProcessMsMax);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
  if (!exited) child.kill('SIGKILL');
  t.true(exited, `the process exits by itself (output: ${output || 'none'})`);
  if (!exited) return;
  const report = JSON.parse(output) as CloseChildReport;
  t.regex(report.tooLargeError, /larger than the max message size/, 'the oversized send failed');
  t.true(report.closeMs <= kafkaClientCloseMsMax, `close took ${report.closeMs} ms`);
  t.deepEqual(report.after, report.before, 'no client timer or socket is left');
  const closedBeforeAck = report.rejected.filter((r) =>
    /closed before Kafka acknowledged/.test(r.error),
  );
  t.log(
    `close ${Math.round(report.closeMs)} ms; ${report.acknowledged.length} sends acknowledged, ${closedBeforeAck.length} rejected at close, ${report.rejected.length - closedBeforeAck.length} failed with the oversized one`,
  );
  t.true(closedBeforeAck.length > 0, 'sends were in flight at close and rejected as such');
  for (const r of report.rejected)
    t.regex(r.error, /Kafka send failed|closed before Kafka acknowledged/);
  // Every acknowledged send is in the topic (16 messages each): none resolved without its ack.
  const log = createKafkaEventLog({ brokers, clientId: 'close-test-read' });
  t.teardown(() => log.close());
  const counts = new Map<string, number>();
  await log.subscribe({
    groupId: uniqueName('close_read'),
    topics: [topic],
    handler: async (batch) => {
      for (const m of batch.messages) {
        const value = m.value.toString('utf8');
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
    },
  });
  const complete = (): boolean =>
    report.acknowledged.every((send) => counts.get(String(send)) === 16);
  const deadline = Date.now() + 30_000;
  while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.true(report.acknowledged.length > 0, 'some sends were acknowledged before the failure');
  t.true(complete(), 'every acknowledged send was written');
});
