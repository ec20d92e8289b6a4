import test from 'ava';
import { topics } from '@spendstream/core/events';
import { alertRaisedV1Schema } from '@spendstream/core/events/alerts';
import { z } from 'zod';
import { rawTransaction } from '../documents/test-documents.js';
import { collect, eventually, rawEvent, settingsEvent } from './test-harness.js';
import { embeddedPipeline } from './test-pipeline.js';

test('an alert is recorded in the wire form it is published in, and an unpublished record older than the sweep age is published from its stored payload', async (t) => {
  const { eventLog, store, start } = await embeddedPipeline(t);
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
