import test from 'ava';
import { createKafkaEventLog } from '@spendstream/core/event-log';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { generateTransactions } from '../generator/generate.js';
import { toIngestBody } from '../generator/ingest-body.js';
import { readRawTopic } from '../../testing/read-topic.js';
import { postJson, startHarness } from '../../testing/harness.js';

test('into real Kafka: generated deliveries (duplicates, corrections, reversals) land once per version, keyed and partitioned by user', async (t) => {
  const { KAFKA_BROKERS } = realServers(['KAFKA_BROKERS']);
  const eventLog = createKafkaEventLog({
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'ingest-kafka-test',
  });
  const topic = uniqueName('ingest_kafka').replace(/_/g, '-');
  const { users, transactions } = generateTransactions({
    seed: 'kafka-test',
    users: 6,
    days: 40,
    source: 'kafka-bank',
  });
  const h = await startHarness({
    eventLog,
    topic,
    wallets: users.flatMap((u) =>
      u.wallets.map((w) => ({
        walletId: w.walletId,
        writers: [u.userId],
        currency: w.currency,
        archived: false,
      })),
    ),
  });
  t.teardown(async () => {
    await h.close();
    await eventLog.close();
  });
  const token = await h.issuer.clientToken(
    'kafka-bank',
    users.map((u) => u.userId),
    ['transactions:write'],
  );
  const bodies = transactions.map((d) => ({ ...toIngestBody(d.event), userId: d.event.userId }));
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  for (let i = 0; i < bodies.length; i += 250) {
    const response = await postJson(`${h.url}/v1/transactions:batch`, token, {
      items: bodies.slice(i, i + 250),
    });
    t.is(response.status, 202);
    for (const key of ['accepted', 'duplicate', 'rejected'] as const)
      counts[key] += response.body.summary[key];
  }
  const versions = new Set(transactions.map((d) => `${d.event.transactionId}:${d.event.version}`));
  t.is(counts.rejected, 0);
  t.is(counts.accepted, versions.size, 'one acceptance per distinct (transaction, version)');
  t.is(counts.duplicate, transactions.length - versions.size);

  const events = await readRawTopic(eventLog, topic, {
    expected: versions.size,
    timeoutMs: 60_000,
  });
  t.deepEqual(
    [...new Set(events.map((e) => e.id))].sort(),
    [...versions].sort(),
    'the generator predicted every event id',
  );
  t.is(events.length, versions.size, 'each once');
  const partitionOf = new Map<string, number>();
  for (const e of events) {
    t.is(e.key, e.payload.userId);
    const seen = partitionOf.get(e.key);
    if (seen !== undefined) t.is(e.partition, seen, 'one user, one partition');
    partitionOf.set(e.key, e.partition);
  }
});
