import test from 'ava';
import { decodeSumRows, encodeRow, encodeSumRows, sumRows, yearsOf } from './mongo-rollups.js';
import type { BucketRow } from './row-aggregate.js';

const row = (overrides: Partial<BucketRow>): BucketRow => ({
  localDate: '2026-03-14',
  walletId: 'w1',
  flow: 'spend',
  category: 'food',
  subcategory: 'groceries',
  merchant: 'Lidl',
  merchantKey: 'lidl',
  currency: 'EUR',
  tags: [],
  homeMinor: 1234n,
  originalMinor: 1234n,
  count: 1,
  ...overrides,
});

const rows: BucketRow[] = [
  row({
    localDate: '2026-12-31',
    tags: ['trip', 'work'],
    merchant: null,
    merchantKey: null,
    subcategory: null,
  }),
  row({ localDate: '2026-01-01', flow: 'income', category: 'income', subcategory: 'salary' }),
  row({
    localDate: '2026-06-30',
    homeMinor: 2n ** 70n,
    originalMinor: -(2n ** 60n),
    currency: 'USD',
    tags: ['trip'],
    count: 3,
  }),
  row({
    localDate: '2026-07-01',
    walletId: 'w2',
    merchant: 'a "quoted" | name',
    merchantKey: 'raw:a-quoted-name',
  }),
];

const byDate = (list: BucketRow[]) =>
  [...list].sort((a, b) => (a.localDate < b.localDate ? -1 : 1));

test('the compact sums encoding gives back every row exactly, amounts beyond 2^53 included', (t) => {
  t.deepEqual(decodeSumRows(encodeSumRows(rows), '2026'), byDate(rows));
});

test('decoding keeps only the rows of the half-open range of local dates asked', (t) => {
  const text = encodeSumRows(rows);
  const dates = (from: string, to: string) =>
    decodeSumRows(text, '2026', from, to).map((decoded) => decoded.localDate);
  t.deepEqual(dates('2026-06-30', '2026-07-01'), ['2026-06-30']);
  t.deepEqual(dates('2026-07-01', '2026-12-31'), ['2026-07-01'], 'the end is exclusive');
  t.deepEqual(dates('2025-07-01', '2026-01-02'), ['2026-01-01'], 'a range starting last year');
  t.deepEqual(dates('2026-12-01', '2027-06-01'), ['2026-12-31'], 'a range ending next year');
  t.deepEqual(dates('2027-01-01', '2027-02-01'), [], 'another year');
  t.deepEqual(dates('2025-01-01', '2026-01-01'), [], 'a range ending where the year starts');
});

test('the compact encoding is much smaller than one array of strings per row', (t) => {
  const many = Array.from({ length: 250 }, (_, index) =>
    row({
      localDate: `2026-${String((index % 12) + 1).padStart(2, '0')}-${String((index % 28) + 1).padStart(2, '0')}`,
      walletId: `wallet_${index % 3}`,
      merchant: `merchant ${index % 40}`,
      homeMinor: BigInt(index * 137),
      originalMinor: BigInt(index * 137),
    }),
  );
  // The previous layout: one array of strings per row (what the ledger still keeps per row).
  const plain = JSON.stringify(many.map(encodeRow));
  t.true(encodeSumRows(many).length * 2 < plain.length, `${encodeSumRows(many).length}`);
});

test('a sums document in another layout is refused, not misread', (t) => {
  t.throws(() => decodeSumRows(JSON.stringify([['2026-01-01', 'w1']]), '2026'), {
    message: /strings, tag sets and rows/,
  });
});

test('rows equal in every dimension are summed into one, ids and versions dropped', (t) => {
  const summed = sumRows([
    { ...row({ homeMinor: 100n, originalMinor: 90n }), id: 'a', v: 1 },
    { ...row({ homeMinor: 5n, originalMinor: 4n }), id: 'b', v: 7 },
    { ...row({ tags: ['x'] }), id: 'c', v: 1 },
  ]);
  t.deepEqual(summed, [
    row({ homeMinor: 105n, originalMinor: 94n, count: 2 }),
    row({ tags: ['x'] }),
  ]);
});

test('rows of one name under two merchant keys stay apart, and a key is not summed with none', (t) => {
  const summed = sumRows([
    row({ merchantKey: 'countdown' }),
    row({ merchantKey: 'raw:countdown' }),
    row({ merchantKey: null }),
    row({ merchantKey: 'countdown' }),
  ]);
  t.deepEqual(
    summed.map((entry) => [entry.merchantKey, entry.count]),
    [
      ['countdown', 2],
      ['raw:countdown', 1],
      [null, 1],
    ],
  );
});

test('a sums document written before merchant keys were kept reads its rows with no key', (t) => {
  const current = JSON.parse(encodeSumRows(rows)) as { k?: number[] };
  t.is(current.k?.length, rows.length, 'one key per row');
  const { k: _keys, ...before } = current;
  t.deepEqual(
    decodeSumRows(JSON.stringify(before), '2026'),
    byDate(rows).map((entry) => ({ ...entry, merchantKey: null })),
  );
  t.throws(() => decodeSumRows(JSON.stringify({ ...current, k: [0] }), '2026'), {
    message: /one merchant key per row/,
  });
});

test('yearsOf lists the local years a half-open range touches', (t) => {
  t.deepEqual(yearsOf('2025-07-01', '2026-07-01'), ['2025', '2026']);
  t.deepEqual(yearsOf('2026-05-01', '2026-06-01'), ['2026']);
  t.deepEqual(yearsOf('2025-12-01', '2026-01-01'), ['2025']);
});
