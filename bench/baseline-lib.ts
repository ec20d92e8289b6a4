// Raw throughput of the real servers from Node, with no Spendstream code in the way: the floor that
// later service benchmarks are divided by. Exported so a service benchmark can run the same
// baseline side by side in its own run (same machine, same noise).
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Admin, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { MongoClient } from 'mongodb';
import mysql from 'mysql2/promise';
import { uniqueName } from '@spendstream/core/testing/servers';

/** One measured figure. */
export interface BaselineResult {
  name: string;
  /** Operations done (messages, documents, updates). */
  count: number;
  durationMs: number;
  ratePerSecond: number;
}

function result(name: string, count: number, startedMs: number): BaselineResult {
  const durationMs = performance.now() - startedMs;
  return { name, count, durationMs, ratePerSecond: (count * 1000) / durationMs };
}

/** Runs tasks with at most `concurrency` of them in flight. */
async function inParallel(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A transaction-like payload padded to about `bytes` bytes of JSON. */
function payload(index: number, bytes: number): string {
  const base = JSON.stringify({
    v: 1,
    id: `tx-${index}`,
    userId: `user-${index % 1000}`,
    amountMinor: String(1000 + (index % 50_000)),
    currency: 'EUR',
    merchant: 'Corner Coffee Shop',
    occurredAt: '2026-11-25T12:00:00.000+01:00',
    pad: '',
  });
  return base.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, bytes - base.length))}"`);
}

export interface KafkaBaselineOptions {
  messages: number;
  messageBytes: number;
  partitions: number;
  /** Messages per produce request. */
  batchSize: number;
  /** Produce requests in flight at once. */
  concurrency: number;
  timeoutMs: number;
}

export const kafkaBaselineDefaults: KafkaBaselineOptions = {
  messages: 1_000_000,
  messageBytes: 300,
  partitions: 4,
  batchSize: 1_000,
  concurrency: 4,
  timeoutMs: 600_000,
};

/**
 * The baseline's messages in produce batches, built before any clock starts: we measure the client
 * and the broker, not JSON.
 */
function baselineBatches(o: KafkaBaselineOptions): { key: string; value: string }[][] {
  const batches: { key: string; value: string }[][] = [];
  for (let start = 0; start < o.messages; start += o.batchSize) {
    const batch: { key: string; value: string }[] = [];
    for (let i = start; i < Math.min(start + o.batchSize, o.messages); i += 1) {
      batch.push({ key: `user-${i % 1000}`, value: payload(i, o.messageBytes) });
    }
    batches.push(batch);
  }
  return batches;
}

/**
 * The same produce as `kafkaProduceConsume` (same messages, batches, requests in flight, acks from
 * all in-sync replicas, no compression, not idempotent) with @platformatic/kafka, the client the
 * services use: measured beside the kafkajs figure so a service's ratio is taken against the faster
 * raw producer of the run, not the one that flatters it.
 */
export async function kafkaProducePlatformatic(
  brokers: string,
  options: Partial<KafkaBaselineOptions> = {},
): Promise<BaselineResult> {
  const o = { ...kafkaBaselineDefaults, ...options };
  const bootstrapBrokers = brokers.split(',');
  const topic = uniqueName('baseline_pk');
  const admin = new Admin({ clientId: 'baseline', bootstrapBrokers });
  await admin.createTopics({ topics: [topic], partitions: o.partitions, replicas: 1 });
  const producer = new Producer({
    clientId: 'baseline',
    bootstrapBrokers,
    acks: ProduceAcks.ALL,
    idempotent: false,
    autocreateTopics: false,
    serializers: stringSerializers,
  });
  try {
    const batches = baselineBatches(o).map((batch) =>
      batch.map((message) => ({ ...message, topic })),
    );
    const produceStarted = performance.now();
    await inParallel(batches.length, o.concurrency, async (index) => {
      await producer.send({ messages: batches[index] ?? [] });
    });
    return result('kafka produce (@platformatic/kafka)', o.messages, produceStarted);
  } finally {
    await producer.close();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.close();
  }
}

/**
 * Produces `messages` keyed messages to a new topic (acks from all in-sync replicas, no
 * compression), then consumes them all with one consumer group member from the beginning.
 * Client: kafkajs (the same for produce and consume, so the two figures compare).
 */
export async function kafkaProduceConsume(
  brokers: string,
  options: Partial<KafkaBaselineOptions> = {},
): Promise<BaselineResult[]> {
  const o = { ...kafkaBaselineDefaults, ...options };
  const kafka = new Kafka({
    clientId: 'baseline',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName('baseline');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: o.partitions }],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({
    groupId: uniqueName('baseline_group'),
    maxBytes: 50 * 1024 * 1024,
    maxBytesPerPartition: 10 * 1024 * 1024,
  });
  try {
    await producer.connect();
    const batches: Message[][] = baselineBatches(o);
    const produceStarted = performance.now();
    await inParallel(batches.length, o.concurrency, async (index) => {
      await producer.send({ topic, messages: batches[index] ?? [] });
    });
    const produced = result('kafka produce', o.messages, produceStarted);
    batches.length = 0;

    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const consumeStarted = performance.now();
    let seen = 0;
    await new Promise<void>((resolveAll, rejectAll) => {
      const timer = setTimeout(
        () => rejectAll(new Error(`consumed ${seen} of ${o.messages} within ${o.timeoutMs}ms`)),
        o.timeoutMs,
      );
      void consumer
        .run({
          autoCommit: true,
          eachBatch: async ({ batch }) => {
            seen += batch.messages.length;
            if (seen >= o.messages) {
              clearTimeout(timer);
              resolveAll();
            }
          },
        })
        .catch(rejectAll);
    });
    const consumed = result('kafka consume', seen, consumeStarted);
    return [produced, consumed];
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export interface OpenSearchBaselineOptions {
  documents: number;
  /** Documents per _bulk request. */
  batchSize: number;
  concurrency: number;
}

export const openSearchBaselineDefaults: OpenSearchBaselineOptions = {
  documents: 500_000,
  batchSize: 5_000,
  concurrency: 2,
};

/**
 * Indexes small transaction documents with `_bulk` into a new one-shard index (no replicas,
 * default refresh), then refreshes; the time includes that final refresh.
 */
export async function openSearchBulk(
  url: string,
  options: Partial<OpenSearchBaselineOptions> = {},
): Promise<BaselineResult> {
  const o = { ...openSearchBaselineDefaults, ...options };
  const client = new OpenSearchClient({ node: url });
  const index = uniqueName('baseline');
  try {
    await client.indices.create({
      index,
      body: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          properties: {
            userId: { type: 'keyword' },
            merchant: { type: 'text' },
            category: { type: 'keyword' },
            amountMinor: { type: 'long' },
            currency: { type: 'keyword' },
            occurredAt: { type: 'date' },
          },
        },
      },
    });
    const batchCount = Math.ceil(o.documents / o.batchSize);
    const started = performance.now();
    await inParallel(batchCount, o.concurrency, async (batchIndex) => {
      const body: object[] = [];
      const first = batchIndex * o.batchSize;
      for (let i = first; i < Math.min(first + o.batchSize, o.documents); i += 1) {
        body.push({ index: { _index: index, _id: `tx-${i}` } });
        body.push({
          userId: `user-${i % 1000}`,
          merchant: i % 2 === 0 ? 'Corner Coffee Shop' : 'City Train',
          category: i % 2 === 0 ? 'food' : 'transport',
          amountMinor: 1000 + (i % 50_000),
          currency: 'EUR',
          occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        });
      }
      const response = await client.bulk({ body });
      if (response.body.errors) throw new Error(`_bulk reported errors in batch ${batchIndex}`);
    });
    await client.indices.refresh({ index });
    const measured = result('opensearch _bulk index', o.documents, started);
    const count = await client.count({ index });
    if (count.body.count !== o.documents) {
      throw new Error(`indexed ${count.body.count} documents, expected ${o.documents}`);
    }
    return measured;
  } finally {
    await client.indices.delete({ index }).catch(() => undefined);
    await client.close();
  }
}

export interface FerretDbBaselineOptions {
  documents: number;
  /** Documents per insertMany. */
  batchSize: number;
}

export const ferretDbBaselineDefaults: FerretDbBaselineOptions = {
  documents: 200_000,
  batchSize: 1_000,
};

/** Inserts small documents with insertMany (ordered, one batch at a time) into a new database. */
export async function ferretDbInserts(
  url: string,
  options: Partial<FerretDbBaselineOptions> = {},
): Promise<BaselineResult> {
  const o = { ...ferretDbBaselineDefaults, ...options };
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(uniqueName('baseline'));
  try {
    const collection = db.collection('transactions');
    const started = performance.now();
    for (let first = 0; first < o.documents; first += o.batchSize) {
      const docs = [];
      for (let i = first; i < Math.min(first + o.batchSize, o.documents); i += 1) {
        docs.push({
          txId: `tx-${i}`,
          userId: `user-${i % 1000}`,
          amountMinor: 1000 + (i % 50_000),
          currency: 'EUR',
          category: i % 2 === 0 ? 'food' : 'transport',
        });
      }
      await collection.insertMany(docs);
    }
    const measured = result('ferretdb insertMany', o.documents, started);
    const count = await collection.countDocuments();
    if (count !== o.documents)
      throw new Error(`inserted ${count} documents, expected ${o.documents}`);
    return measured;
  } finally {
    await db.dropDatabase();
    await client.close();
  }
}

export interface MariaDbBaselineOptions {
  /** Single-row updates spread over `rows` rows. */
  spreadUpdates: number;
  rows: number;
  /** Single-row updates all on one row. */
  hotRowUpdates: number;
  /** Connections updating at once (each update its own autocommitted transaction). */
  concurrency: number;
}

export const mariaDbBaselineDefaults: MariaDbBaselineOptions = {
  spreadUpdates: 20_000,
  rows: 1_000,
  hotRowUpdates: 10_000,
  concurrency: 8,
};

/**
 * Single-row `UPDATE ... SET balance = balance + ?` statements, each autocommitted, from
 * `concurrency` connections: once spread over many rows, once all on one hot row. Checks after
 * each run that no increment was lost.
 */
export async function mariaDbUpdates(
  url: string,
  options: Partial<MariaDbBaselineOptions> = {},
): Promise<BaselineResult[]> {
  const o = { ...mariaDbBaselineDefaults, ...options };
  const database = uniqueName('baseline');
  const admin = await mysql.createConnection(url);
  await admin.query(`CREATE DATABASE \`${database}\``);
  const target = new URL(url);
  target.pathname = `/${database}`;
  const pool = mysql.createPool({ uri: target.toString(), connectionLimit: o.concurrency });
  try {
    await pool.query(
      'CREATE TABLE balances (id INT PRIMARY KEY, balance_minor BIGINT NOT NULL) ENGINE=InnoDB',
    );
    const values = Array.from({ length: o.rows }, (_, i) => [i + 1, 0]);
    await pool.query('INSERT INTO balances (id, balance_minor) VALUES ?', [values]);

    const run = async (name: string, count: number, rowFor: (i: number) => number) => {
      await pool.query('UPDATE balances SET balance_minor = 0');
      const started = performance.now();
      await inParallel(count, o.concurrency, async (i) => {
        await pool.execute('UPDATE balances SET balance_minor = balance_minor + ? WHERE id = ?', [
          1,
          rowFor(i),
        ]);
      });
      const measured = result(name, count, started);
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        'SELECT CAST(SUM(balance_minor) AS CHAR) AS total FROM balances',
      );
      if (rows[0]?.['total'] !== String(count)) {
        throw new Error(`${name}: balances sum to ${rows[0]?.['total']}, expected ${count}`);
      }
      return measured;
    };
    return [
      await run(
        `mariadb updates over ${o.rows} rows`,
        o.spreadUpdates,
        (i) => ((i * 7919) % o.rows) + 1,
      ),
      await run('mariadb updates on one hot row', o.hotRowUpdates, () => 1),
    ];
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE \`${database}\``);
    await admin.end();
  }
}

/** The median of each named figure over repeated runs (by rate). */
export function medians(runs: BaselineResult[][]): BaselineResult[] {
  const byName = new Map<string, BaselineResult[]>();
  for (const run of runs) {
    for (const figure of run) byName.set(figure.name, [...(byName.get(figure.name) ?? []), figure]);
  }
  return [...byName.values()].map((figures) => {
    const sorted = [...figures].sort((a, b) => a.ratePerSecond - b.ratePerSecond);
    const middle = sorted[Math.floor((sorted.length - 1) / 2)];
    if (middle === undefined) throw new Error('no figures');
    return middle;
  });
}
