import test from 'ava';
import { join } from 'node:path';
import { topics } from '@spendstream/core/events';
import { createSql } from '@spendstream/core/sql/create-sql';
import { monthlyBudget, rawTransaction } from '../documents/test-documents.js';
import { rollupDifferences } from '../documents/store-contract.js';
import { ValidationError } from '@spendstream/core/errors';
import { createMemoryLogger } from '@spendstream/core/log';
import { applyBatchSizeMax } from '../documents/store.js';
import { indexBatchSizeMax } from '../search/search-index.js';
import { createStreamJobs, embeddedBatchSizeMaxDefault } from './stream-jobs.js';
import { embeddedPipeline, storeFileName } from './test-pipeline.js';
import { stateKinds } from './user-state.js';
import { formatReport, reconcile } from '../reconcile/reconcile.js';
import {
  annotatedEvent,
  batchesOf,
  budgetsEvent,
  collect,
  correctionEvent,
  eventually,
  rawEvent,
  settingsEvent,
} from './test-harness.js';

const settings = {
  userId: 'user-1',
  revision: 1,
  timeZone: 'Pacific/Auckland',
  homeCurrency: 'NZD' as const,
  locale: 'en-NZ',
  alerts: { enabled: true },
  updatedAt: '2026-11-01T00:00:00Z',
};

test('raw transactions become documents, exact rollups, index entries, enriched events and one alert per threshold, even replayed', async (t) => {
  const { eventLog, store, index, registry, start } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [settingsEvent(settings)]);
  await eventLog.send(topics.refBudgets, [
    budgetsEvent({
      userId: 'user-1',
      revision: 1,
      budgets: [monthlyBudget('groceries', 10_000n, ['groceries'], 25)],
    }),
  ]);
  const jobs = await start();
  await eventually(async () => (await store.getState('budgets', 'user-1')) !== null);
  const raws = [
    rawTransaction({
      transactionId: 't1',
      amount: { amount: 4_000n, currency: 'NZD' },
      occurredAt: '2026-11-26T09:00:00+13:00',
    }),
    rawTransaction({
      transactionId: 't2',
      amount: { amount: 2_000n, currency: 'NZD' },
      occurredAt: '2026-11-27T09:00:00+13:00',
    }),
    // Three deliveries of the one that crosses 80%, and a poison message.
    rawTransaction({
      transactionId: 't3',
      amount: { amount: 2_500n, currency: 'NZD' },
      occurredAt: '2026-11-28T09:00:00+13:00',
    }),
  ];
  await eventLog.send(topics.transactionsRaw, [
    ...raws.map((r) => rawEvent(r)),
    rawEvent(raws[2]!, 'dup-a'),
    rawEvent(raws[2]!, 'dup-b'),
    { key: 'user-1', value: '{"not":"an event"}' },
  ]);
  const dead = await collect(eventLog, topics.deadLetter, 'test-dead');
  const alerts = await collect(eventLog, topics.alerts, 'test-alerts');
  const enriched = await collect(eventLog, topics.transactionsEnriched, 'test-enriched');
  t.true(
    await eventually(
      () => alerts.values.length >= 2 && dead.values.length >= 1 && enriched.values.length >= 3,
    ),
  );

  const docs = await store.getTransactions(['t1', 't2', 't3']);
  t.is(docs.size, 3);
  t.is(docs.get('t1')?.merchantKey, 'countdown');
  const [budget] = await store.queryRollups({
    userId: 'user-1',
    grain: 'budget',
    dimension: 'budget',
    key: 'groceries',
  });
  t.is(budget?.period, '2026-11-25');
  t.is(budget?.amounts.expense, 8_500n);
  t.is(budget?.amounts.count, 3n);
  t.deepEqual(await rollupDifferences(store), []);
  t.deepEqual(
    (await index.search({ userId: 'user-1', categoryId: 'groceries' })).map((d) => d.id),
    ['t3', 't2', 't1'],
  );
  const thresholds = alerts.values
    .map((a) => (a.payload as { threshold: { percent: number } }).threshold.percent)
    .sort();
  t.deepEqual(thresholds, [50, 80]);
  t.is((dead.values[0]!.payload as { reason: { code: string } }).reason.code, 'malformed');

  // Replay the whole topic from offset 0 through a second group: nothing changes, no new alert.
  await jobs.stop();
  const replay = await start('stream-jobs-replay');
  await eventually(async () => (await store.listAlerts({ limit: 100 })).length >= 2, 2_000);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await replay.stop();
  t.is(
    (
      await store.queryRollups({
        userId: 'user-1',
        grain: 'budget',
        dimension: 'budget',
        key: 'groceries',
      })
    )[0]?.amounts.expense,
    8_500n,
  );
  t.is(alerts.values.length, 2);
  t.is((await store.listAlerts({ limit: 100 })).length, 2);
  const metrics = await registry.metrics();
  t.regex(metrics, /stream_jobs_messages_total\{topic="transactions.raw",outcome="processed"\} 5/);
  t.regex(
    metrics,
    /stream_jobs_messages_total\{topic="transactions.raw",outcome="dead_lettered"\} 1/,
  );
  await Promise.all([dead.close(), alerts.close(), enriched.close()]);
});

test('a recategorization moves the amounts between category rollups exactly and a late transaction marks its alert late', async (t) => {
  const { eventLog, store, start } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [settingsEvent(settings)]);
  await eventLog.send(topics.refBudgets, [
    budgetsEvent({
      userId: 'user-1',
      revision: 1,
      budgets: [monthlyBudget('dining', 1_000n, ['restaurants'])],
    }),
  ]);
  const jobs = await start();
  await eventually(async () => (await store.getState('budgets', 'user-1')) !== null);
  // 30 days late: October, processed on November 25th.
  await eventLog.send(topics.transactionsRaw, [
    rawEvent(
      rawTransaction({
        transactionId: 'late',
        amount: { amount: 1_500n, currency: 'NZD' },
        occurredAt: '2026-10-20T19:00:00+13:00',
      }),
    ),
  ]);
  t.true(await eventually(async () => (await store.getTransactions(['late'])).size === 1));
  const month = async (key: string) =>
    (
      await store.queryRollups({
        userId: 'user-1',
        grain: 'month',
        dimension: 'category',
        key,
        period: '2026-10',
      })
    )[0]?.amounts.expense ?? 0n;
  t.is(await month('groceries'), 1_500n);
  await eventLog.send(topics.transactionsCorrections, [
    correctionEvent({
      correctionId: 'c1',
      transactionId: 'late',
      userId: 'user-1',
      category: 'restaurants',
      applyToMerchant: false,
      correctedAt: '2026-11-25T11:00:00Z',
    }),
  ]);
  t.true(await eventually(async () => (await month('restaurants')) === 1_500n));
  t.is(await month('groceries'), 0n);
  t.is(await month('food'), 1_500n);
  const doc = (await store.getTransactions(['late'])).get('late');
  t.is(doc?.category.source, 'correction');
  t.is(doc?.categoryRevision, 1);
  t.deepEqual(await rollupDifferences(store), []);
  const alerts = await store.listAlerts({ userId: 'user-1', limit: 10 });
  t.deepEqual(
    alerts
      .map(
        (a) => (a.payload as { late: boolean; threshold: { percent: number } }).threshold.percent,
      )
      .sort(),
    [100, 50, 80],
  );
  t.true(alerts.every((a) => (a.payload as { late: boolean }).late));
  await jobs.stop();
});

test('a recategorization for the whole merchant is learned under the stored merchant key, whatever name the event carries', async (t) => {
  const { eventLog, store, start } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [settingsEvent(settings)]);
  const jobs = await start();
  const categoryOf = async (id: string) => (await store.getTransactions([id])).get(id)?.category;
  await eventLog.send(topics.transactionsRaw, [
    rawEvent(rawTransaction({ transactionId: 'first' })),
  ]);
  t.true(await eventually(async () => (await categoryOf('first')) !== undefined));
  const merchantKey = (await store.getTransactions(['first'])).get('first')?.merchantKey;
  t.truthy(merchantKey);
  // analytics-api sends the display name it shows, not stream-jobs' key.
  await eventLog.send(topics.transactionsCorrections, [
    correctionEvent({
      correctionId: 'whole-merchant',
      transactionId: 'first',
      userId: 'user-1',
      category: 'restaurants',
      applyToMerchant: true,
      merchantKey: 'Countdown Ponsonby',
      correctedAt: '2026-11-25T11:00:00Z',
    }),
  ]);
  t.true(await eventually(async () => (await categoryOf('first'))?.id === 'restaurants'));
  t.deepEqual(
    (await store.getState(stateKinds.merchantCorrection, `user-1|${merchantKey}`))?.value,
    { category: 'restaurants' },
  );
  await eventLog.send(topics.transactionsRaw, [
    rawEvent(rawTransaction({ transactionId: 'later', occurredAt: '2026-11-22T10:00:00+13:00' })),
  ]);
  t.true(await eventually(async () => (await categoryOf('later')) !== undefined));
  const later = await categoryOf('later');
  t.is(later?.id, 'restaurants');
  t.is(later?.source, 'correction');
  await jobs.stop();
});

test("an expense far above the user's category history and a day far above the trailing days raise large and unusual alerts; too little history raises none", async (t) => {
  const { eventLog, store, start } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [
    settingsEvent(settings),
    settingsEvent({ ...settings, userId: 'user-2' }),
  ]);
  const jobs = await start();
  const spend = (id: string, userId: string, occurredAt: string, amount: bigint) =>
    rawEvent(
      rawTransaction({
        transactionId: id,
        userId,
        occurredAt,
        amount: { amount, currency: 'NZD' },
      }),
    );
  // user-1: six groceries expenses of 10.00 in August to early October (the category history of
  // November), then ten days of 10.00 in November (the trailing days of the 24th).
  const history = [
    '2026-08-05',
    '2026-08-20',
    '2026-09-05',
    '2026-09-20',
    '2026-10-02',
    '2026-10-06',
  ].map((day, i) => spend(`h${i}`, 'user-1', `${day}T10:00:00+13:00`, 1_000n));
  const trailing = Array.from({ length: 10 }, (_, i) =>
    spend(`d${i}`, 'user-1', `2026-11-${String(10 + i)}T10:00:00+13:00`, 1_000n),
  );
  // user-2: only three expenses of history and three active days.
  const thin = ['2026-09-05', '2026-11-10', '2026-11-11'].map((day, i) =>
    spend(`t${i}`, 'user-2', `${day}T10:00:00+13:00`, 1_000n),
  );
  await eventLog.send(topics.transactionsRaw, [...history, ...trailing, ...thin]);
  t.true(await eventually(async () => (await store.getTransactions(['d9', 't2'])).size === 2));
  await eventLog.send(topics.transactionsRaw, [
    spend('big-1', 'user-1', '2026-11-24T10:00:00+13:00', 10_000n),
    spend('big-2', 'user-2', '2026-11-24T10:00:00+13:00', 10_000n),
  ]);
  t.true(
    await eventually(async () => (await store.getTransactions(['big-1', 'big-2'])).size === 2),
  );
  const alertsOf = async (userId: string) =>
    (await store.listAlerts({ userId, limit: 100 })).map(
      (a) =>
        a.payload as {
          rule: string;
          transactionId?: string;
          period: { start: string };
          threshold: { kind: string };
          amounts: { baseline?: { amount: string } };
        },
    );
  const first = await alertsOf('user-1');
  const large = first.filter((a) => a.rule === 'large_transaction');
  t.deepEqual(
    large.map((a) => [a.transactionId, a.threshold.kind, a.amounts.baseline?.amount]),
    [['big-1', 'factor', '1000']],
  );
  const unusual = first.filter(
    (a) => a.rule === 'unusual_spending' && a.period.start === '2026-11-24',
  );
  t.is(unusual.length, 1);
  const second = await alertsOf('user-2');
  t.deepEqual(
    second.filter((a) => a.rule === 'large_transaction' || a.rule === 'unusual_spending'),
    [],
  );
  await jobs.stop();
});

test('reconcile is clean after the pipeline and names a corrupted rollup, a missing index entry and a lost transaction', async (t) => {
  const { eventLog, store, index, start, dir } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [settingsEvent(settings)]);
  const jobs = await start();
  await eventLog.send(
    topics.transactionsRaw,
    [1, 2, 3].map((i) =>
      rawEvent(rawTransaction({ transactionId: `r${i}`, occurredAt: `2026-11-0${i}T09:00:00Z` })),
    ),
  );
  t.true(
    await eventually(async () => (await store.getTransactions(['r1', 'r2', 'r3'])).size === 3),
  );
  await jobs.stop();
  const clean = await reconcile({ store, index, eventLog });
  t.true(clean.ok, formatReport(clean));
  t.is(clean.checks['ingested-transactions-have-documents']?.checked, 3);

  // Break each invariant behind the jobs' back.
  const sideDoor = createSql({}, { sqliteFilename: join(dir, storeFileName) });
  await sideDoor('sj_rollups')
    .where('cell_key', 'like', '%|month|2026-11|total|all|%')
    .update({ expense: 1 });
  await sideDoor.destroy();
  const indexDoor = createSql({}, { sqliteFilename: join(dir, storeFileName) });
  await indexDoor('sj_search').where({ id: 'r2' }).delete();
  await indexDoor.destroy();
  await eventLog.send(topics.transactionsRaw, [rawEvent(rawTransaction({ transactionId: 'r4' }))]);
  const broken = await reconcile({ store, index, eventLog });
  t.false(broken.ok);
  t.deepEqual(broken.checks['ingested-transactions-have-documents']?.differences, [
    'ingested r4 v1: no document',
  ]);
  t.deepEqual(broken.checks['documents-in-search-index']?.differences.length, 1);
  t.regex(
    broken.checks['rollups-equal-recomputation']?.differences[0] ?? '',
    /month\|2026-11\|total\|all.*stored expense=1 .*recomputed expense=3750/,
  );
  t.regex(formatReport(broken), /reconcile: differences found/);
});

test('an annotation sets tags and note: document, tag rollups, index and enriched event follow; redelivery is a no-op; a bank correction keeps them', async (t) => {
  const { eventLog, store, index, start } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [settingsEvent(settings)]);
  const jobs = await start();
  const enriched = await collect(eventLog, topics.transactionsEnriched, 'test-enriched');
  const original = rawTransaction({
    transactionId: 'a1',
    amount: { amount: 3_000n, currency: 'NZD' },
    tags: ['groceries-run'],
    note: 'from the bank',
  });
  await eventLog.send(topics.transactionsRaw, [rawEvent(original)]);
  t.true(await eventually(async () => (await store.getTransactions(['a1'])).size === 1));
  const tagCell = async (tag: string) =>
    (
      await store.queryRollups({
        userId: 'user-1',
        grain: 'month',
        dimension: 'tag',
        key: tag,
        period: '2026-11',
      })
    )[0]?.amounts.expense ?? 0n;
  t.is(await tagCell('groceries-run'), 3_000n);
  const doc = async () => (await store.getTransactions(['a1'])).get('a1')!;
  const before = await doc();

  const annotation = {
    correctionId: 'ann-1',
    transactionId: 'a1',
    userId: 'user-1',
    tags: ['shared', 'weekly-shop'],
    note: 'split with Sam',
    annotatedAt: '2026-11-25T10:00:00Z',
  };
  // Delivered twice: the second changes nothing.
  await eventLog.send(topics.transactionsCorrections, [
    annotatedEvent(annotation),
    annotatedEvent(annotation),
  ]);
  t.true(await eventually(async () => (await tagCell('shared')) === 3_000n));
  t.is(await tagCell('weekly-shop'), 3_000n);
  t.is(await tagCell('groceries-run'), 0n);
  const annotated = await doc();
  t.deepEqual(annotated.tags, ['shared', 'weekly-shop']);
  t.is(annotated.note, 'split with Sam');
  t.is(annotated.sourceNote, 'from the bank');
  t.is(annotated.annotationRevision, 1);
  t.is(annotated.version, before.version + 1);
  t.deepEqual(
    (await index.search({ userId: 'user-1', text: 'sam' })).map((d) => [d.id, d.version, d.tags]),
    [['a1', annotated.version, ['shared', 'weekly-shop']]],
  );
  t.true(
    await eventually(() =>
      enriched.values.some((e) => (e.payload as { note?: string }).note === 'split with Sam'),
    ),
  );
  const last = enriched.values.at(-1)!;
  t.is(last.id, `a1:v${annotated.version}`);
  t.deepEqual((last.payload as { tags: string[] }).tags, ['shared', 'weekly-shop']);

  // An older annotation of the note arrives late: ignored; a newer one that only clears the note
  // keeps the tags.
  await eventLog.send(topics.transactionsCorrections, [
    annotatedEvent({
      ...annotation,
      correctionId: 'ann-0',
      note: 'older',
      tags: undefined,
      annotatedAt: '2026-11-25T09:00:00Z',
    }),
    annotatedEvent({
      ...annotation,
      correctionId: 'ann-2',
      note: null,
      tags: undefined,
      annotatedAt: '2026-11-25T11:00:00Z',
    }),
  ]);
  t.true(await eventually(async () => (await doc()).annotationRevision === 2));
  t.is((await doc()).note, undefined);
  t.deepEqual((await doc()).tags, ['shared', 'weekly-shop']);

  // The bank corrects the amount (v2) and its tags: the user's tags and cleared note stay.
  await eventLog.send(topics.transactionsRaw, [
    rawEvent({
      ...original,
      version: 2,
      amount: { amount: 5_000n, currency: 'NZD' },
      tags: ['bank-tag'],
    }),
  ]);
  t.true(await eventually(async () => (await doc()).rawVersion === 2));
  const corrected = await doc();
  t.deepEqual(corrected.tags, ['shared', 'weekly-shop']);
  t.deepEqual(corrected.sourceTags, ['bank-tag']);
  t.is(corrected.note, undefined);
  t.is(corrected.version, 2 * 1_048_576 + 2);
  t.is(await tagCell('shared'), 5_000n);
  t.is(await tagCell('bank-tag'), 0n);

  // An annotation of a transaction not seen yet is applied when it arrives.
  await eventLog.send(topics.transactionsCorrections, [
    annotatedEvent({
      ...annotation,
      correctionId: 'ann-3',
      transactionId: 'a2',
      tags: ['early'],
      note: undefined,
    }),
  ]);
  t.true(await eventually(async () => (await store.getState('annotation', 'a2')) !== null));
  await eventLog.send(topics.transactionsRaw, [rawEvent(rawTransaction({ transactionId: 'a2' }))]);
  t.true(await eventually(async () => (await tagCell('early')) === 1_250n));
  t.deepEqual(await rollupDifferences(store), []);
  await jobs.stop();
  const report = await reconcile({ store, index, eventLog });
  t.true(report.ok, formatReport(report));
  await enriched.close();
});

test('a batch bound larger than one apply or one index call takes is refused; the embedded default fits both', async (t) => {
  const { eventLog, store, index, records } = await embeddedPipeline(t);
  const log = createMemoryLogger('stream-jobs', 'warn').log;
  const make = (batchSizeMax?: number) =>
    createStreamJobs({
      eventLog,
      store,
      index,
      log,
      ...(batchSizeMax === undefined ? {} : { batchSizeMax }),
    });
  for (const bad of [Math.min(applyBatchSizeMax, indexBatchSizeMax) + 1, 0, 1.5]) {
    const error = t.throws(() => make(bad), { instanceOf: ValidationError });
    t.deepEqual(
      error.fields.map((field) => field.path),
      ['batchSizeMax'],
    );
  }
  t.is(embeddedBatchSizeMaxDefault, Math.min(applyBatchSizeMax, indexBatchSizeMax));
  t.notThrows(() => make());
  t.notThrows(() => make(embeddedBatchSizeMaxDefault));
  t.deepEqual(records, []);
});

test("on the embedded log one poll's raw transactions of every partition are one batch, each user's in order", async (t) => {
  const { eventLog, store, registry, start } = await embeddedPipeline(t);
  const users = ['user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'user-7', 'user-8'];
  await eventLog.send(
    topics.refUserSettings,
    users.map((userId) => settingsEvent({ ...settings, userId })),
  );
  // Two versions of each user's transaction, on as many partitions as the users hash to: the
  // later version must win, which it does only if each partition's order is kept.
  await eventLog.send(
    topics.transactionsRaw,
    users.flatMap((userId) =>
      [1, 2].map((version) =>
        rawEvent(
          rawTransaction({
            transactionId: `m-${userId}`,
            userId,
            version,
            amount: { amount: BigInt(version * 1_000), currency: 'NZD' },
          }),
        ),
      ),
    ),
  );
  const jobs = await start();
  t.true(
    await eventually(
      async () => (await store.getTransactions(users.map((u) => `m-${u}`))).size === users.length,
    ),
  );
  await jobs.stop();
  const docs = await store.getTransactions(users.map((u) => `m-${u}`));
  t.deepEqual(
    [...docs.values()].map((d) => d.amountMinor),
    users.map(() => 2_000n),
  );
  const { count } = await batchesOf(registry, topics.transactionsRaw);
  t.is(count, 1, 'the 16 messages over several partitions were handled as one batch');
});

test('where the store and the index share a database, a batch whose index write fails leaves no document and lands once when it is retried', async (t) => {
  const { eventLog, store, index, start, records, dir } = await embeddedPipeline(t);
  await eventLog.send(topics.refUserSettings, [settingsEvent(settings)]);
  const jobs = await start();
  t.true(await eventually(async () => (await store.getState('settings', 'user-1')) !== null));
  // The index's table gone: its write fails after the store's apply, in the same transaction.
  const sideDoor = createSql({}, { sqliteFilename: join(dir, storeFileName) });
  t.teardown(() => sideDoor.destroy());
  await sideDoor.schema.dropTable('sj_search');
  await eventLog.send(topics.transactionsRaw, [
    rawEvent(rawTransaction({ transactionId: 'x1', amount: { amount: 4_000n, currency: 'NZD' } })),
  ]);
  t.true(await eventually(() => records.some((r) => r.msg === 'sink failed; retrying')));
  t.is((await store.getTransactions(['x1'])).size, 0, 'the apply was rolled back with the index');
  await index.init();
  t.true(await eventually(async () => (await store.getTransactions(['x1'])).size === 1));
  await jobs.stop();
  t.deepEqual([...(await index.versions(['x1'])).keys()], ['x1']);
  const month = await store.queryRollups({
    userId: 'user-1',
    grain: 'month',
    dimension: 'total',
  });
  t.deepEqual(
    month.map((r) => [r.amounts.expense, r.amounts.count]),
    [[4_000n, 1n]],
    'counted once',
  );
});
