/**
 * Shared wallets in the read scope: a member (viewer or editor) reads the owner's transactions and
 * analytics of the wallets shared with them, and nothing else of the owner; a non-member and a
 * removed member see nothing; editors may recategorize and tag a shared wallet's transaction
 * (published under the owner), viewers may not. Membership arrives as `wallets.snapshot` on
 * `ref.wallets` (the consumer is tested on the embedded log), and the search scope is also checked
 * on the real OpenSearch + FerretDB backend.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { encodeEvent, topics } from '@spendstream/core/events';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import {
  createMemoryWalletAccessStore,
  startWalletAccessConsumer,
  type SharedWallet,
} from '../src/domain/wallet-access.js';
import { createMemoryUserSettingsStore } from '../src/domain/user-settings.js';
import { createRemoteAnalyticsStore } from '../src/query/remote-store.js';
import { dropReadModel } from '../src/query/mongo-spread.js';
import { createSharedScopeStore } from '../src/query/shared-scope-store.js';
import {
  ensureSearchIndex,
  loadMongoDocuments,
  loadSearchDocuments,
} from '../src/query/remote-loader.js';
import { openSearchTransport } from '../src/query/search-index.js';
import { makeDoc, type TestUser } from './support/factories.js';
import { openSse } from './support/sse-client.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const owner: TestUser = {
  userId: 'u-owner',
  timeZone: 'Europe/Paris',
  homeCurrency: 'EUR',
  walletIds: ['w-shared', 'w-private'],
};
const member: TestUser = {
  userId: 'u-member',
  timeZone: 'Europe/Paris',
  homeCurrency: 'EUR',
  walletIds: ['w-member'],
};
const outsider: TestUser = {
  userId: 'u-outsider',
  timeZone: 'Europe/Paris',
  homeCurrency: 'EUR',
  walletIds: ['w-outsider'],
};
const dollarOwner: TestUser = {
  userId: 'u-dollars',
  timeZone: 'America/New_York',
  homeCurrency: 'USD',
  walletIds: ['w-dollars'],
};

const docs = [
  makeDoc(owner, {
    id: 'tx-shared-1',
    walletId: 'w-shared',
    occurredAt: '2026-05-10T12:00:00+02:00',
    amountMinor: 1500n,
    category: 'food',
    subcategory: 'groceries',
    merchant: 'Market Hall',
    description: 'weekly shop',
  }),
  makeDoc(owner, {
    id: 'tx-shared-2',
    walletId: 'w-shared',
    occurredAt: '2026-05-12T12:00:00+02:00',
    amountMinor: 2500n,
    merchant: 'Book Nook',
  }),
  makeDoc(owner, {
    id: 'tx-private',
    walletId: 'w-private',
    occurredAt: '2026-05-11T12:00:00+02:00',
    amountMinor: 9000n,
    merchant: 'Secret Shop',
    description: 'weekly shop',
  }),
  makeDoc(member, {
    id: 'tx-member',
    walletId: 'w-member',
    occurredAt: '2026-05-11T12:00:00+02:00',
    amountMinor: 400n,
    merchant: 'Corner Cafe',
  }),
  makeDoc(outsider, {
    id: 'tx-outsider',
    walletId: 'w-outsider',
    occurredAt: '2026-05-11T12:00:00+02:00',
    amountMinor: 77n,
  }),
  makeDoc(dollarOwner, {
    id: 'tx-dollars',
    walletId: 'w-dollars',
    occurredAt: '2026-05-11T12:00:00-04:00',
    amountMinor: 3000n,
  }),
];

const viewer = (walletId = 'w-shared', ownerId = owner.userId): SharedWallet => ({
  walletId,
  ownerId,
  role: 'viewer',
});

interface Page {
  items: Array<{ id: string }>;
  total: number;
  facets?: { wallet?: Array<{ value: string; count: number }> };
}

let app: TestApp;
const walletAccess = createMemoryWalletAccessStore();

test.before(async () => {
  app = await startTestApp({ docs, now: '2026-05-20T12:00:00Z', walletAccess });
  for (const user of [owner, member, outsider, dollarOwner])
    await app.settings.put(user.userId, { ...user, revision: 1 });
  await walletAccess.put(member.userId, 1, [viewer()]);
});
test.after.always(async () => {
  await app?.close();
});

async function body<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

const mayTotal = async (userId: string, extra = '') =>
  (
    await body<{ total: { amount: string } }>(
      await app.as(userId, `/v1/analytics/breakdown?period=month&date=2026-05-15${extra}`),
    )
  ).total.amount;

const searchIds = async (userId: string, query = '') =>
  (await body<Page>(await app.as(userId, `/v1/transactions?sort=date_asc${query}`))).items
    .map((item) => item.id)
    .sort();

test.serial(
  'a viewer reads the shared wallet of the owner in analytics, search, lookup and export, and nothing else of the owner',
  async (t) => {
    t.is(
      await mayTotal(member.userId),
      '4400',
      'own 400 + shared 1500 + 2500, not the private 9000',
    );
    t.is(await mayTotal(member.userId, '&walletId=w-shared'), '4000');
    t.is(await mayTotal(member.userId, '&walletId=w-private'), '0');
    const merchants = await body<{ items: Array<{ key: string }> }>(
      await app.as(
        member.userId,
        '/v1/analytics/breakdown?period=month&date=2026-05-15&by=merchant',
      ),
    );
    t.deepEqual(merchants.items.map((item) => item.key).sort(), [
      'Book Nook',
      'Corner Cafe',
      'Market Hall',
    ]);
    t.deepEqual(await searchIds(member.userId), ['tx-member', 'tx-shared-1', 'tx-shared-2']);
    t.deepEqual(await searchIds(member.userId, '&q=weekly'), ['tx-shared-1']);
    t.deepEqual(await searchIds(member.userId, '&walletId=w-private'), []);
    const faceted = await body<Page>(await app.as(member.userId, '/v1/transactions?facets=true'));
    t.deepEqual(
      faceted.facets?.wallet?.map((bucket) => [bucket.value, bucket.count]),
      [
        ['w-shared', 2],
        ['w-member', 1],
      ],
    );
    t.is((await app.as(member.userId, '/v1/transactions/tx-shared-1')).status, 200);
    t.is((await app.as(member.userId, '/v1/transactions/tx-private')).status, 404);
    const csv = await (
      await app.as(member.userId, '/v1/transactions/export?from=2026-05-01&to=2026-05-31')
    ).text();
    t.regex(csv, /tx-shared-1/);
    t.notRegex(csv, /tx-private|Secret Shop/);
    // The owner's own view is unchanged.
    t.is(await mayTotal(owner.userId), '13000');
  },
);

test.serial('a non-member sees nothing of the owner', async (t) => {
  t.is(await mayTotal(outsider.userId), '77');
  t.deepEqual(await searchIds(outsider.userId), ['tx-outsider']);
  t.deepEqual(await searchIds(outsider.userId, '&walletId=w-shared'), []);
  for (const id of ['tx-shared-1', 'tx-private', 'tx-member'])
    t.is((await app.as(outsider.userId, `/v1/transactions/${id}`)).status, 404, id);
  const write = await app.as(outsider.userId, '/v1/transactions/tx-shared-1/recategorize', {
    method: 'POST',
    body: JSON.stringify({ category: 'coffee' }),
  });
  t.is(write.status, 404);
});

test.serial(
  'a viewer may not recategorize or tag; an editor may, under the owner, but not a whole merchant',
  async (t) => {
    const recategorize = (scope: 'transaction' | 'merchant', id = 'tx-shared-1') =>
      app.as(member.userId, `/v1/transactions/${id}/recategorize`, {
        method: 'POST',
        body: JSON.stringify({ category: 'coffee', scope }),
      });
    const annotate = (id = 'tx-shared-1') =>
      app.as(member.userId, `/v1/transactions/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ tags: ['family'] }),
      });
    const published = app.publisher.published.length;
    const denied = await recategorize('transaction');
    t.is(denied.status, 403);
    t.like(await denied.json(), { code: 'forbidden' });
    t.is((await annotate()).status, 403);
    t.is(app.publisher.published.length, published, 'nothing published for a viewer');

    await walletAccess.put(member.userId, 2, [{ ...viewer(), role: 'editor' }]);
    t.is((await recategorize('transaction')).status, 202);
    const recategorized = app.publisher.published.at(-1)!;
    t.is(recategorized.topic, topics.transactionsCorrections);
    t.like(recategorized.event, {
      key: owner.userId,
      type: 'transaction.recategorized',
      payload: { transactionId: 'tx-shared-1', userId: owner.userId, category: 'coffee' },
    });
    t.is((await annotate()).status, 202);
    t.like(app.publisher.published.at(-1)!.event, {
      key: owner.userId,
      type: 'transaction.annotated',
      payload: { transactionId: 'tx-shared-1', userId: owner.userId, tags: ['family'] },
    });
    const merchantWide = await recategorize('merchant');
    t.is(merchantWide.status, 403);
    t.like(await merchantWide.json(), { field: 'scope' });
    // Not shared at all: the owner's private wallet stays a 404, editor or not.
    t.is((await recategorize('transaction', 'tx-private')).status, 404);
    t.is((await annotate('tx-private')).status, 404);
    // The member's own transaction: merchant scope stays theirs to use.
    t.is((await recategorize('merchant', 'tx-member')).status, 202);
    t.like(app.publisher.published.at(-1)!.event, { key: member.userId });
  },
);

test.serial('a removed member sees nothing of the wallet any more', async (t) => {
  await walletAccess.put(member.userId, 3, []);
  t.is(await mayTotal(member.userId), '400');
  t.deepEqual(await searchIds(member.userId), ['tx-member']);
  t.is((await app.as(member.userId, '/v1/transactions/tx-shared-1')).status, 404);
  const write = await app.as(member.userId, '/v1/transactions/tx-shared-1', {
    method: 'PATCH',
    body: JSON.stringify({ note: 'mine now?' }),
  });
  t.is(write.status, 404);
  // A replayed older snapshot does not bring it back.
  await walletAccess.put(member.userId, 2, [viewer()]);
  t.deepEqual(await searchIds(member.userId), ['tx-member']);
});

test.serial(
  'a wallet of an owner with another home currency is searchable but not summed',
  async (t) => {
    await walletAccess.put(member.userId, 4, [viewer('w-dollars', dollarOwner.userId)]);
    t.is(await mayTotal(member.userId), '400', 'USD home amounts are not added to EUR sums');
    t.deepEqual(await searchIds(member.userId), ['tx-dollars', 'tx-member']);
    await walletAccess.put(member.userId, 5, []);
  },
);

test("the live stream of a member carries the shared wallet, never the owner's other wallets, and stops at removal", async (t) => {
  const access = createMemoryWalletAccessStore();
  await access.put(member.userId, 1, [viewer()]);
  const live = await startTestApp({ walletAccess: access });
  t.teardown(() => live.close());
  const open = async (userId: string) =>
    openSse(`${live.url}/v1/transactions/stream`, {
      authorization: `Bearer ${await live.issuer.userToken(userId)}`,
    });
  const memberStream = await open(member.userId);
  const outsiderStream = await open(outsider.userId);
  t.teardown(() => {
    memberStream.close();
    outsiderStream.close();
  });
  t.is(memberStream.status, 200);
  const [shared1, shared2, privateOne, own] = [docs[0]!, docs[1]!, docs[2]!, docs[3]!];
  live.transactionFeed.publish([privateOne, shared1, own]);
  const first = await memberStream.waitFor(2, 5_000);
  t.deepEqual(first.map((event) => JSON.parse(event.data).id).sort(), ['tx-member', 'tx-shared-1']);
  // Removed: the owner's next transaction in the wallet is not sent any more.
  await access.put(member.userId, 2, []);
  live.transactionFeed.publish([shared2, { ...own, id: 'tx-member-2' }]);
  const next = await memberStream.waitFor(3, 5_000);
  t.is(JSON.parse(next[2]!.data).id, 'tx-member-2');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(memberStream.events.length, 3, 'nothing of the owner after the removal');
  t.is(outsiderStream.events.length, 0, 'a non-member hears nothing');
  // The owner's stream count is not the member's: the owner can still open all of theirs.
  t.is(live.transactionFeed.size(owner.userId), 0);
  t.is(live.transactionFeed.size(member.userId), 1);
});

test('membership follows ref.wallets: newest revision wins, a removal ends it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-wallets-'));
  const log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  const store = createMemoryWalletAccessStore();
  await log.createTopic(topics.refWallets, { partitions: 1 });
  const consumer = await startWalletAccessConsumer(log, store);
  t.teardown(async () => {
    await consumer.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const snapshot = (userId: string, revision: number, shared: SharedWallet[]) => {
    const event = {
      id: `evt_wallets_${userId}_${revision}`,
      type: 'wallets.snapshot' as const,
      version: 1 as const,
      key: userId,
      occurredAt: '2026-05-01T10:00:00.000Z',
      producedAt: '2026-05-01T10:00:00.000Z',
      source: 'wallet-api',
      payload: {
        userId,
        revision,
        wallets: [],
        shared: shared.map((wallet) => ({
          ...wallet,
          name: 'Family',
          currency: 'EUR' as const,
          status: 'active' as const,
        })),
      },
    };
    return { key: userId, value: Buffer.from(encodeEvent(topics.refWallets, event)) };
  };
  const waitFor = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 5_000;
    while (!(await check()) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
  };
  await log.send(topics.refWallets, [
    snapshot('u-m', 1, [viewer()]),
    { key: 'u-m', value: '{"broken":' },
    snapshot('u-n', 1, [{ ...viewer('w-other'), role: 'editor' }]),
  ]);
  await waitFor(async () => (await store.sharedWith('u-n')).length > 0);
  t.deepEqual(await store.sharedWith('u-m'), [viewer()]);
  t.deepEqual(await store.sharedWith('u-n'), [{ ...viewer('w-other'), role: 'editor' }]);
  t.deepEqual(await store.sharedWith('u-nobody'), []);
  await log.send(topics.refWallets, [snapshot('u-m', 3, []), snapshot('u-m', 2, [viewer()])]);
  await waitFor(async () => (await store.sharedWith('u-m')).length === 0);
  await log.send(topics.refWallets, [snapshot('u-n', 2, [])]);
  await waitFor(async () => (await store.sharedWith('u-n')).length === 0);
  t.deepEqual(await store.sharedWith('u-m'), [], 'the replayed revision 2 did not come back');
});

test('on FerretDB + OpenSearch the scope is the same: the shared wallet summed and searched, the rest not', async (t) => {
  const servers = realServers(['MONGODB_URL', 'OPENSEARCH_URL']);
  const client = new MongoClient(servers.MONGODB_URL, { useBigInt64: true });
  await client.connect();
  const mongo = client.db(uniqueName('analytics_shared'));
  const search = openSearchTransport(servers.OPENSEARCH_URL);
  const index = uniqueName('analytics_shared');
  t.teardown(async () => {
    await dropReadModel(mongo).catch(() => undefined);
    await search.request('DELETE', `/${index}`).catch(() => undefined);
    await search.close();
    await client.close();
  });
  await ensureSearchIndex(search, index);
  await loadMongoDocuments(mongo, docs);
  await loadSearchDocuments(search, index, docs);
  const settings = createMemoryUserSettingsStore({ timeZone: 'UTC', homeCurrency: 'EUR' });
  const access = createMemoryWalletAccessStore();
  await access.put(member.userId, 1, [viewer()]);
  const store = createSharedScopeStore({
    store: createRemoteAnalyticsStore({ mongo, search, index }),
    walletAccess: access,
    settings,
  });
  const total = async (userId: string) =>
    (await store.aggregate({ userId, from: '2026-05-01', to: '2026-06-01', groupBy: [] }))[0]
      ?.homeMinor;
  t.is(await total(member.userId), 4400n);
  t.is(await total(outsider.userId), 77n);
  const page = await store.search({
    userId: member.userId,
    sort: 'date_asc',
    limit: 10,
    withFacets: true,
  });
  t.deepEqual(page.items.map((item) => item.id).sort(), [
    'tx-member',
    'tx-shared-1',
    'tx-shared-2',
  ]);
  t.is(page.total, 3);
  t.deepEqual(
    page.facets.wallet?.map((bucket) => [bucket.value, bucket.count]),
    [
      ['w-shared', 2],
      ['w-member', 1],
    ],
  );
  t.like(await store.findTransaction(member.userId, 'tx-shared-2'), { userId: owner.userId });
  t.is(await store.findTransaction(member.userId, 'tx-private'), null);
  t.is(await store.findTransaction(outsider.userId, 'tx-shared-2'), null);
});
