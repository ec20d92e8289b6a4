/**
 * Live alerts end to end on the embedded event log: an `alert.raised` published on `alerts`
 * reaches the SSE stream within 1 s; a reconnect with Last-Event-ID gets exactly the alerts it
 * missed, in order, then the live ones; a redelivered alert is stored once; another user's alerts
 * never appear.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import {
  encodeEvent,
  topics,
  topicSpecs,
  type AlertRaisedV1,
  type TopicEvent,
} from '@spendstream/core/events';
import { startAlertConsumer } from '../src/features/alerts/alert-consumer.js';
import { startTestApp } from './support/test-app.js';
import { openSse } from './support/sse-client.js';

/** The delivery bound the issue asks for. */
const deliveryMsMax = 1_000;

function alertEvent(userId: string, n: number): TopicEvent<typeof topics.alerts> {
  const now = new Date().toISOString();
  const payload: AlertRaisedV1 = {
    alertId: `alert_${userId}_${n}`,
    userId,
    rule: 'large_transaction',
    subject: { kind: 'transaction', id: `tx_${n}` },
    period: { kind: 'day', start: '2026-11-25', end: '2026-11-26', timeZone: 'Europe/Paris' },
    threshold: { kind: 'amount', amount: { amount: 50_000n, currency: 'EUR' } },
    severity: 'warning',
    late: false,
    amounts: { observed: { amount: 75_000n + BigInt(n), currency: 'EUR' } },
    transactionId: `tx_${n}`,
    message: `A large payment of ${750 + n} EUR`,
    firedAt: now,
  };
  return {
    id: `evt_${userId}_${n}`,
    type: 'alert.raised',
    version: 1,
    key: userId,
    occurredAt: now,
    producedAt: now,
    source: 'stream-jobs/alerts',
    payload,
  };
}

test('an alert reaches the SSE stream within 1 s and a Last-Event-ID reconnect gets exactly the missed ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-alerts-'));
  const eventLog = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  await eventLog.createTopic(topics.alerts, { partitions: topicSpecs[topics.alerts].partitions });
  await eventLog.createTopic(topics.deadLetter, {
    partitions: topicSpecs[topics.deadLetter].partitions,
  });
  const app = await startTestApp();
  const consumer = await startAlertConsumer({
    log: eventLog,
    alerts: app.alerts,
    hub: app.alertHub,
    publisher: app.publisher,
    groupId: 'analytics-test-alerts',
  });
  t.teardown(async () => {
    await consumer.close();
    await eventLog.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const publish = async (userId: string, n: number) => {
    const event = alertEvent(userId, n);
    await eventLog.send(topics.alerts, [
      { key: userId, value: Buffer.from(encodeEvent(topics.alerts, event)) },
    ]);
    return Date.now();
  };
  const token = await app.issuer.userToken('u-paris');
  const otherToken = await app.issuer.userToken('u-newyork');

  const first = await openSse(`${app.url}/v1/alerts/stream`, { authorization: `Bearer ${token}` });
  const other = await openSse(`${app.url}/v1/alerts/stream`, {
    authorization: `Bearer ${otherToken}`,
  });
  t.is(first.status, 200);
  const sentAt = await publish('u-paris', 1);
  const [received] = await first.waitFor(1, deliveryMsMax);
  t.true(
    received!.receivedAt - sentAt < deliveryMsMax,
    `delivered in ${received!.receivedAt - sentAt} ms`,
  );
  t.like(JSON.parse(received!.data), {
    alertId: 'alert_u-paris_1',
    rule: 'large_transaction',
    read: false,
  });
  t.is(received!.event, 'alert');
  const lastId = received!.id!;
  first.close();

  // While disconnected: three for this user, one for another user, and a redelivery of #2.
  await publish('u-paris', 2);
  await publish('u-newyork', 99);
  await publish('u-paris', 3);
  await publish('u-paris', 2);
  await publish('u-paris', 4);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const resumed = await openSse(`${app.url}/v1/alerts/stream`, {
    authorization: `Bearer ${token}`,
    'last-event-id': lastId,
  });
  const missed = await resumed.waitFor(3, deliveryMsMax);
  t.deepEqual(
    missed.map((event) => JSON.parse(event.data).alertId),
    ['alert_u-paris_2', 'alert_u-paris_3', 'alert_u-paris_4'],
  );
  t.true(
    missed.every((event, index) => index === 0 || Number(event.id) > Number(missed[index - 1]!.id)),
  );
  const liveAt = await publish('u-paris', 5);
  const afterLive = await resumed.waitFor(4, deliveryMsMax);
  t.is(JSON.parse(afterLive[3]!.data).alertId, 'alert_u-paris_5');
  t.true(afterLive[3]!.receivedAt - liveAt < deliveryMsMax);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(resumed.events.length, 4, 'nothing sent twice');
  resumed.close();

  // The other user saw only their own alert.
  await other.waitFor(1, deliveryMsMax);
  t.deepEqual(
    other.events.map((event) => JSON.parse(event.data).alertId),
    ['alert_u-newyork_99'],
  );
  other.close();

  // History: newest first, the redelivered alert stored once.
  const history = (await (await app.as('u-paris', '/v1/alerts')).json()) as {
    items: Array<{ alertId: string }>;
  };
  t.deepEqual(
    history.items.map((item) => item.alertId),
    ['alert_u-paris_5', 'alert_u-paris_4', 'alert_u-paris_3', 'alert_u-paris_2', 'alert_u-paris_1'],
  );
});

test('an undecodable alert message goes to the dead-letter topic with its reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-alerts-'));
  const eventLog = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  await eventLog.createTopic(topics.alerts, { partitions: 1 });
  const app = await startTestApp();
  const consumer = await startAlertConsumer({
    log: eventLog,
    alerts: app.alerts,
    hub: app.alertHub,
    publisher: app.publisher,
    groupId: 'analytics-test-dlq',
  });
  t.teardown(async () => {
    await consumer.close();
    await eventLog.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await eventLog.send(topics.alerts, [{ key: 'u-paris', value: '{"not":"an event"}' }]);
  const deadline = Date.now() + 5_000;
  while (app.publisher.published.length === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(app.publisher.published[0]?.topic, topics.deadLetter);
  t.like(app.publisher.published[0]?.event, { type: 'dead_letter', key: 'u-paris' });
  t.is(await app.alerts.latestSeq(), 0);
});
