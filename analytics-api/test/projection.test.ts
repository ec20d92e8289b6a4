/**
 * The read-model projector: the contract suite run on an embedded read model built only from
 * `transaction.enriched` events, delivered with duplicates, stale versions arriving after newer
 * ones, a version that moves a transaction to another day and category, and reversals; the answers
 * must equal the independent computation over the final documents. Plus the consumer wiring on the
 * embedded event log.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { encodeEvent, topics } from '@spendstream/core/events';
import { createSql, migrateToLatest } from '@spendstream/core/sql';
import { registerAnalyticsContract } from './support/analytics-contract.js';
import { enrichedOf, noisyHistory } from './support/enriched-events.js';
import { analyticsMigrations } from '../src/migrations.js';
import { createSqlAnalyticsStore } from '../src/query/sql-store.js';
import { createSqlReadModelWriter } from '../src/features/projection/sql-read-model-writer.js';
import { docFromEnriched } from '../src/features/projection/enriched-to-doc.js';
import { startProjector } from '../src/features/projection/projector.js';
import { createMemoryPublisher } from '../src/domain/event-publisher.js';
import type { TransactionDoc } from '../src/query/analytics-store.js';

registerAnalyticsContract(test, 'embedded via the projector', async (docs) => {
  const db = createSql({}, { sqliteFilename: ':memory:' });
  await migrateToLatest(db, analyticsMigrations);
  const writer = createSqlReadModelWriter(db);
  const deliveries = noisyHistory(docs).map(({ doc, version }) =>
    docFromEnriched(enrichedOf(doc, version)),
  );
  for (let start = 0; start < deliveries.length; start += 500)
    await writer.apply(deliveries.slice(start, start + 500));
  return { store: createSqlAnalyticsStore(db), close: () => db.destroy() };
});

test('the projector consumes transactions.enriched from the event log into the read model', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-projection-'));
  const log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  await log.createTopic(topics.transactionsEnriched, { partitions: 2 });
  const db = createSql({}, { sqliteFilename: ':memory:' });
  await migrateToLatest(db, analyticsMigrations);
  const publisher = createMemoryPublisher();
  const consumer = await startProjector({
    log,
    writer: createSqlReadModelWriter(db),
    publisher,
    groupId: 'projection-test',
  });
  t.teardown(async () => {
    await consumer.close();
    await log.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const doc: TransactionDoc = {
    id: 'tx_proj_1',
    userId: 'u-proj',
    walletId: 'w1',
    kind: 'expense',
    flow: 'spend',
    status: 'booked',
    occurredAt: '2026-03-05T10:00:00.000Z',
    localDate: '2026-03-05',
    timeZone: 'Europe/Paris',
    amountMinor: 4200n,
    currency: 'EUR',
    homeAmountMinor: 4200n,
    homeCurrency: 'EUR',
    category: 'food',
    subcategory: 'coffee',
    merchant: 'Cafe Luna',
    merchantKey: 'raw:cafe-luna',
    description: 'latte',
    note: null,
    tags: ['work'],
  };
  const event = (version: number, status: 'booked' | 'reversed') => ({
    id: `evt_tx_proj_1_${version}`,
    type: 'transaction.enriched' as const,
    version: 1 as const,
    key: 'u-proj',
    occurredAt: doc.occurredAt,
    producedAt: doc.occurredAt,
    source: 'stream-jobs',
    payload: enrichedOf({ ...doc, status }, version),
  });
  await log.send(topics.transactionsEnriched, [
    {
      key: 'u-proj',
      value: Buffer.from(encodeEvent(topics.transactionsEnriched, event(1, 'booked'))),
    },
    { key: 'u-proj', value: '{"broken":' },
  ]);
  const store = createSqlAnalyticsStore(db);
  const total = async () =>
    (
      await store.aggregate({ userId: 'u-proj', from: '2026-03-01', to: '2026-04-01', groupBy: [] })
    )[0]?.homeMinor ?? 0n;
  const deadline = Date.now() + 5_000;
  while ((await total()) === 0n && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(await total(), 4200n);
  t.like(await store.findTransaction('u-proj', 'tx_proj_1'), {
    category: 'food',
    subcategory: 'coffee',
    merchant: 'Cafe Luna',
    tags: ['work'],
  });
  t.is(publisher.published[0]?.topic, topics.deadLetter);
  // A reversal (a higher version) takes it out of every sum but keeps it searchable.
  await log.send(topics.transactionsEnriched, [
    {
      key: 'u-proj',
      value: Buffer.from(encodeEvent(topics.transactionsEnriched, event(2, 'reversed'))),
    },
  ]);
  const until = Date.now() + 5_000;
  while ((await total()) !== 0n && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(await total(), 0n);
  t.like(await store.findTransaction('u-proj', 'tx_proj_1'), { status: 'reversed' });
});
