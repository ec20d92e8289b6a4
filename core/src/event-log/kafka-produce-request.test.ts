import test from 'ava';
import { NumericMap, jsCRC32C, Reader, readRecordsBatch } from '@platformatic/kafka';
import { seededRandom } from '../testing/random.js';
import { clientProduceApis } from './kafka-batch-producer.js';
import {
  encodeProduceRequest,
  produceVersionMax,
  produceVersionMin,
  type TopicRecords,
} from './kafka-produce-request.js';
import type { EncodedMessage } from './port.js';

/** The same request through @platformatic/kafka's own encoder. */
function clientBytes(
  version: keyof typeof clientProduceApis,
  topics: TopicRecords[],
  options: {
    acks: number;
    timeoutMs: number;
    producerId: bigint;
    epoch: number;
    timestamp: bigint;
  },
): Buffer {
  const sequences = new NumericMap();
  const messages = [];
  for (const { topic, partitions } of topics) {
    for (const { partition, messages: records, firstSequence } of partitions) {
      sequences.set(`${topic}:${partition}`, firstSequence);
      for (const m of records) {
        messages.push({
          topic,
          partition,
          key: m.key,
          value: m.value,
          headers: new Map(m.headers.map(([n, v]) => [Buffer.from(n, 'utf8'), v])),
          timestamp: options.timestamp,
        });
      }
    }
  }
  return clientProduceApis[version].createRequest(options.acks, options.timeoutMs, messages, {
    producerId: options.producerId,
    producerEpoch: options.epoch,
    sequences,
    compression: 'none',
  }).buffer;
}

/** Random records: empty and long keys and values (1- to 3-byte varint lengths), 0-3 headers
 * with multi-byte names, so every varint width and branch is exercised. */
function randomRecords(random: () => number, count: number): EncodedMessage[] {
  const bytes = (max: number): Buffer => {
    const length = Math.floor(random() ** 3 * max);
    return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
  };
  const names = ['event-id', 'trace', 'ünïcode-name', 'x'.repeat(200)];
  return Array.from({ length: count }, () => ({
    key: bytes(300),
    value: bytes(20_000),
    headers: Array.from({ length: Math.floor(random() * 4) }, (): [string, Buffer] => [
      names[Math.floor(random() * names.length)]!,
      bytes(150),
    ]),
  }));
}

test('the produce request is byte for byte the client encoder for every version it writes, over random records', (t) => {
  const random = seededRandom(20261126);
  for (let round = 0; round < 40; round++) {
    const topics: TopicRecords[] = ['raw', 'other.topic']
      .slice(0, 1 + (round % 2))
      .map((topic) => ({
        topic,
        // ascending, as the client groups them
        partitions: [0, 3, 7].slice(0, 1 + (round % 3)).map((partition) => ({
          partition,
          messages: randomRecords(random, 1 + Math.floor(random() * 70)),
          firstSequence: Math.floor(random() * 2 ** 31),
        })),
      }));
    const options = {
      acks: -1,
      timeoutMs: 30_000,
      producerId: BigInt(Math.floor(random() * 2 ** 40)),
      epoch: Math.floor(random() * 32_000),
      timestamp: 1_764_000_000_000n + BigInt(round),
    };
    for (let version = produceVersionMin; version <= produceVersionMax; version++) {
      const ours = encodeProduceRequest(topics, {
        version,
        acks: options.acks,
        timeoutMs: options.timeoutMs,
        producerId: options.producerId,
        producerEpoch: options.epoch,
        timestamp: options.timestamp,
      });
      const theirs = clientBytes(version as keyof typeof clientProduceApis, topics, options);
      t.true(ours.equals(theirs), `round ${round}, version ${version}`);
    }
  }
});

test('the client decoder reads back every record, header and the idempotence fields with a valid CRC', (t) => {
  const messages = randomRecords(seededRandom(7), 50);
  const ours = encodeProduceRequest(
    [{ topic: 't', partitions: [{ partition: 2, messages, firstSequence: 41 }] }],
    {
      version: 11,
      acks: -1,
      timeoutMs: 1_000,
      producerId: 9n,
      producerEpoch: 3,
      timestamp: 5n,
    },
  );
  // v11 body: null txn id (1), acks (2), timeout (4), topics (1), name (1 + 1), partitions (1),
  // index (4), then the batch's compact length.
  const reader = Reader.from(ours.subarray(15));
  reader.readUnsignedVarInt();
  const batchStart = 15 + reader.position;
  const batch = readRecordsBatch(reader);
  t.is(batch.producerId, 9n);
  t.is(batch.producerEpoch, 3);
  t.is(batch.firstSequence, 41);
  t.is(batch.lastOffsetDelta, 49);
  t.is(batch.records.length, 50);
  for (const [i, record] of batch.records.entries()) {
    t.true(record.key?.equals(messages[i]!.key));
    t.true(record.value?.equals(messages[i]!.value));
    t.deepEqual(
      record.headers.map(([n, v]) => [n?.toString('utf8'), v]),
      messages[i]!.headers,
    );
  }
  // The CRC is CRC32C from the attributes to the batch's end, checked with the client's
  // table-driven implementation (not the native one the encoder calls).
  const batchEnd = batchStart + 12 + ours.readInt32BE(batchStart + 8);
  t.is(batchEnd, ours.length - 3); // partition, topic and request tags follow
  t.is(ours.readUInt32BE(batchStart + 17), jsCRC32C(ours.subarray(batchStart + 21, batchEnd)));
});

test('versions outside 7 to 11 and empty partitions are refused', (t) => {
  const options = {
    acks: -1,
    timeoutMs: 1,
    producerId: 1n,
    producerEpoch: 0,
    timestamp: 1n,
  };
  const topics = [
    {
      topic: 't',
      partitions: [{ partition: 0, messages: randomRecords(seededRandom(1), 1), firstSequence: 0 }],
    },
  ];
  for (const version of [6, 12, 9.5]) {
    t.throws(() => encodeProduceRequest(topics, { ...options, version }), {
      instanceOf: RangeError,
    });
  }
  t.throws(
    () =>
      encodeProduceRequest(
        [{ topic: 't', partitions: [{ partition: 0, messages: [], firstSequence: 0 }] }],
        {
          ...options,
          version: 11,
        },
      ),
    { instanceOf: RangeError },
  );
});
