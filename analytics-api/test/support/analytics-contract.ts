/**
 * ONE contract suite for the query port: every backend (the embedded SQL twin, MongoDB + the
 * search index) loads the same generated data set and must give, through the analytics services,
 * the answers an independent computation gives. Both backends passing it is what "the same
 * answers from either backend" means.
 */
import type { TestFn } from 'ava';
import {
  facetBucketsMax,
  facetFields,
  searchWords,
  type AnalyticsStore,
  type FacetField,
  type SearchQuery,
  type TransactionDoc,
} from '../../src/query/analytics-store.js';
import { getBreakdown } from '../../src/features/breakdowns/breakdown-service.js';
import { getTimeSeries } from '../../src/features/time-series/time-series-service.js';
import { getCashFlow } from '../../src/features/cash-flow/cash-flow-service.js';
import { comparePeriods } from '../../src/features/comparisons/comparison-service.js';
import { resolvePeriod } from '../../src/domain/periods.js';
import { edgeDocs, generateDocs, testUsers } from './factories.js';
import { generatedDocs } from './generated-docs.js';
import { counted, intlLocalDate, sumBy, sumHome } from './oracle.js';

export interface ContractBackend {
  store: AnalyticsStore;
  close(): Promise<void>;
}

/** Users of ingest-api's generator in the contract data set. */
export const generatedUserIds: string[] = [];

/**
 * The contract data set: ingest-api's generator (three users, 200 days from 2025-12-01, with its
 * duplicates, corrections and reversals resolved), the factory's users in far zones, and the edge
 * documents.
 */
export function contractDocs(): TransactionDoc[] {
  const generated = generatedDocs({
    seed: 'analytics-contract',
    users: 3,
    days: 200,
    start: '2025-12-01',
  });
  generatedUserIds.splice(
    0,
    generatedUserIds.length,
    ...generated.dataset.users.map((user) => user.userId),
  );
  return [...generated.docs, ...generateDocs(20261125, 300), ...edgeDocs()];
}

function compareText(a: string | null, b: string | null): number {
  const left = a ?? '';
  const right = b ?? '';
  return left < right ? -1 : left > right ? 1 : 0;
}

function sortedSums(sums: Map<string | null, { amountMinor: bigint; count: number }>) {
  return [...sums.entries()]
    .map(([key, value]) => ({ key, ...value }))
    .sort((a, b) =>
      a.amountMinor !== b.amountMinor
        ? a.amountMinor > b.amountMinor
          ? -1
          : 1
        : compareText(a.key, b.key),
    );
}

/** The Monday of an ISO week, by UTC date arithmetic. */
function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const weekday = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - weekday);
  return day.toISOString().slice(0, 10);
}

function oracleSearch(docs: TransactionDoc[], query: SearchQuery): TransactionDoc[] {
  const words = searchWords(query.text ?? '');
  const matches = docs.filter((doc) => {
    if (doc.userId !== query.userId) return false;
    const day = intlLocalDate(doc.occurredAt, doc.timeZone);
    if (query.from !== undefined && day < query.from) return false;
    if (query.to !== undefined && day >= query.to) return false;
    if (query.minAmountMinor !== undefined && doc.homeAmountMinor < query.minAmountMinor)
      return false;
    if (query.maxAmountMinor !== undefined && doc.homeAmountMinor > query.maxAmountMinor)
      return false;
    if (
      query.categories &&
      !query.categories.includes(doc.category) &&
      !query.categories.includes(doc.subcategory ?? '')
    ) {
      return false;
    }
    if (query.walletIds && !query.walletIds.includes(doc.walletId)) return false;
    if (query.tags && !doc.tags.some((tag) => query.tags!.includes(tag))) return false;
    if (query.currencies && !query.currencies.includes(doc.currency)) return false;
    if (query.statuses && !query.statuses.includes(doc.status)) return false;
    if (query.flows && !query.flows.includes(doc.flow)) return false;
    if (query.merchant !== undefined && doc.merchant !== query.merchant) return false;
    if (query.merchantKey !== undefined && doc.merchantKey !== query.merchantKey) return false;
    const text = new Set(searchWords(`${doc.merchant ?? ''} ${doc.description} ${doc.note ?? ''}`));
    return words.every((word) => text.has(word));
  });
  const direction = query.sort.endsWith('desc') ? -1 : 1;
  return matches.sort((a, b) => {
    const primary = query.sort.startsWith('date')
      ? Date.parse(a.occurredAt) - Date.parse(b.occurredAt)
      : Number(a.homeAmountMinor - b.homeAmountMinor);
    return direction * (primary !== 0 ? Math.sign(primary) : compareText(a.id, b.id));
  });
}

function oracleFacets(matches: TransactionDoc[]) {
  const valuesOf: Record<FacetField, (doc: TransactionDoc) => string[]> = {
    category: (doc) => [doc.category],
    wallet: (doc) => [doc.walletId],
    tag: (doc) => doc.tags,
    currency: (doc) => [doc.currency],
    status: (doc) => [doc.status],
    kind: (doc) => [doc.kind],
    flow: (doc) => [doc.flow],
  };
  return Object.fromEntries(
    facetFields.map((field) => {
      const counts = new Map<string, number>();
      for (const doc of matches) {
        for (const value of valuesOf[field](doc)) counts.set(value, (counts.get(value) ?? 0) + 1);
      }
      const buckets = [...counts.entries()]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || compareText(a.value, b.value))
        .slice(0, facetBucketsMax);
      return [field, buckets];
    }),
  );
}

async function walkAllPages(store: AnalyticsStore, query: SearchQuery) {
  const ids: string[] = [];
  let cursor = query.cursor;
  let pages = 0;
  let first;
  for (;;) {
    const page = await store.search({ ...query, cursor });
    first ??= page;
    ids.push(...page.items.map((doc) => doc.id));
    pages += 1;
    if (!page.next || pages > 1000) break;
    cursor = page.next;
  }
  return { ids, first: first!, pages };
}

/** Register the contract tests for one backend. */
export function registerAnalyticsContract(
  test: TestFn,
  backendName: string,
  open: (docs: TransactionDoc[]) => Promise<ContractBackend>,
): void {
  const docs = contractDocs();
  let backend: ContractBackend | undefined;
  const store = (): AnalyticsStore => {
    if (!backend) throw new Error('backend not opened');
    return backend.store;
  };

  test.before(async () => {
    backend = await open(docs);
  });
  test.after.always(async () => {
    await backend?.close();
  });

  test(`${backendName}: a monthly category breakdown with subcategories equals the independent sums`, async (t) => {
    for (const user of testUsers) {
      for (const anchor of ['2026-03-10', '2025-07-01', '2026-02-14']) {
        const range = resolvePeriod({ kind: 'month', anchor });
        const result = await getBreakdown(store(), {
          userId: user.userId,
          range,
          by: 'category',
          flow: 'spend',
          byCurrency: false,
          limit: 100,
        });
        const matches = counted(docs, user.userId, range.from, range.to, ['spend']);
        t.is(result.totalMinor, sumHome(matches), `${user.userId} ${anchor} total`);
        const expected = sortedSums(sumBy(matches, (doc) => [doc.category]));
        t.deepEqual(
          result.items.map(({ key, amountMinor, count }) => ({ key, amountMinor, count })),
          expected,
          `${user.userId} ${anchor} categories`,
        );
        for (const item of result.items) {
          const inCategory = matches.filter((doc) => doc.category === item.key);
          t.deepEqual(
            item.subcategories?.map(({ key, amountMinor, count }) => ({ key, amountMinor, count })),
            sortedSums(sumBy(inCategory, (doc) => [doc.subcategory])),
          );
        }
      }
    }
  });

  test(`${backendName}: the generator's users get exact monthly breakdowns, series and searches`, async (t) => {
    t.is(generatedUserIds.length, 3);
    for (const userId of generatedUserIds) {
      const range = resolvePeriod({ kind: 'month', anchor: '2026-02-10' });
      const matches = counted(docs, userId, range.from, range.to, ['spend']);
      t.true(matches.length > 10, 'the generator produced spending in February');
      const byCategory = await getBreakdown(store(), {
        userId,
        range,
        by: 'category',
        flow: 'spend',
        byCurrency: true,
        limit: 100,
      });
      t.deepEqual(
        byCategory.items.map(({ key, amountMinor, count }) => ({ key, amountMinor, count })),
        sortedSums(sumBy(matches, (doc) => [doc.category])),
      );
      const year = { from: '2025-12-01', to: '2026-07-01' };
      const series = await getTimeSeries(store(), {
        userId,
        range: year,
        bucket: 'month',
        monthStartDay: 1,
      });
      const income = sumBy(counted(docs, userId, year.from, year.to, ['income']), (doc) => [
        `${intlLocalDate(doc.occurredAt, doc.timeZone).slice(0, 7)}-01`,
      ]);
      for (const point of series.points)
        t.is(point.incomeMinor, income.get(point.start)?.amountMinor ?? 0n);
      const merchant = matches.find((doc) => doc.merchant !== null)?.merchant ?? 'none';
      const query: SearchQuery = {
        userId,
        text: merchant,
        sort: 'amount_desc',
        limit: 10,
        withFacets: true,
      };
      const walked = await walkAllPages(store(), query);
      t.deepEqual(
        walked.ids,
        oracleSearch(docs, query).map((doc) => doc.id),
      );
    }
  });

  test(`${backendName}: merchant, wallet and tag breakdowns with per-currency amounts equal the independent sums`, async (t) => {
    const range = resolvePeriod({ kind: 'year', anchor: '2025-05-05' });
    for (const user of testUsers) {
      const matches = counted(docs, user.userId, range.from, range.to, ['spend']);
      const keyFns = {
        merchant: (doc: TransactionDoc) => [doc.merchant],
        wallet: (doc: TransactionDoc) => [doc.walletId],
        tag: (doc: TransactionDoc) => doc.tags,
      } as const;
      for (const by of ['merchant', 'wallet', 'tag'] as const) {
        const result = await getBreakdown(store(), {
          userId: user.userId,
          range,
          by,
          flow: 'spend',
          byCurrency: true,
          limit: 100,
        });
        t.deepEqual(
          result.items.map(({ key, amountMinor, count }) => ({ key, amountMinor, count })),
          sortedSums(sumBy(matches, keyFns[by])),
          `${user.userId} by ${by}`,
        );
        for (const item of result.items) {
          const withKey = matches.filter((doc) => keyFns[by](doc).includes(item.key));
          const originals = new Map<string, bigint>();
          for (const doc of withKey)
            originals.set(doc.currency, (originals.get(doc.currency) ?? 0n) + doc.amountMinor);
          t.deepEqual(
            item.currencies?.map(({ currency, amountMinor }) => [currency, amountMinor]),
            [...originals.entries()].sort((a, b) => compareText(a[0], b[0])),
          );
          if (by === 'merchant') {
            const keys = withKey.map((doc) => doc.merchantKey).filter((key) => key !== null);
            t.deepEqual(item.merchantKeys, [...new Set(keys)].sort(compareText), `${item.key}`);
          } else t.is(item.merchantKeys, undefined);
        }
      }
    }
  });

  test(`${backendName}: sums by merchant key (a budget's scope.merchantKeys) count that key's transactions, not a display name`, async (t) => {
    const range = resolvePeriod({ kind: 'year', anchor: '2025-05-05' });
    for (const user of testUsers) {
      const spend = counted(docs, user.userId, range.from, range.to, ['spend']);
      const sample = spend.find((doc) => doc.merchantKey !== null)!;
      const other = spend.find(
        (doc) => doc.merchantKey !== null && doc.merchantKey !== sample.merchantKey,
      )!;
      const keys = [sample.merchantKey!, other.merchantKey!];
      const total = async (merchantKeys: string[]) =>
        (
          await store().aggregate({
            userId: user.userId,
            from: range.from,
            to: range.to,
            flows: ['spend'],
            merchantKeys,
            groupBy: [],
          })
        )[0]?.homeMinor ?? 0n;
      t.is(await total(keys), sumHome(spend.filter((doc) => keys.includes(doc.merchantKey ?? ''))));
      t.not(sample.merchant, sample.merchantKey);
      t.is(await total([sample.merchant!]), 0n, 'a display name is not a key');
      const grouped = await store().aggregate({
        userId: user.userId,
        from: range.from,
        to: range.to,
        flows: ['spend'],
        groupBy: ['merchantKey'],
      });
      t.deepEqual(
        sortedSums(
          new Map(
            grouped.map((row) => [
              row.key.merchantKey ?? null,
              { amountMinor: row.homeMinor, count: row.count },
            ]),
          ),
        ),
        sortedSums(sumBy(spend, (doc) => [doc.merchantKey])),
      );
      const query: SearchQuery = {
        userId: user.userId,
        merchantKey: sample.merchantKey!,
        sort: 'date_asc',
        limit: 7,
        withFacets: false,
      };
      const walked = await walkAllPages(store(), query);
      t.deepEqual(
        walked.ids,
        oracleSearch(docs, query).map((doc) => doc.id),
      );
      t.true(walked.ids.length > 0);
    }
  });

  test(`${backendName}: the top merchants are the largest merchants and the rest is summed apart`, async (t) => {
    const range = resolvePeriod({ kind: 'year', anchor: '2026-01-01' });
    const user = testUsers[3]!;
    const result = await getBreakdown(store(), {
      userId: user.userId,
      range,
      by: 'merchant',
      flow: 'spend',
      byCurrency: false,
      limit: 3,
    });
    const expected = sortedSums(
      sumBy(counted(docs, user.userId, range.from, range.to, ['spend']), (doc) => [doc.merchant]),
    );
    t.deepEqual(
      result.items.map((item) => item.key),
      expected.slice(0, 3).map((entry) => entry.key),
    );
    t.is(
      result.otherMinor,
      expected.slice(3).reduce((sum, entry) => sum + entry.amountMinor, 0n),
    );
  });

  test(`${backendName}: 12-month time series by day, week and month equal the independent buckets`, async (t) => {
    const range = { from: '2025-06-01', to: '2026-06-01' };
    for (const user of testUsers) {
      const spend = counted(docs, user.userId, range.from, range.to, ['spend']);
      const income = counted(docs, user.userId, range.from, range.to, ['income']);
      const bucketers = {
        day: (date: string) => date,
        week: mondayOf,
        month: (date: string) => `${date.slice(0, 7)}-01`,
      } as const;
      for (const bucket of ['day', 'week', 'month'] as const) {
        const series = await getTimeSeries(store(), {
          userId: user.userId,
          range,
          bucket,
          monthStartDay: 1,
        });
        const spendBy = sumBy(spend, (doc) => [
          bucketers[bucket](intlLocalDate(doc.occurredAt, doc.timeZone)),
        ]);
        const incomeBy = sumBy(income, (doc) => [
          bucketers[bucket](intlLocalDate(doc.occurredAt, doc.timeZone)),
        ]);
        for (const point of series.points) {
          t.is(
            point.spendMinor,
            spendBy.get(point.start)?.amountMinor ?? 0n,
            `${user.userId} ${bucket} ${point.start}`,
          );
          t.is(point.incomeMinor, incomeBy.get(point.start)?.amountMinor ?? 0n);
          t.is(point.netMinor, point.incomeMinor - point.spendMinor);
        }
        const expectedBuckets = bucket === 'day' ? 365 : bucket === 'month' ? 12 : 53;
        t.is(series.points.length, expectedBuckets, `${bucket} bucket count`);
        t.is(
          series.points.reduce((sum, point) => sum + point.spendMinor, 0n),
          sumHome(spend),
        );
      }
    }
  });

  test(`${backendName}: cash flow and the period comparison equal the independent sums`, async (t) => {
    for (const user of testUsers) {
      const range = resolvePeriod({
        kind: 'custom',
        from: '2025-10-05',
        toInclusive: '2026-01-19',
      });
      const flow = await getCashFlow(store(), { userId: user.userId, range, today: '2026-06-01' });
      const income = sumHome(counted(docs, user.userId, range.from, range.to, ['income']));
      const spend = sumHome(counted(docs, user.userId, range.from, range.to, ['spend']));
      t.is(flow.incomeMinor, income);
      t.is(flow.spendMinor, spend);
      t.is(flow.netMinor, income - spend);
      t.is(
        flow.internalTransfersMinor,
        sumHome(counted(docs, user.userId, range.from, range.to, ['neutral'])),
      );
      t.is(flow.pace.daysTotal, 107);

      const comparison = await comparePeriods(store(), {
        userId: user.userId,
        period: { kind: 'month', anchor: '2026-03-31' },
        flow: 'spend',
      });
      t.is(
        comparison.current.totalMinor,
        sumHome(counted(docs, user.userId, '2026-03-01', '2026-04-01', ['spend'])),
      );
      t.is(
        comparison.previous.totalMinor,
        sumHome(counted(docs, user.userId, '2026-02-01', '2026-03-01', ['spend'])),
      );
      t.is(
        comparison.lastYear.totalMinor,
        sumHome(counted(docs, user.userId, '2025-03-01', '2025-04-01', ['spend'])),
      );
      t.is(
        comparison.previous.changeMinor,
        comparison.current.totalMinor - comparison.previous.totalMinor,
      );
    }
  });

  test(`${backendName}: a boundary day in Kiritimati (+14) and Pago Pago (-11) lands in the local month`, async (t) => {
    const [kiritimati, , pagoPago] = testUsers as [
      (typeof testUsers)[0],
      unknown,
      (typeof testUsers)[0],
    ];
    const february = resolvePeriod({ kind: 'month', anchor: '2026-02-01' });
    for (const user of [kiritimati, pagoPago]) {
      const result = await getBreakdown(store(), {
        userId: user.userId,
        range: february,
        by: 'wallet',
        flow: 'spend',
        byCurrency: false,
        limit: 100,
      });
      t.is(
        result.totalMinor,
        sumHome(counted(docs, user.userId, february.from, february.to, ['spend'])),
      );
    }
    const firstOfFebruary = await getTimeSeries(store(), {
      userId: kiritimati.userId,
      range: resolvePeriod({ kind: 'day', anchor: '2026-02-01' }),
      bucket: 'day',
      monthStartDay: 1,
    });
    const feb1 = counted(docs, kiritimati.userId, '2026-02-01', '2026-02-02', ['spend']);
    t.true(
      feb1.some((doc) => doc.id === 'edge-k-feb'),
      'the 00:30 local transaction is on 1 February',
    );
    t.false(feb1.some((doc) => doc.id === 'edge-k-jan'));
    t.is(firstOfFebruary.points[0]?.spendMinor, sumHome(feb1));
    const pagoFeb28 = await getTimeSeries(store(), {
      userId: pagoPago.userId,
      range: resolvePeriod({ kind: 'day', anchor: '2026-02-28' }),
      bucket: 'day',
      monthStartDay: 1,
    });
    const feb28 = counted(docs, pagoPago.userId, '2026-02-28', '2026-03-01', ['spend']);
    t.true(feb28.some((doc) => doc.id === 'edge-p-feb'));
    t.is(pagoFeb28.points[0]?.spendMinor, sumHome(feb28));
  });

  test(`${backendName}: days around the New York DST change hold their local transactions`, async (t) => {
    const newYork = testUsers[1]!;
    const march = resolvePeriod({ kind: 'month', anchor: '2026-03-15' });
    const series = await getTimeSeries(store(), {
      userId: newYork.userId,
      range: march,
      bucket: 'day',
      monthStartDay: 1,
    });
    t.is(series.points.length, 31);
    const day8 = counted(docs, newYork.userId, '2026-03-08', '2026-03-09', ['spend']);
    const day9 = counted(docs, newYork.userId, '2026-03-09', '2026-03-10', ['spend']);
    t.deepEqual(
      day8
        .filter((doc) => doc.id.startsWith('edge'))
        .map((doc) => doc.id)
        .sort(),
      ['edge-n-before', 'edge-n-late'],
    );
    t.deepEqual(
      day9.filter((doc) => doc.id.startsWith('edge')).map((doc) => doc.id),
      ['edge-n-after'],
    );
    t.is(series.points.find((point) => point.start === '2026-03-08')?.spendMinor, sumHome(day8));
    t.is(series.points.find((point) => point.start === '2026-03-09')?.spendMinor, sumHome(day9));
    const week = await getTimeSeries(store(), {
      userId: newYork.userId,
      range: resolvePeriod({ kind: 'week', anchor: '2026-03-08' }),
      bucket: 'week',
      monthStartDay: 1,
    });
    t.is(week.points[0]?.start, '2026-03-02');
    t.is(
      week.points[0]?.spendMinor,
      sumHome(counted(docs, newYork.userId, '2026-03-02', '2026-03-09', ['spend'])),
    );
  });

  test(`${backendName}: a custom month starting on the 25th sums the 25th to the 24th`, async (t) => {
    const range = resolvePeriod({ kind: 'month', anchor: '2026-03-10', monthStartDay: 25 });
    t.deepEqual(range, { from: '2026-02-25', to: '2026-03-25' });
    for (const user of testUsers) {
      const result = await getBreakdown(store(), {
        userId: user.userId,
        range,
        by: 'category',
        flow: 'spend',
        byCurrency: false,
        limit: 100,
      });
      t.is(result.totalMinor, sumHome(counted(docs, user.userId, range.from, range.to, ['spend'])));
      const series = await getTimeSeries(store(), {
        userId: user.userId,
        range: { from: '2025-12-25', to: '2026-03-25' },
        bucket: 'month',
        monthStartDay: 25,
      });
      t.deepEqual(
        series.points.map((point) => point.start),
        ['2025-12-25', '2026-01-25', '2026-02-25'],
      );
      t.is(series.points[2]?.spendMinor, result.totalMinor);
    }
  });

  test(`${backendName}: a period with no data answers zeros and empty lists`, async (t) => {
    const range = resolvePeriod({ kind: 'month', anchor: '2020-01-15' });
    const user = testUsers[0]!;
    const breakdown = await getBreakdown(store(), {
      userId: user.userId,
      range,
      by: 'category',
      flow: 'spend',
      byCurrency: true,
      limit: 10,
    });
    t.deepEqual(
      { total: breakdown.totalMinor, count: breakdown.count, items: breakdown.items },
      { total: 0n, count: 0, items: [] },
    );
    const series = await getTimeSeries(store(), {
      userId: user.userId,
      range,
      bucket: 'day',
      monthStartDay: 1,
    });
    t.is(series.points.length, 31);
    t.true(series.points.every((point) => point.spendMinor === 0n && point.count === 0));
    const flow = await getCashFlow(store(), { userId: user.userId, range, today: '2020-01-10' });
    t.deepEqual(
      [flow.incomeMinor, flow.spendMinor, flow.savingsRatePercent, flow.pace.projectedMinor],
      [0n, 0n, null, 0n],
    );
    const page = await store().search({
      userId: user.userId,
      from: range.from,
      to: range.to,
      sort: 'date_desc',
      limit: 10,
      withFacets: true,
    });
    t.deepEqual([page.items, page.total, page.next, page.facets.category], [[], 0, null, []]);
  });

  const searches: Array<[string, Omit<SearchQuery, 'userId'>]> = [
    [
      'full text with a date range, newest first',
      {
        text: 'Cafe LUNA',
        from: '2025-03-01',
        to: '2026-10-01',
        sort: 'date_desc',
        limit: 7,
        withFacets: true,
      },
    ],
    [
      'category, amount range and tags, cheapest first',
      {
        categories: ['food'],
        minAmountMinor: 2000n,
        maxAmountMinor: 15000n,
        tags: ['work', 'family'],
        sort: 'amount_asc',
        limit: 5,
        withFacets: true,
      },
    ],
    [
      'subcategory, currency and status, largest first',
      {
        categories: ['coffee', 'housing'],
        currencies: ['EUR', 'GBP', 'USD'],
        statuses: ['booked'],
        sort: 'amount_desc',
        limit: 11,
        withFacets: true,
      },
    ],
    [
      'a word of the note, oldest first',
      { text: 'birthday', sort: 'date_asc', limit: 4, withFacets: false },
    ],
    ['income flow only', { flows: ['income'], sort: 'date_asc', limit: 9, withFacets: true }],
  ];
  for (const [name, search] of searches) {
    test(`${backendName}: search (${name}) pages through exactly the matching documents with their facets`, async (t) => {
      for (const user of testUsers) {
        const query: SearchQuery = { ...search, userId: user.userId };
        const expected = oracleSearch(docs, query);
        const walked = await walkAllPages(store(), query);
        t.deepEqual(
          walked.ids,
          expected.map((doc) => doc.id),
          `${user.userId} ids`,
        );
        t.is(walked.first.total, expected.length);
        t.true(walked.first.items.length <= query.limit);
        if (query.withFacets) t.deepEqual(walked.first.facets, oracleFacets(expected));
      }
    });
  }

  test(`${backendName}: full text matches whole words only and returns whole documents`, async (t) => {
    const user = testUsers[3]!;
    const partial = await store().search({
      userId: user.userId,
      text: 'caf',
      sort: 'date_desc',
      limit: 5,
      withFacets: false,
    });
    t.is(partial.total, 0);
    const page = await store().search({
      userId: user.userId,
      text: 'golden wok',
      sort: 'date_desc',
      limit: 1,
      withFacets: false,
    });
    const expected = oracleSearch(docs, {
      userId: user.userId,
      text: 'golden wok',
      sort: 'date_desc',
      limit: 1,
      withFacets: false,
    })[0];
    t.deepEqual(page.items[0], expected);
  });

  test(`${backendName}: another user's transactions are invisible to search and lookup`, async (t) => {
    const [owner, other] = testUsers as [(typeof testUsers)[0], (typeof testUsers)[0]];
    const ownId = docs.find((doc) => doc.userId === owner.userId)!.id;
    t.truthy(await store().findTransaction(owner.userId, ownId));
    t.is(await store().findTransaction(other.userId, ownId), null);
    const page = await store().search({
      userId: other.userId,
      ids: [ownId],
      sort: 'date_desc',
      limit: 5,
      withFacets: false,
    });
    t.is(page.total, 0);
    const series = await store().aggregate({
      userId: 'u-nobody',
      from: '2025-01-01',
      to: '2027-01-01',
      groupBy: [],
    });
    t.deepEqual(series, []);
  });
}
