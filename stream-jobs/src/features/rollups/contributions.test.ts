import test from 'ava';
import { documentOf, rawTransaction } from '../documents/test-documents.js';
import {
  cellCount,
  cellKeyAt,
  cellKeyOf,
  contributionList,
  contributionsOf,
  encodeKeyPart,
  transactionCellsOf,
  zeroAmounts,
} from './contributions.js';

const parts = [
  '',
  'user-1',
  'a|b',
  '50%',
  'café',
  'with space',
  "it's (ok)!~*",
  'x.y_z-1',
  'slash/and?query=1&b',
  '😀',
  'raw:countdown-ponsonby',
];

test('a key part is encoded exactly as encodeURIComponent does', (t) => {
  for (const part of parts) t.is(encodeKeyPart(part), encodeURIComponent(part), part);
});

test('a cell key is its parts URI-encoded and joined by |', (t) => {
  for (const part of parts) {
    const cell = {
      userId: part,
      grain: 'day',
      period: `2026-11-${part}`,
      dimension: 'tag',
      key: part,
      currency: part.slice(0, 3),
    } as const;
    t.is(
      cellKeyOf(cell),
      [cell.userId, cell.grain, cell.period, cell.dimension, cell.key, cell.currency]
        .map(encodeURIComponent)
        .join('|'),
    );
  }
});

test('a document contributes to every cell of its periods and dimensions, each keyed as cellKeyOf keys it', (t) => {
  const doc = documentOf(
    rawTransaction({
      userId: 'user|1 é',
      walletId: 'wallet/2',
      tags: ['trip 50%', 'a|b', 'trip 50%', 'café'],
    }),
  );
  doc.budgets = [{ budgetId: 'b 1', start: '2026-11-01', end: '2026-12-01', kind: 'month' }];
  const cells = contributionsOf(doc);
  const expected: Array<[string, string, string, string]> = [];
  for (const [grain, period] of [
    ['day', doc.localDate],
    ['week', doc.localWeek],
    ['month', doc.localMonth],
  ])
    for (const [dimension, keys] of [
      ['total', ['all']],
      ['category', doc.category.path],
      ['merchant', [doc.merchantKey]],
      ['wallet', ['wallet/2']],
      ['tag', ['trip 50%', 'a|b', 'café']],
    ] as const)
      for (const key of keys) expected.push([grain!, period!, dimension, key]);
  expected.push(['budget', '2026-11-01', 'budget', 'b 1']);
  t.deepEqual(
    cells.map((c) => [c.grain, c.period, c.dimension, c.key]),
    expected,
  );
  for (const cell of cells) {
    t.is(cell.cellKey, cellKeyOf(cell));
    t.is(cell.userId, 'user|1 é');
    t.is(cell.currency, doc.homeCurrency);
    t.deepEqual(cell.amounts, { ...zeroAmounts, expense: doc.homeAmountMinor, count: 1n });
    t.is(cell.periodEnd, cell.grain === 'budget' ? '2026-12-01' : undefined);
  }
  t.deepEqual(contributionsOf({ ...doc, status: 'reversed' }), []);
});

test('a refund, an income and a transfer each add to their own sum', (t) => {
  for (const [kind, field] of [
    ['refund', 'refund'],
    ['income', 'income'],
    ['transfer_in', 'transferIn'],
    ['transfer_out', 'transferOut'],
    ['fee', 'expense'],
  ] as const) {
    const doc = documentOf(rawTransaction({ kind }));
    for (const cell of contributionsOf(doc))
      t.deepEqual(cell.amounts, { ...zeroAmounts, [field]: doc.homeAmountMinor, count: 1n }, kind);
  }
});

test('a category, a tag or a budget period given twice is one cell; the cells are those of contributionsOf', (t) => {
  const doc = documentOf(rawTransaction({ tags: ['x', 'x'] }));
  const budget = { budgetId: 'b', start: '2026-11-01', end: '2026-12-01', kind: 'month' } as const;
  doc.category = { ...doc.category, path: ['food', 'food'] };
  doc.budgets = [budget, { ...budget }, { ...budget, budgetId: 'c' }];
  const cells = transactionCellsOf(doc);
  const keys = contributionList(cells).map((c) => c.cellKey);
  t.is(cellCount(cells), new Set(keys).size);
  // Per grain: the total, one category, the merchant, the wallet and one tag; then two budgets.
  t.is(cellCount(cells), 3 * 5 + 2);
  t.deepEqual(
    keys,
    contributionsOf(doc).map((c) => c.cellKey),
  );
  t.deepEqual(
    keys.map((_, i) => cellKeyAt(cells, i)),
    keys,
  );
});
