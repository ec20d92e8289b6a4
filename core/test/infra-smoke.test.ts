// Each real server started by `npm run infra:up` answers through the Node client the project uses.
// These fail (not skip) when a server is missing or misbehaves.
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import test from 'ava';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { MongoClient, MongoServerError } from 'mongodb';
import mysql from 'mysql2/promise';
import { realServers, uniqueName } from '../src/testing/servers.js';

const messageWaitMs = 30_000;

test('MariaDB answers SELECT VERSION() and lets our user create and drop a database', async (t) => {
  const { DATABASE_URL } = realServers(['DATABASE_URL']);
  const connection = await mysql.createConnection(DATABASE_URL);
  try {
    const [versionRows] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    t.regex(String(versionRows[0]?.['v']), /MariaDB/);

    const database = uniqueName('smoke');
    await connection.query(`CREATE DATABASE \`${database}\``);
    await connection.query(
      `CREATE TABLE \`${database}\`.balances (id INT PRIMARY KEY, minor BIGINT)`,
    );
    await connection.query(`INSERT INTO \`${database}\`.balances VALUES (1, 9007199254740993)`);
    const [rows] = await connection.query<mysql.RowDataPacket[]>({
      sql: `SELECT minor FROM \`${database}\`.balances WHERE id = 1`,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    // Beyond 2^53: the value comes back exact, as a string.
    t.is(rows[0]?.['minor'], '9007199254740993');
    await connection.query(`DROP DATABASE \`${database}\``);
    const [left] = await connection.query<mysql.RowDataPacket[]>('SHOW DATABASES LIKE ?', [
      database,
    ]);
    t.is(left.length, 0);
  } finally {
    await connection.end();
  }
});

test('Kafka creates a topic, and a consumer group reads back the message produced to it', async (t) => {
  const { KAFKA_BROKERS } = realServers(['KAFKA_BROKERS']);
  const kafka = new Kafka({
    clientId: 'infra-smoke',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName('smoke');
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: uniqueName('smoke_group') });
  try {
    t.true(
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }),
    );
    t.true((await admin.listTopics()).includes(topic));

    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'user-1', value: 'hello', headers: { kind: 'smoke' } }],
    });

    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; kind: string }>(
      (resolveMessage, rejectMessage) => {
        const timer = setTimeout(
          () => rejectMessage(new Error(`no message within ${messageWaitMs}ms`)),
          messageWaitMs,
        );
        void consumer
          .run({
            eachMessage: async ({ message }) => {
              clearTimeout(timer);
              resolveMessage({
                key: message.key?.toString() ?? '',
                value: message.value?.toString() ?? '',
                kind: message.headers?.['kind']?.toString() ?? '',
              });
            },
          })
          .catch(rejectMessage);
      },
    );
    t.deepEqual(received, { key: 'user-1', value: 'hello', kind: 'smoke' });
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('FerretDB inserts, finds, rejects a duplicate on a unique index and upserts with $inc', async (t) => {
  const { MONGODB_URL } = realServers(['MONGODB_URL']);
  const client = new MongoClient(MONGODB_URL, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(uniqueName('smoke'));
  try {
    const docs = db.collection<{ _id?: unknown; userId: string; ref: string; amountMinor: number }>(
      'transactions',
    );
    await docs.createIndex({ userId: 1, ref: 1 }, { unique: true });
    await docs.insertOne({ userId: 'u1', ref: 'r1', amountMinor: 1250 });
    const found = await docs.findOne({ userId: 'u1', ref: 'r1' });
    t.is(found?.amountMinor, 1250);

    const duplicate = await t.throwsAsync(
      docs.insertOne({ userId: 'u1', ref: 'r1', amountMinor: 1 }),
    );
    t.true(duplicate instanceof MongoServerError);
    t.is((duplicate as MongoServerError).code, 11000);

    const counters = db.collection<{ _id: string; count: number }>('counters');
    await counters.updateOne({ _id: 'u1' }, { $inc: { count: 1 } }, { upsert: true });
    await counters.updateOne({ _id: 'u1' }, { $inc: { count: 2 } }, { upsert: true });
    t.is((await counters.findOne({ _id: 'u1' }))?.count, 3);
  } finally {
    await db.dropDatabase();
    await client.close();
  }
});

test('OpenSearch creates an index, bulk-indexes, refreshes and finds the documents', async (t) => {
  const { OPENSEARCH_URL } = realServers(['OPENSEARCH_URL']);
  const client = new OpenSearchClient({ node: OPENSEARCH_URL });
  const index = uniqueName('smoke');
  try {
    await client.indices.create({
      index,
      body: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          properties: { merchant: { type: 'text' }, category: { type: 'keyword' } },
        },
      },
    });
    const bulk = await client.bulk({
      body: [
        { index: { _index: index, _id: '1' } },
        { merchant: 'Corner Coffee Shop', category: 'food' },
        { index: { _index: index, _id: '2' } },
        { merchant: 'City Train', category: 'transport' },
        { index: { _index: index, _id: '3' } },
        { merchant: 'Coffee Roasters', category: 'food' },
      ],
    });
    t.false(bulk.body.errors);
    await client.indices.refresh({ index });
    const result = await client.search({
      index,
      body: {
        query: {
          bool: { must: { match: { merchant: 'coffee' } }, filter: { term: { category: 'food' } } },
        },
      },
    });
    const ids = result.body.hits.hits.map((hit) => hit._id).sort();
    t.deepEqual(ids, ['1', '3']);
  } finally {
    await client.indices.delete({ index }).catch(() => undefined);
    await client.close();
  }
});
