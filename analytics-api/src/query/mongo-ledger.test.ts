import test from 'ava';
import { decodeLedger, encodeLedger, type Ledger } from './mongo-ledger.js';

const ledger: Ledger = {
  rows: [
    {
      id: 'tx_b',
      v: 3 * 1_048_576 + 2,
      localDate: '2026-11-02',
      walletId: 'w1',
      flow: 'spend',
      category: 'food',
      subcategory: null,
      merchant: null,
      merchantKey: null,
      currency: 'EUR',
      tags: ['trip'],
      homeMinor: 2n ** 64n,
      originalMinor: 7n,
      count: 1,
    },
    {
      id: 'tx_a',
      v: 0,
      localDate: '2026-02-01',
      walletId: 'w2',
      flow: 'income',
      category: 'income',
      subcategory: 'salary',
      merchant: 'ACME',
      merchantKey: 'raw:acme',
      currency: 'USD',
      tags: [],
      homeMinor: 100n,
      originalMinor: 110n,
      count: 1,
    },
  ],
  gone: [{ id: 'tx_c', v: 5 }],
};

test('a ledger comes back with every row, id, version and gone entry (rows in date order)', (t) => {
  t.deepEqual(decodeLedger(encodeLedger('2026', ledger)), {
    rows: [ledger.rows[1], ledger.rows[0]],
    gone: ledger.gone,
  });
});

test('a ledger row must name its transaction and be one transaction', (t) => {
  const { id: _id, ...anonymous } = ledger.rows[0]!;
  t.throws(() => encodeLedger('2026', { rows: [anonymous], gone: [] }), {
    message: /names its transaction/,
  });
  t.throws(() => encodeLedger('2026', { rows: [{ ...ledger.rows[0]!, count: 2 }], gone: [] }), {
    message: /one transaction/,
  });
});

test('a ledger in the first layout is refused, not misread', (t) => {
  t.throws(() => decodeLedger(JSON.stringify({ r: [], g: [] })), {
    message: /its year, rows and gone entries/,
  });
});
