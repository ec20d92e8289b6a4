/**
 * The analytics and export routes end to end on the embedded store: answers in the wire form
 * (money as decimal strings of minor units), equal to an independent computation; the CSV export
 * holds exactly the filtered search.
 */
import test from 'ava';
import { generateDocs, testUsers } from './support/factories.js';
import { counted, sumHome } from './support/oracle.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { csvField } from '../src/features/export/routes.js';

const paris = testUsers[3]!;
const docs = generateDocs(11, 250);
let app: TestApp;

test.before(async () => {
  app = await startTestApp({ docs, now: '2026-03-20T09:00:00Z' });
});
test.after.always(async () => {
  await app?.close();
});

test('the monthly breakdown route answers the independent sums as money strings, defaulting to this month', async (t) => {
  const response = await app.as(paris.userId, '/v1/analytics/breakdown?by=category');
  t.is(response.status, 200);
  const body = (await response.json()) as {
    period: { from: string; to: string; timeZone: string };
    total: { amount: string; currency: string };
    items: Array<{ key: string; amount: { amount: string } }>;
  };
  t.deepEqual(body.period, { from: '2026-03-01', to: '2026-04-01', timeZone: 'Europe/Paris' });
  const matches = counted(docs, paris.userId, '2026-03-01', '2026-04-01', ['spend']);
  t.deepEqual(body.total, { amount: sumHome(matches).toString(), currency: 'EUR' });
  for (const item of body.items) {
    t.is(
      item.amount.amount,
      sumHome(matches.filter((doc) => doc.category === item.key)).toString(),
    );
  }
});

test('cash flow projects this month from the days elapsed in the user zone', async (t) => {
  const body = (await (await app.as(paris.userId, '/v1/analytics/cash-flow')).json()) as Record<
    string,
    { amount: string } | number
  >;
  const spend = sumHome(counted(docs, paris.userId, '2026-03-01', '2026-04-01', ['spend']));
  t.like(body, { daysTotal: 31, daysElapsed: 20, spend: { amount: spend.toString() } });
  // 31/20 of the spend so far, rounded half up.
  const projected = (spend * 31n * 2n + 20n) / 40n;
  t.like(body, { projectedSpend: { amount: projected.toString() } });
});

test('the time series and comparison routes answer every bucket and the three periods', async (t) => {
  const series = (await (
    await app.as(paris.userId, '/v1/analytics/time-series?period=year&date=2025-05-05&bucket=month')
  ).json()) as { points: Array<{ start: string; spend: { amount: string } }> };
  t.is(series.points.length, 12);
  t.is(
    series.points[4]!.spend.amount,
    sumHome(counted(docs, paris.userId, '2025-05-01', '2025-06-01', ['spend'])).toString(),
  );
  const comparison = (await (
    await app.as(paris.userId, '/v1/analytics/comparison?period=month&date=2026-02-10')
  ).json()) as Record<string, { total: { amount: string } }>;
  t.is(
    comparison.previous!.total.amount,
    sumHome(counted(docs, paris.userId, '2026-01-01', '2026-02-01', ['spend'])).toString(),
  );
  t.is(
    comparison.lastYear!.total.amount,
    sumHome(counted(docs, paris.userId, '2025-02-01', '2025-03-01', ['spend'])).toString(),
  );
});

test('search pages with the returned cursor and the export streams exactly the same rows as CSV', async (t) => {
  const filter = 'category=food&from=2025-01-01&to=2025-12-31&sort=amount_desc';
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor ? `&cursor=${cursor}` : '';
    const page = (await (
      await app.as(paris.userId, `/v1/transactions?${filter}&limit=7${suffix}`)
    ).json()) as {
      items: Array<{ id: string; homeAmount: { amount: string } }>;
      nextCursor: string | null;
      total: number;
    };
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor);
  const expected = docs
    .filter(
      (doc) =>
        doc.userId === paris.userId &&
        doc.category === 'food' &&
        doc.localDate >= '2025-01-01' &&
        doc.localDate <= '2025-12-31',
    )
    .sort((a, b) =>
      a.homeAmountMinor === b.homeAmountMinor
        ? a.id < b.id
          ? 1
          : -1
        : a.homeAmountMinor > b.homeAmountMinor
          ? -1
          : 1,
    );
  t.deepEqual(
    ids,
    expected.map((doc) => doc.id),
  );

  const response = await app.as(paris.userId, `/v1/transactions/export?${filter}`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = (await response.text()).split('\r\n').filter(Boolean);
  t.is(
    lines[0],
    'id,occurredAt,localDate,walletId,kind,status,amount,currency,homeAmount,homeCurrency,category,subcategory,merchant,description,note,tags',
  );
  t.deepEqual(
    lines.slice(1).map((line) => line.split(',')[0]),
    expected.map((doc) => doc.id),
  );
  const first = expected[0]!;
  const amount = `${first.amountMinor / 100n}.${String(first.amountMinor % 100n).padStart(2, '0')}`;
  t.is(lines[1]!.split(',')[6], amount);
});

test('a CSV cell is quoted when needed and never starts a formula', (t) => {
  t.is(csvField('plain'), 'plain');
  t.is(csvField('a,b'), '"a,b"');
  t.is(csvField('say "hi"'), '"say ""hi"""');
  t.is(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.is(csvField('-12'), "'-12");
});
