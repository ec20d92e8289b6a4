/**
 * The one contract suite every DocumentStore adapter passes (embedded SQL on SQLite and MySQL,
 * MongoDB on FerretDB). Each test builds its own store (fresh database or table prefix).
 */
import type { ExecutionContext, TestFn } from 'ava';
import type { RawTransactionV1 } from '@spendstream/core/events/transactions';
import { compareRollups, recomputeRollups } from '../rollups/recompute.js';
import {
  applyItemOf,
  monthlyBudget,
  rawTransaction,
  sampleMerchants,
  shuffled,
  userContext,
} from './test-documents.js';
import { ValidationError } from '@spendstream/core/errors';
import { seededRandom } from '@spendstream/core/testing/random';
import { rollupKeysMax, type ApplyItem, type DocumentStore, type RollupRow } from './store.js';
import type { TransactionDocument } from './transaction-document.js';

export interface StoreUnderTest {
  store: DocumentStore;
  cleanup(): Promise<void>;
}

async function allRollups(store: DocumentStore): Promise<RollupRow[]> {
  const rows: RollupRow[] = [];
  let afterKey: string | undefined;
  for (;;) {
    const page = await store.scanRollups({ afterKey, limit: 500 });
    rows.push(...page);
    if (page.length < 500) return rows;
    afterKey = page[page.length - 1]!.cellKey;
  }
}

async function allDocuments(store: DocumentStore): Promise<TransactionDocument[]> {
  const docs: TransactionDocument[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await store.scanTransactions({ afterId, limit: 500 });
    docs.push(...page);
    if (page.length < 500) return docs;
    afterId = page[page.length - 1]!.id;
  }
}

/** Stored rollups minus a recomputation from the stored documents: empty when exact. */
export async function rollupDifferences(store: DocumentStore): Promise<string[]> {
  const docs = await allDocuments(store);
  return compareRollups(await allRollups(store), recomputeRollups(docs)).map((d) => d.cellKey);
}

function cell(
  rows: RollupRow[],
  grain: string,
  dimension: string,
  key: string,
): RollupRow | undefined {
  return rows.find((r) => r.grain === grain && r.dimension === dimension && r.key === key);
}

/** A history of versions: corrections of amount, a category change, reversals, for `count` transactions. */
function history(
  count: number,
  random: () => number,
): { items: ApplyItem[]; finals: Map<string, RawTransactionV1> } {
  const items: ApplyItem[] = [];
  const finals = new Map<string, RawTransactionV1>();
  const merchants = sampleMerchants.slice(0, 5);
  const kinds: RawTransactionV1['kind'][] = [
    'expense',
    'expense',
    'expense',
    'refund',
    'income',
    'transfer_out',
  ];
  for (let i = 0; i < count; i += 1) {
    const versions = 1 + Math.floor(random() * 3);
    const day = 1 + Math.floor(random() * 28);
    for (let version = 1; version <= versions; version += 1) {
      const raw = rawTransaction({
        transactionId: `tx-${i}`,
        userId: `user-${i % 3}`,
        walletId: `wallet-${i % 2}`,
        kind: kinds[Math.floor(random() * kinds.length)]!,
        amount: {
          amount: BigInt(100 + Math.floor(random() * 100_000)),
          currency: random() < 0.2 ? 'USD' : 'NZD',
        },
        occurredAt: `2026-10-${String(day).padStart(2, '0')}T${String(Math.floor(random() * 24)).padStart(2, '0')}:30:00Z`,
        merchant: merchants[Math.floor(random() * merchants.length)]!,
        tags: random() < 0.3 ? ['trip'] : [],
        version,
        status: version > 1 && random() < 0.25 ? 'reversed' : 'booked',
      });
      const user = userContext({ budgets: [monthlyBudget('b-food', 50_000n, ['food'], 25)] });
      items.push(applyItemOf(raw, user));
      finals.set(raw.transactionId, raw);
    }
  }
  return { items, finals };
}

/** Registers the contract tests for one adapter. */
export interface ContractOptions {
  /** Transactions in the seeded history test: fewer for slow servers (FerretDB on a shared box). */
  historySize?: number;
}

export function documentStoreContract(
  test: TestFn,
  name: string,
  open: () => Promise<StoreUnderTest>,
  options: ContractOptions = {},
): void {
  const withStore = (
    title: string,
    body: (t: ExecutionContext, store: DocumentStore) => Promise<void>,
  ) => {
    test(`${name}: ${title}`, async (t) => {
      const { store, cleanup } = await open();
      try {
        await store.init();
        await body(t, store);
      } finally {
        await cleanup();
      }
    });
  };

  withStore('it stores a document and adds it to every cell it falls in', async (t, store) => {
    const item = applyItemOf(
      rawTransaction({ tags: ['weekly'] }),
      userContext({ budgets: [monthlyBudget('b1', 10_000n, ['food'])] }),
    );
    t.deepEqual(await store.apply([item]), ['applied']);
    const docs = await store.getTransactions(['tx-1']);
    t.is(docs.get('tx-1')?.homeAmountMinor, 1250n);
    t.deepEqual(docs.get('tx-1')?.category.path, ['food', 'groceries']);
    const rows = await store.queryRollups({ userId: 'user-1' });
    t.is(rows.length, item.contributions.length);
    t.is(cell(rows, 'month', 'category', 'food')?.amounts.expense, 1250n);
    t.is(cell(rows, 'day', 'tag', 'weekly')?.amounts.count, 1n);
    t.is(cell(rows, 'budget', 'budget', 'b1')?.periodEnd, '2026-12-01');
    const monthly = await store.queryRollups({
      userId: 'user-1',
      grain: 'month',
      dimension: 'category',
    });
    t.deepEqual(monthly.map((r) => r.key).sort(), ['food', 'groceries']);
  });

  withStore(
    'applying the same version three times, together or apart, counts it once',
    async (t, store) => {
      const item = applyItemOf(rawTransaction());
      t.deepEqual(await store.apply([item, item]), ['applied', 'stale']);
      t.deepEqual(await store.apply([item]), ['stale']);
      const total = (
        await store.queryRollups({ userId: 'user-1', grain: 'month', dimension: 'total' })
      )[0];
      t.is(total?.amounts.expense, 1250n);
      t.is(total?.amounts.count, 1n);
    },
  );

  withStore(
    'a correction replaces the old amounts and a recategorization moves them between cells',
    async (t, store) => {
      await store.apply([applyItemOf(rawTransaction())]);
      await store.apply([
        applyItemOf(rawTransaction({ version: 2, amount: { amount: 2000n, currency: 'NZD' } })),
      ]);
      const moved = userContext({
        categoryRevision: 1,
        categorization: { ...userContext().categorization, transactionOverride: 'restaurants' },
      });
      t.deepEqual(
        await store.apply([
          applyItemOf(
            rawTransaction({ version: 2, amount: { amount: 2000n, currency: 'NZD' } }),
            moved,
          ),
        ]),
        ['applied'],
      );
      const rows = await store.queryRollups({
        userId: 'user-1',
        grain: 'month',
        dimension: 'category',
      });
      t.is(cell(rows, 'month', 'category', 'groceries')?.amounts.expense ?? 0n, 0n);
      t.is(cell(rows, 'month', 'category', 'restaurants')?.amounts.expense, 2000n);
      t.is(cell(rows, 'month', 'category', 'food')?.amounts.expense, 2000n);
      t.is(cell(rows, 'month', 'category', 'food')?.amounts.count, 1n);
      t.deepEqual(await rollupDifferences(store), []);
    },
  );

  withStore(
    'a reversal takes the transaction out of every cell; a late older version changes nothing',
    async (t, store) => {
      await store.apply([applyItemOf(rawTransaction({ version: 3, status: 'reversed' }))]);
      t.deepEqual(await store.apply([applyItemOf(rawTransaction({ version: 1 }))]), ['stale']);
      await store.apply([applyItemOf(rawTransaction({ transactionId: 'tx-2' }))]);
      await store.apply([
        applyItemOf(rawTransaction({ transactionId: 'tx-2', version: 2, status: 'reversed' })),
      ]);
      const rows = await store.queryRollups({ userId: 'user-1' });
      t.true(rows.every((r) => r.amounts.expense === 0n && r.amounts.count === 0n));
      t.is((await store.getTransactions(['tx-1'])).get('tx-1')?.status, 'reversed');
      t.deepEqual(await rollupDifferences(store), []);
    },
  );

  withStore(
    'rollups equal a recomputation under duplicates, shuffled order and corrections (seeded)',
    async (t, store) => {
      const random = seededRandom(20261125);
      const { items, finals } = history(options.historySize ?? 60, random);
      // Every item three times, in a shuffled order, in batches of random size.
      const deliveries = shuffled([...items, ...items, ...items], random);
      for (let i = 0; i < deliveries.length;) {
        const size = 1 + Math.floor(random() * 40);
        await store.apply(deliveries.slice(i, i + size));
        i += size;
      }
      const docs = await store.getTransactions([...finals.keys()]);
      for (const [id, raw] of finals)
        t.is(docs.get(id)?.rawVersion, raw.version, `latest version of ${id}`);
      t.deepEqual(await rollupDifferences(store), []);
      // And a replay of everything in order changes nothing.
      const before = await allRollups(store);
      for (let i = 0; i < items.length; i += 100) await store.apply(items.slice(i, i + 100));
      t.deepEqual(
        (await allRollups(store)).map((r) => [r.cellKey, r.amounts]),
        before.map((r) => [r.cellKey, r.amounts]),
      );
    },
  );

  withStore(
    'scans in pages of any size (a page may end inside a period) return every cell once, in key order',
    async (t, store) => {
      await store.apply([
        applyItemOf(rawTransaction()),
        applyItemOf(rawTransaction({ transactionId: 'tx-2', userId: 'user-2' })),
        applyItemOf(
          rawTransaction({ transactionId: 'tx-3', occurredAt: '2026-10-02T09:00:00+13:00' }),
        ),
      ]);
      const all = await store.scanRollups({ limit: 5_000 });
      t.true(all.length > 40);
      t.deepEqual(
        all.map((r) => r.cellKey),
        all.map((r) => r.cellKey).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      for (const size of [1, 3, 7]) {
        const paged: RollupRow[] = [];
        let afterKey: string | undefined;
        for (;;) {
          const page = await store.scanRollups({ afterKey, limit: size });
          t.true(page.length <= size);
          paged.push(...page);
          if (page.length < size) break;
          afterKey = page[page.length - 1]!.cellKey;
        }
        t.deepEqual(
          paged.map((r) => [r.cellKey, r.amounts]),
          all.map((r) => [r.cellKey, r.amounts]),
          `pages of ${size}`,
        );
      }
      t.is((await store.queryRollups({ userId: 'user-1', limit: 4 })).length, 4);
    },
  );

  withStore(
    'tags, merchants and wallets with dots, dollars, bars and percent signs are cells like any other',
    async (t, store) => {
      const tags = ['a.b', '$set', 'x|y', '%2E', 'v1.0.$'];
      const item = applyItemOf(rawTransaction({ tags, walletId: 'w.1' }));
      await store.apply([item]);
      const rows = await store.queryRollups({ userId: 'user-1', grain: 'day', dimension: 'tag' });
      t.deepEqual(rows.map((r) => r.key).sort(), [...tags].sort());
      for (const row of rows) t.is(row.amounts.expense, 1250n);
      const wallet = await store.queryRollups({
        userId: 'user-1',
        grain: 'month',
        dimension: 'wallet',
      });
      t.deepEqual(
        wallet.map((r) => r.key),
        ['w.1'],
      );
      t.is(
        (await store.getRollups(item.contributions.map((c) => c.cellKey))).size,
        item.contributions.length,
      );
      t.deepEqual(await rollupDifferences(store), []);
    },
  );

  withStore(
    'cells are read by key, a key given twice once; a key with no cell is left out; too many keys are refused',
    async (t, store) => {
      const item = applyItemOf(rawTransaction());
      await store.apply([item]);
      const keys = item.contributions.map((c) => c.cellKey);
      const absent = 'user-1|day|1999-01-01|total|all|NZD';
      const rows = await store.getRollups([...keys, keys[0]!, absent]);
      t.is(rows.size, keys.length);
      t.false(rows.has(absent));
      for (const c of item.contributions) {
        t.deepEqual(rows.get(c.cellKey)?.amounts, c.amounts);
        t.is(rows.get(c.cellKey)?.dimension, c.dimension);
      }
      t.deepEqual((await store.getRollups([])).size, 0);
      await t.throwsAsync(
        store.getRollups(Array.from({ length: rollupKeysMax + 1 }, (_, i) => `k${i}`)),
        { instanceOf: ValidationError },
      );
    },
  );

  /** An alert record of user-1 with the id `id`. */
  const alertOf = (id: string) => ({
    alertId: id,
    identity: `large_transaction:tx:${id}`,
    userId: 'user-1',
    payload: { alertId: id },
    createdAt: '2026-11-25T10:00:00.000Z',
    publishedAt: null,
  });

  withStore('an alert is recorded once; publishing marks it', async (t, store) => {
    const alert = {
      alertId: 'al-1',
      identity: 'budget_threshold:budget:b1:2026-11-01:p80',
      userId: 'user-1',
      payload: { alertId: 'al-1', amounts: { observed: { amount: '8000', currency: 'NZD' } } },
      createdAt: '2026-11-25T10:00:00.000Z',
      publishedAt: null,
    };
    t.true(await store.insertAlert(alert));
    t.false(await store.insertAlert({ ...alert, createdAt: '2026-11-25T11:00:00.000Z' }));
    t.is((await store.listAlerts({ unpublishedOnly: true, limit: 10 })).length, 1);
    await store.markAlertsPublished(['al-1'], '2026-11-25T10:00:01.000Z');
    t.is((await store.listAlerts({ unpublishedOnly: true, limit: 10 })).length, 0);
    const [stored] = await store.listAlerts({ userId: 'user-1', limit: 10 });
    t.is(stored?.publishedAt, '2026-11-25T10:00:01.000Z');
    t.deepEqual(stored?.payload, alert.payload);
  });

  withStore(
    'alerts recorded in bulk: each id once, repeats and known ids are not new; each keeps its first published mark',
    async (t, store) => {
      t.deepEqual(await store.insertAlerts([]), { fresh: [], batch: null });
      t.true(await store.insertAlert(alertOf('b-0')));
      t.deepEqual(
        (await store.insertAlerts([alertOf('b-1'), alertOf('b-0'), alertOf('b-2'), alertOf('b-1')]))
          .fresh,
        [true, false, true, false],
      );
      t.deepEqual((await store.insertAlerts([alertOf('b-2'), alertOf('b-3')])).fresh, [
        false,
        true,
      ]);
      t.deepEqual(
        (await store.listAlerts({ limit: 10 })).map((a) => a.alertId),
        ['b-0', 'b-1', 'b-2', 'b-3'],
      );
      // Published as recorded (a whole bulk, then a part of one), each keeps its first mark.
      await store.markAlertsPublished(['b-1', 'b-2'], '2026-11-25T10:00:01.000Z');
      await store.markAlertsPublished(['b-3'], '2026-11-25T10:00:02.000Z');
      await store.markAlertsPublished(['b-1', 'b-3'], '2026-11-25T10:00:03.000Z');
      t.deepEqual(
        (await store.listAlerts({ limit: 10 })).map((a) => [a.alertId, a.publishedAt]),
        [
          ['b-0', null],
          ['b-1', '2026-11-25T10:00:01.000Z'],
          ['b-2', '2026-11-25T10:00:01.000Z'],
          ['b-3', '2026-11-25T10:00:02.000Z'],
        ],
      );
      t.deepEqual(
        (await store.listAlerts({ unpublishedOnly: true, limit: 10 })).map((a) => a.alertId),
        ['b-0'],
      );
    },
  );

  withStore(
    "a recording's batch is marked published without reading its alerts; one the sweep marked keeps its mark",
    async (t, store) => {
      const first = await store.insertAlerts([alertOf('c-1'), alertOf('c-2'), alertOf('c-1')]);
      t.deepEqual(first.fresh, [true, true, false]);
      t.deepEqual(first.batch?.alertIds, ['c-1', 'c-2']);
      const second = await store.insertAlerts([alertOf('c-3'), alertOf('c-4'), alertOf('c-2')]);
      t.deepEqual(second.batch?.alertIds, ['c-3', 'c-4']);
      // Nothing new: no batch to mark.
      t.deepEqual(await store.insertAlerts([alertOf('c-1')]), { fresh: [false], batch: null });
      await store.markAlertBatchPublished(first.batch!, '2026-11-25T10:00:01.000Z');
      // The sweep published a part of the second batch before the pipeline marked it.
      await store.markAlertsPublished(['c-4'], '2026-11-25T10:00:02.000Z');
      await store.markAlertBatchPublished(second.batch!, '2026-11-25T10:00:03.000Z');
      // Marked again: nothing changes.
      await store.markAlertBatchPublished(first.batch!, '2026-11-25T10:00:04.000Z');
      t.deepEqual(
        (await store.listAlerts({ limit: 10 })).map((a) => [a.alertId, a.publishedAt]),
        [
          ['c-1', '2026-11-25T10:00:01.000Z'],
          ['c-2', '2026-11-25T10:00:01.000Z'],
          ['c-3', '2026-11-25T10:00:03.000Z'],
          ['c-4', '2026-11-25T10:00:02.000Z'],
        ],
      );
      t.deepEqual(await store.listAlerts({ unpublishedOnly: true, limit: 10 }), []);
    },
  );

  withStore(
    'reference states stored together: per key only the greatest order, and only over a smaller stored one',
    async (t, store) => {
      const entry = (key: string, order: string, timeZone: string) => ({
        kind: 'settings',
        key,
        userId: key,
        order,
        value: { timeZone },
      });
      t.true(await store.putState(entry('u1', '0000000005', 'UTC')));
      t.true(await store.putState(entry('u2', '0000000005', 'UTC')));
      t.deepEqual(
        await store.putStates([
          entry('u1', '0000000004', 'Asia/Tokyo'),
          entry('u2', '0000000006', 'Asia/Tokyo'),
          entry('u3', '0000000002', 'Europe/Paris'),
          entry('u3', '0000000003', 'Europe/Berlin'),
          entry('u3', '0000000003', 'Europe/Rome'),
          entry('u4', '0000000001', 'Pacific/Auckland'),
        ]),
        [false, true, false, true, false, true],
      );
      const stored = await store.getStates('settings', ['u1', 'u2', 'u3', 'u4']);
      t.deepEqual(
        ['u1', 'u2', 'u3', 'u4'].map(
          (key) => (stored.get(key)?.value as { timeZone: string }).timeZone,
        ),
        ['UTC', 'Asia/Tokyo', 'Europe/Berlin', 'Pacific/Auckland'],
      );
      t.deepEqual(await store.putStates([entry('u4', '0000000001', 'UTC')]), [false]);
      t.deepEqual(await store.putStates([]), []);
    },
  );

  withStore('reference state is replaced only by a greater order', async (t, store) => {
    const entry = {
      kind: 'settings',
      key: 'user-1',
      userId: 'user-1',
      order: '0000000002',
      value: { timeZone: 'UTC' },
    };
    t.true(await store.putState(entry));
    t.false(
      await store.putState({
        ...entry,
        order: '0000000001',
        value: { timeZone: 'Pacific/Auckland' },
      }),
    );
    t.false(await store.putState({ ...entry, value: { timeZone: 'Asia/Tokyo' } }));
    t.true(
      await store.putState({
        ...entry,
        order: '0000000003',
        value: { timeZone: 'America/Los_Angeles' },
      }),
    );
    t.deepEqual((await store.getState('settings', 'user-1'))?.value, {
      timeZone: 'America/Los_Angeles',
    });
    await store.putState({
      kind: 'settings',
      key: 'user-2',
      userId: 'user-2',
      order: '1',
      value: {},
    });
    t.is((await store.listStates('settings', 'user-1')).length, 1);
    for (const [userId, merchant] of [
      ['user-1', 'a'],
      ['user-1', 'b'],
      ['user-2', 'c'],
      ['user-3', 'd'],
    ] as const)
      await store.putState({
        kind: 'merchant-correction',
        key: `${userId}|${merchant}`,
        userId,
        order: '1',
        value: { category: 'presents' },
      });
    t.deepEqual(
      (await store.listStatesOfUsers('merchant-correction', ['user-1', 'user-2', 'user-9'])).map(
        (e) => e.key,
      ),
      ['user-1|a', 'user-1|b', 'user-2|c'],
    );
    t.deepEqual(await store.listStatesOfUsers('merchant-correction', []), []);
    t.is(await store.getState('settings', 'nobody'), null);
    const many = await store.getStates('settings', ['user-1', 'user-2', 'nobody']);
    t.deepEqual([...many.keys()].sort(), ['user-1', 'user-2']);
    t.deepEqual(many.get('user-1')?.value, { timeZone: 'America/Los_Angeles' });
  });
}
