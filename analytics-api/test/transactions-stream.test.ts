/**
 * GET /v1/transactions/stream: the projector's newly stored versions reach the owner's stream
 * within 1 s, shaped like GET /v1/transactions/{id}; duplicates and stale versions send nothing;
 * another user hears nothing; streams are bounded per user; and a draining server ends every open
 * stream (alerts too) at once instead of waiting for the shutdown timeout.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { encodeEvent, topics } from '@spendstream/core/events';
import { startProjector } from '../src/features/projection/projector.js';
import { createSqlReadModelWriter } from '../src/features/projection/sql-read-model-writer.js';
import { transactionStreamsPerUserMax } from '../src/features/live/transaction-feed.js';
import { streamsPerUserMax as alertStreamsPerUserMax } from '../src/features/alerts/alert-hub.js';
import { shutdownTimeoutMsDefault } from '@spendstream/core/http';
import { enrichedOf } from './support/enriched-events.js';
import { makeDoc, testUsers } from './support/factories.js';
import { openSse } from './support/sse-client.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import type { TransactionDoc } from '../src/query/analytics-store.js';

const owner = testUsers[3]!; // u-paris
const other = testUsers[1]!; // u-newyork
const deliveryMsMax = 1_000;

async function streamFor(app: TestApp, userId: string, path = '/v1/transactions/stream') {
  const token = await app.issuer.userToken(userId);
  return openSse(`${app.url}${path}`, { authorization: `Bearer ${token}` });
}

async function appWithProjector(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-live-'));
  const log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  await log.createTopic(topics.transactionsEnriched, { partitions: 2 });
  const app = await startTestApp();
  const consumer = await startProjector({
    log,
    writer: createSqlReadModelWriter(app.sql),
    publisher: app.publisher,
    groupId: 'live-test',
    onApplied: (docs) => app.transactionFeed.publish(docs),
  });
  t.teardown(async () => {
    await consumer.close();
    await app.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const send = async (doc: TransactionDoc, version: number) => {
    const event = {
      id: `${doc.id}:v${version}`,
      type: 'transaction.enriched' as const,
      version: 1 as const,
      key: doc.userId,
      occurredAt: doc.occurredAt,
      producedAt: doc.occurredAt,
      source: 'stream-jobs',
      payload: enrichedOf(doc, Math.floor(version / 1_048_576)),
    };
    await log.send(topics.transactionsEnriched, [
      { key: doc.userId, value: Buffer.from(encodeEvent(topics.transactionsEnriched, event)) },
    ]);
  };
  return { app, send };
}

test('a stored transaction reaches its owner within 1 s; new versions follow, duplicates and stale ones do not', async (t) => {
  const { app, send } = await appWithProjector(t);
  const mine = await streamFor(app, owner.userId);
  const theirs = await streamFor(app, other.userId);
  t.teardown(() => {
    mine.close();
    theirs.close();
  });
  t.is(mine.status, 200);
  const doc = makeDoc(owner, {
    id: 'tx_live_1',
    occurredAt: '2026-05-02T09:00:00Z',
    amountMinor: 2400n,
    merchant: 'Cafe Luna',
  });
  const sentAt = Date.now();
  await send(doc, 2 * 1_048_576);
  const [first] = await mine.waitFor(1, 5_000);
  t.true(first!.receivedAt - sentAt <= deliveryMsMax, `${first!.receivedAt - sentAt} ms`);
  t.is(first!.event, 'transaction');
  t.is(first!.id, undefined, 'no event id: there is nothing to resume from');
  const lookup = await (await app.as(owner.userId, '/v1/transactions/tx_live_1')).json();
  t.deepEqual(JSON.parse(first!.data), lookup);

  // A duplicate and a stale version store nothing and send nothing; the annotation does.
  await send(doc, 2 * 1_048_576);
  await send({ ...doc, amountMinor: 1n }, 1_048_576 + 5);
  await send({ ...doc, tags: ['work'], note: 'with the team' }, 2 * 1_048_576 + 1);
  const events = await mine.waitFor(2, 5_000);
  t.like(JSON.parse(events[1]!.data), { id: 'tx_live_1', tags: ['work'], note: 'with the team' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(mine.events.length, 2);
  t.is(theirs.events.length, 0, 'another user hears nothing');
});

test('streams per user are bounded, a client token must name its user, and no token is a 401', async (t) => {
  const app = await startTestApp();
  t.teardown(() => app.close());
  const open: Awaited<ReturnType<typeof streamFor>>[] = [];
  for (let i = 0; i < transactionStreamsPerUserMax; i += 1)
    open.push(await streamFor(app, owner.userId));
  t.teardown(() => open.forEach((stream) => stream.close()));
  t.true(open.every((stream) => stream.status === 200));
  const extra = await app.as(owner.userId, '/v1/transactions/stream');
  t.is(extra.status, 429);
  t.is((await app.as(other.userId, '/v1/transactions/stream')).status, 200);
  t.is((await app.as(other.userId, `/v1/transactions/stream?userId=${owner.userId}`)).status, 403);
  t.is((await fetch(`${app.url}/v1/transactions/stream`)).status, 401);
});

test('alert streams per user are bounded (429), and a closed one frees its place', async (t) => {
  const app = await startTestApp();
  t.teardown(() => app.close());
  const open: Awaited<ReturnType<typeof streamFor>>[] = [];
  for (let i = 0; i < alertStreamsPerUserMax; i += 1)
    open.push(await streamFor(app, owner.userId, '/v1/alerts/stream'));
  t.teardown(() => open.forEach((stream) => stream.close()));
  t.true(open.every((stream) => stream.status === 200));
  const extra = await app.as(owner.userId, '/v1/alerts/stream');
  t.is(extra.status, 429);
  t.like(await extra.json(), { code: 'rate_limited' });
  const another = await streamFor(app, other.userId, '/v1/alerts/stream');
  t.teardown(() => another.close());
  t.is(another.status, 200, 'the bound is per user');
  open.shift()!.close();
  // The server learns of the close when the socket ends.
  let reopened = await streamFor(app, owner.userId, '/v1/alerts/stream');
  for (let tries = 0; reopened.status === 429 && tries < 50; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    reopened = await streamFor(app, owner.userId, '/v1/alerts/stream');
  }
  t.teardown(() => reopened.close());
  t.is(reopened.status, 200);
});

test('a draining server ends open transaction and alert streams at once', async (t) => {
  const app = await startTestApp();
  const transactions = await streamFor(app, owner.userId);
  const alerts = await streamFor(app, owner.userId, '/v1/alerts/stream');
  t.is(transactions.status, 200);
  t.is(alerts.status, 200);
  const started = Date.now();
  await app.close();
  const took = Date.now() - started;
  await Promise.all([transactions.ended, alerts.ended]);
  t.true(took < shutdownTimeoutMsDefault / 2, `close took ${took} ms`);
});
