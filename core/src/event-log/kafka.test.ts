import test from 'ava';
import { eventLogContract } from '../testing/event-log-contract.js';
import { ValidationError } from '../errors.js';
import { realServers, uniqueName } from '../testing/servers.js';
import { parseKafkaBrokers } from './factory.js';
import { createKafkaEventLog, kafkaProducerLanesMax } from './kafka.js';

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
    const perKey = 30;
    // Every caller sends messages of every key, so each partition gets sends from all callers at
    // once: per key, the order is the order of the sends.
    let sequence = 0;
    const sent = new Map<string, number[]>();
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let round = 0; round < perKey / 6; round++) {
          const messages = Array.from({ length: keys }, (_, k) => {
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
    const received = new Map<string, number[]>();
    let count = 0;
    await log.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: async (batch) => {
        for (const m of batch.messages) {
          const list = received.get(m.key) ?? [];
          list.push(Number(m.value.toString('utf8')));
          received.set(m.key, list);
          count++;
        }
      },
    });
    const deadline = Date.now() + 30_000;
    while (count < keys * perKey && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    t.is(count, keys * perKey, `${producerLanes} lanes: each message once`);
    for (const [key, values] of sent) t.deepEqual(received.get(key), values, `${key} in order`);
  }
});
