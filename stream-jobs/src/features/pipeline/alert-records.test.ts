import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { topics } from '@spendstream/core/events';
import { alertRaisedV1Schema } from '@spendstream/core/events/alerts';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql/create-sql';
import { z } from 'zod';
import { createSqlDocumentStore } from '../documents/sql-store.js';
import { rawTransaction } from '../documents/test-documents.js';
import { createSqlSearchIndex } from '../search/sql-index.js';
import { createStreamJobs } from './stream-jobs.js';
import { collect, createAllTopics, eventually, rawEvent, settingsEvent } from './test-harness.js';

test('an alert is recorded in the wire form it is published in, and an unpublished record older than the sweep age is published from its stored payload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sj-alert-records-'));
  const eventLog = createEmbeddedEventLog({ path: join(dir, 'log.sqlite'), pollIntervalMs: 20 });
  await createAllTopics(eventLog);
  const store = createSqlDocumentStore({
    knex: createSql({}, { sqliteFilename: join(dir, 'store.sqlite') }),
  });
  const index = createSqlSearchIndex({
    knex: createSql({}, { sqliteFilename: join(dir, 'index.sqlite') }),
  });
  t.teardown(async () => {
    await eventLog.close();
    await store.close();
    await index.close();
  });
  const clock = () => DateTime.fromISO('2026-11-25T12:00:00Z', { zone: 'utc' });
  const start = async () => {
    const jobs = createStreamJobs({
      eventLog,
      store,
      index,
      log: createMemoryLogger('stream-jobs', 'warn').log,
      now: clock,
    });
    await jobs.start();
    return jobs;
  };
  await eventLog.send(topics.refUserSettings, [
    settingsEvent({
      userId: 'user-1',
      revision: 1,
      timeZone: 'Pacific/Auckland',
      homeCurrency: 'NZD',
      locale: 'en-NZ',
      alerts: { enabled: true, largeTransactionMin: { amount: 1n, currency: 'NZD' } },
      updatedAt: '2026-01-01T00:00:00Z',
    }),
  ]);
  const published = await collect(eventLog, topics.alerts, 'alerts-reader');
  t.teardown(() => published.close());
  const first = await start();
  await eventLog.send(topics.transactionsRaw, [rawEvent(rawTransaction({ transactionId: 'big' }))]);
  t.true(await eventually(() => published.values.length === 1));
  await first.stop();
  const [record] = await store.listAlerts({ limit: 10 });
  t.truthy(record?.publishedAt);
  // The stored payload is the published one, and reads back as the alert it encodes.
  t.deepEqual(record!.payload, published.values[0]!.payload);
  const alert = alertRaisedV1Schema.parse(record!.payload);
  t.deepEqual(z.encode(alertRaisedV1Schema, alert), record!.payload);

  // An attempt that recorded an alert and died before publishing it: a new worker's sweep sends it.
  const orphan = { ...record!.payload, alertId: 'orphan-alert' };
  t.true(
    await store.insertAlert({
      ...record!,
      alertId: 'orphan-alert',
      identity: 'orphan-identity',
      payload: orphan,
      createdAt: '2026-11-25T11:50:00.000Z',
      publishedAt: null,
    }),
  );
  const second = await start();
  await eventLog.send(topics.transactionsRaw, [
    rawEvent(rawTransaction({ transactionId: 'small', amount: { amount: 0n, currency: 'NZD' } })),
  ]);
  t.true(await eventually(() => published.values.length === 2));
  await second.stop();
  t.deepEqual(published.values[1]!.payload, orphan);
  t.is(published.values[1]!.id, 'orphan-alert');
  t.deepEqual(await store.listAlerts({ unpublishedOnly: true, limit: 10 }), []);
});
