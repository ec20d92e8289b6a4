/** The one contract suite every SearchIndex adapter passes (embedded SQL, OpenSearch). */
import type { ExecutionContext, TestFn } from 'ava';
import { documentOf, rawTransaction } from '../documents/test-documents.js';
import type { SearchIndex } from './search-index.js';

export interface IndexUnderTest {
  index: SearchIndex;
  cleanup(): Promise<void>;
}

export function searchIndexContract(
  test: TestFn,
  name: string,
  open: () => Promise<IndexUnderTest>,
): void {
  const withIndex = (
    title: string,
    body: (t: ExecutionContext, index: SearchIndex) => Promise<void>,
  ) => {
    test(`${name}: ${title}`, async (t) => {
      const { index, cleanup } = await open();
      try {
        await index.init();
        await body(t, index);
      } finally {
        await cleanup();
      }
    });
  };

  const docs = [
    documentOf(
      rawTransaction({
        transactionId: 'a',
        merchant: 'COUNTDOWN PONSONBY',
        occurredAt: '2026-11-01T10:00:00Z',
        description: 'weekly shop',
      }),
    ),
    documentOf(
      rawTransaction({
        transactionId: 'b',
        merchant: 'UBER *TRIP',
        occurredAt: '2026-11-02T10:00:00Z',
        amount: { amount: 3000n, currency: 'NZD' },
      }),
    ),
    documentOf(
      rawTransaction({
        transactionId: 'c',
        merchant: 'SQ *JOES CORNER CAFE',
        occurredAt: '2026-11-03T10:00:00Z',
        walletId: 'wallet-2',
      }),
    ),
    documentOf(
      rawTransaction({
        transactionId: 'd',
        userId: 'user-2',
        merchant: 'UBER *TRIP',
        occurredAt: '2026-11-04T10:00:00Z',
      }),
    ),
  ];

  withIndex(
    'it finds a user’s documents by text, category, wallet, time and amount, newest first',
    async (t, index) => {
      await index.index(docs);
      await index.refresh();
      t.deepEqual(
        (await index.search({ userId: 'user-1' })).map((d) => d.id),
        ['c', 'b', 'a'],
      );
      t.deepEqual(
        (await index.search({ userId: 'user-1', text: 'uber' })).map((d) => d.id),
        ['b'],
      );
      t.deepEqual(
        (await index.search({ userId: 'user-1', text: 'weekly' })).map((d) => d.id),
        ['a'],
      );
      t.deepEqual(
        (await index.search({ userId: 'user-1', categoryId: 'food' })).map((d) => d.id),
        ['c', 'a'],
      );
      t.deepEqual(
        (await index.search({ userId: 'user-1', categoryId: 'groceries' })).map((d) => d.id),
        ['a'],
      );
      t.deepEqual(
        (await index.search({ userId: 'user-1', walletId: 'wallet-2' })).map((d) => d.id),
        ['c'],
      );
      t.deepEqual(
        (
          await index.search({
            userId: 'user-1',
            from: '2026-11-02T00:00:00.000Z',
            to: '2026-11-03T00:00:00.000Z',
          })
        ).map((d) => d.id),
        ['b'],
      );
      t.deepEqual(
        (await index.search({ userId: 'user-1', minHomeAmount: 2000n })).map((d) => d.id),
        ['b'],
      );
      const [found] = await index.search({ userId: 'user-1', text: 'uber' });
      t.is(found?.homeAmountMinor, 3000n);
      t.deepEqual(found?.category.path, ['transport', 'rideshare']);
    },
  );

  withIndex(
    'a replayed or older version changes nothing; a newer one replaces the document',
    async (t, index) => {
      const v2 = documentOf(
        rawTransaction({
          transactionId: 'a',
          version: 2,
          merchant: 'UBER *TRIP',
          occurredAt: '2026-11-01T10:00:00Z',
        }),
      );
      await index.index([v2]);
      await index.index([docs[0]!, docs[0]!]);
      await index.refresh();
      t.deepEqual(await index.versions(['a', 'zz']), new Map([['a', v2.version]]));
      t.is((await index.search({ userId: 'user-1' }))[0]?.merchantKey, 'uber');
      const v3 = documentOf(
        rawTransaction({
          transactionId: 'a',
          version: 3,
          status: 'reversed',
          occurredAt: '2026-11-01T10:00:00Z',
        }),
      );
      await index.index([v3]);
      await index.refresh();
      t.deepEqual(
        (await index.search({ userId: 'user-1', status: 'reversed' })).map((d) => d.rawVersion),
        [3],
      );
    },
  );
}
