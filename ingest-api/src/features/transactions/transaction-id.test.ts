import { createHash } from 'node:crypto';
import test from 'ava';
import type { RawTransactionV1 } from '@spendstream/core/events';
import { contentHash } from './to-raw.js';
import { transactionIdFor } from './transaction-id.js';

// Transaction ids and content hashes are stored (dedupe rows, events downstream): a change of how
// they are computed must not change a single character. The vectors were computed by the
// createHash().update() implementation these replaced (one-shot `hash` since 2026-11-26).

test('transaction ids stay what they were', (t) => {
  t.is(
    transactionIdFor('acme-bank', 'FIT-2026-11-24-000123'),
    'tx_389bd9c0935ac770294bf74d8e7da11d',
  );
  t.is(transactionIdFor('user:usr_ä', 'é-1'), 'tx_208ee1ba35e05dc25110cd56260c9da9');
  for (let i = 0; i < 200; i++) {
    const source = `src-${i % 7}`;
    const externalId = `ext-${i}-${'x'.repeat(i % 50)}`;
    const reference = createHash('sha256')
      .update(source)
      .update('\u0000')
      .update(externalId)
      .digest('hex');
    t.is(transactionIdFor(source, externalId), `tx_${reference.slice(0, 32)}`);
  }
});

test('content hashes stay what they were', (t) => {
  const raw = {
    transactionId: 'x',
    source: 's',
    externalId: 'e',
    userId: 'usr_1',
    walletId: 'wal_1',
    kind: 'expense',
    amount: { amount: 420n, currency: 'EUR' },
    occurredAt: '2026-11-24T08:15:00+01:00',
    merchant: 'SQ *BLUE BOTTLE',
    tags: ['a'],
    metadata: { z: 1, a: 'b' },
    channel: 'api',
    version: 1,
    status: 'booked',
  } satisfies RawTransactionV1;
  t.is(contentHash(raw), 'vfTL-s9ASRcIzj-f7dKdqFtjU8RlNJBi');
  // Any field the source controls changes it; the version does not.
  t.not(contentHash({ ...raw, amount: { amount: 421n, currency: 'EUR' } }), contentHash(raw));
  t.not(contentHash({ ...raw, metadata: { z: 1, a: 'c' } }), contentHash(raw));
  t.is(contentHash({ ...raw, version: 2 }), contentHash(raw));
});
