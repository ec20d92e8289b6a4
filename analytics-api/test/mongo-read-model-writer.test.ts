/**
 * The production projector's writer against the real FerretDB + OpenSearch: a correction moving a
 * transaction to another year, with a crash after the bucket writes and before the index write,
 * converges on redelivery; concurrent writers of one bucket lose nothing (compare-and-set); and the
 * bucket rules in isolation; two instances writing one user's year at once (a rebalance) leave the
 * sums of the newest ledger.
 */
import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import {
  applyBucketOps,
  createMongoReadModelWriter,
} from '../src/features/projection/mongo-read-model-writer.js';
import { createRemoteAnalyticsStore } from '../src/query/remote-store.js';
import type { TransactionDoc } from '../src/query/analytics-store.js';
import {
  ensureSearchIndex,
  openSearchTransport,
  type SearchTransport,
} from '../src/query/search-index.js';
import { bucketRowOf } from '../src/query/rollups.js';
import {
  bucketId,
  decodeSumRows,
  sumsDocumentOf,
  type SumsDocument,
} from '../src/query/mongo-rollups.js';
import {
  assertReadModelLayout,
  dropReadModel,
  ledgerCollectionOf,
  readModelDatabasesOf,
  sumsCollectionOf,
} from '../src/query/mongo-spread.js';
import {
  decodeLedger,
  encodeLedger,
  type Ledger,
  type LedgerDocument,
} from '../src/query/mongo-ledger.js';
import { makeDoc, testUsers } from './support/factories.js';
import { createSql, migrateToLatest } from '@spendstream/core/sql';
import { createBudgetService } from '../src/features/budgets/budget-service.js';
import { createSqlBudgetStore } from '../src/features/budgets/budget-store.js';
import { analyticsMigrations } from '../src/migrations.js';
import { createMemoryPublisher } from '../src/domain/event-publisher.js';
import { createSnapshotOutboxes } from '../src/snapshots.js';
import { createMemoryLogger } from '@spendstream/core/log';
import { createMemoryUserSettingsStore } from '../src/domain/user-settings.js';
import { createDefaultCategoryCatalog } from '../src/domain/categories.js';

const user = testUsers[3]!; // u-paris

let mongoClient: MongoClient;
let search: SearchTransport;

test.before(async () => {
  const servers = realServers(['MONGODB_URL', 'OPENSEARCH_URL']);
  mongoClient = new MongoClient(servers.MONGODB_URL, { useBigInt64: true });
  await mongoClient.connect();
  search = openSearchTransport(servers.OPENSEARCH_URL);
});
test.after.always(async () => {
  await search?.close();
  await mongoClient?.close();
});

async function freshBackend(t: { teardown(fn: () => unknown): void }) {
  const mongo = mongoClient.db(uniqueName('analytics_writer'));
  const index = uniqueName('analytics_writer');
  await ensureSearchIndex(search, index);
  t.teardown(async () => {
    await dropReadModel(mongo).catch(() => undefined);
    await search.request('DELETE', `/${index}`).catch(() => undefined);
  });
  return { mongo, index, store: createRemoteAnalyticsStore({ mongo, search, index }) };
}

const yearTotal = async (
  store: ReturnType<typeof createRemoteAnalyticsStore>,
  year: string,
): Promise<bigint> =>
  (
    await store.aggregate({
      userId: user.userId,
      from: `${year}-01-01`,
      to: `${Number(year) + 1}-01-01`,
      groupBy: [],
    })
  )[0]?.homeMinor ?? 0n;

/** The user's ledger of a year, decoded, with its `rev`. */
async function bucketOf(mongo: Db, year: string): Promise<(Ledger & { rev: number }) | null> {
  const stored = await ledgerCollectionOf<LedgerDocument>(mongo, user.userId).findOne({
    _id: bucketId(user.userId, year),
  });
  return stored ? { ...decodeLedger(stored.entries), rev: stored.rev } : null;
}

/**
 * `mongo` as the writer and the store see it, except that every collection they take from the
 * read-model databases (through `mongo.client.db(...)`) passes through `wrap` first.
 */
function wrapCollections(
  mongo: Db,
  wrap: (collection: Collection, name: string) => Collection,
): Db {
  const wrapDb = (db: Db) =>
    new Proxy(db, {
      get(target, property, receiver) {
        if (property !== 'collection') return Reflect.get(target, property, receiver);
        return (name: string) => wrap(target.collection(name), name);
      },
    });
  const client = new Proxy(mongo.client, {
    get(target, property, receiver) {
      if (property !== 'db') return Reflect.get(target, property, receiver);
      return (name: string) => wrapDb(target.db(name));
    },
  });
  return new Proxy(mongo, {
    get(target, property, receiver) {
      return property === 'client' ? client : Reflect.get(target, property, receiver);
    },
  });
}

test('the read model lives in the read-model databases, and dropReadModel removes every one', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const writer = createMongoReadModelWriter({ mongo, search, index });
  const others = testUsers.filter((other) => other.userId !== user.userId);
  const docs = [user, ...others].map((owner, n) =>
    makeDoc(owner, { id: `tx_spread_${n}`, occurredAt: '2026-03-04T10:00:00Z' }),
  );
  await writer.apply(docs.map((doc) => ({ doc, version: 1 })));
  const holding = new Set(docs.map((doc) => sumsCollectionOf(mongo, doc.userId).dbName));
  t.true(
    [...holding].every((name) => name.startsWith(`${mongo.databaseName}_r`)),
    'only <db>_r<k> databases hold them',
  );
  for (const doc of docs) {
    t.is(
      sumsCollectionOf(mongo, doc.userId).dbName,
      ledgerCollectionOf(mongo, doc.userId).dbName,
      "a user's sums and ledger share a database",
    );
    t.truthy(
      await ledgerCollectionOf<LedgerDocument>(mongo, doc.userId).findOne({
        _id: bucketId(doc.userId, '2026'),
      }),
    );
  }
  t.deepEqual(await mongo.listCollections().toArray(), [], 'the configured database holds none');
  t.is(await yearTotal(store, '2026'), docs[0]!.homeAmountMinor);
  await assertReadModelLayout(mongo);
  const holdingNow = async () => {
    const names: string[] = [];
    for (const database of [mongo, ...readModelDatabasesOf(mongo)]) {
      if ((await database.listCollections({}, { nameOnly: true }).toArray()).length > 0)
        names.push(database.databaseName);
    }
    return names;
  };
  t.deepEqual((await holdingNow()).sort(), [...holding].sort());
  await dropReadModel(mongo);
  t.deepEqual(await holdingNow(), [], 'every database the writer wrote to is gone');
});

test('a configured database holding collections of the layout before the spread is refused', async (t) => {
  const { mongo } = await freshBackend(t);
  await assertReadModelLayout(mongo);
  await mongo.collection('analytics_sums_7').insertOne({ _id: 'u|2026' } as never);
  await t.throwsAsync(assertReadModelLayout(mongo), { message: /analytics_sums_7.*reproject/ });
});

test('a correction moving a transaction to another year converges after a crash before indexing', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const writer = createMongoReadModelWriter({ mongo, search, index });
  const december = makeDoc(user, {
    id: 'tx_move_1',
    occurredAt: '2025-12-31T12:00:00+01:00',
    amountMinor: 5000n,
  });
  const january = makeDoc(user, {
    id: 'tx_move_1',
    occurredAt: '2026-01-01T12:00:00+01:00',
    amountMinor: 7000n,
  });
  t.deepEqual(await writer.apply([{ doc: december, version: 10 }]), [december]);
  await search.request('POST', `/${index}/_refresh`);
  t.is(await yearTotal(store, '2025'), 5000n);

  // The index refuses the bulk write once: the bucket writes are done, the index is not.
  let failBulk = true;
  const crashing: SearchTransport = {
    async request(method, path, body) {
      if (path === '/_bulk' && failBulk) {
        failBulk = false;
        throw new Error('simulated crash before indexing');
      }
      return search.request(method, path, body);
    },
    close: () => search.close(),
  };
  const crashingWriter = createMongoReadModelWriter({ mongo, search: crashing, index });
  await t.throwsAsync(crashingWriter.apply([{ doc: january, version: 20 }]), {
    message: /simulated crash/,
  });
  t.is(await yearTotal(store, '2026'), 7000n, 'the new year counts it');
  t.is(await yearTotal(store, '2025'), 0n, 'the old year marked it gone');
  t.like(await store.findTransaction(user.userId, 'tx_move_1'), { amountMinor: 5000n });

  // The redelivery finishes: the index takes the new version, the buckets stay exact.
  t.deepEqual(await writer.apply([{ doc: january, version: 20 }]), [january]);
  await search.request('POST', `/${index}/_refresh`);
  t.like(await store.findTransaction(user.userId, 'tx_move_1'), {
    amountMinor: 7000n,
    localDate: '2026-01-01',
  });
  t.is(await yearTotal(store, '2025'), 0n);
  t.is(await yearTotal(store, '2026'), 7000n);
  // Duplicates and the stale version change nothing and report nothing new.
  t.deepEqual(await writer.apply([{ doc: december, version: 10 }]), []);
  t.deepEqual(await writer.apply([{ doc: january, version: 20 }]), []);
  t.is(await yearTotal(store, '2025'), 0n);
  t.is(await yearTotal(store, '2026'), 7000n);
  t.deepEqual((await bucketOf(mongo, '2025'))?.gone, [{ id: 'tx_move_1', v: 20 }]);

  // A reversal takes it out of the sums and keeps it searchable.
  const reversed = { ...january, status: 'reversed' };
  t.deepEqual(await writer.apply([{ doc: reversed, version: 30 }]), [reversed]);
  await search.request('POST', `/${index}/_refresh`);
  t.is(await yearTotal(store, '2026'), 0n);
  t.like(await store.findTransaction(user.userId, 'tx_move_1'), { status: 'reversed' });
});

test('a redelivered batch holding the crashed version and a newer one in a third year leaves no stray row', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const writer = createMongoReadModelWriter({ mongo, search, index });
  const at = (id: string, occurredAt: string, amountMinor: bigint) =>
    makeDoc(user, { id, occurredAt, amountMinor });
  const v1 = at('tx_hop', '2025-06-01T12:00:00Z', 100n);
  const v2 = at('tx_hop', '2026-06-01T12:00:00Z', 200n);
  const v3 = at('tx_hop', '2027-06-01T12:00:00Z', 300n);
  await writer.apply([{ doc: v1, version: 1 }]);
  // v2's bucket writes land (2026 row, 2025 gone), then the index write fails: a crash.
  let failBulk = true;
  const crashing: SearchTransport = {
    async request(method, path, body) {
      if (path === '/_bulk' && failBulk) {
        failBulk = false;
        throw new Error('simulated crash before indexing');
      }
      return search.request(method, path, body);
    },
    close: () => search.close(),
  };
  await t.throwsAsync(
    createMongoReadModelWriter({ mongo, search: crashing, index }).apply([{ doc: v2, version: 2 }]),
  );
  t.is(await yearTotal(store, '2026'), 200n);
  // The redelivery brings v2 and v3 in one batch: only v3 is applied, 2026 must let go of v2.
  t.deepEqual(
    await writer.apply([
      { doc: v2, version: 2 },
      { doc: v3, version: 3 },
    ]),
    [v3],
  );
  t.deepEqual(
    [
      await yearTotal(store, '2025'),
      await yearTotal(store, '2026'),
      await yearTotal(store, '2027'),
    ],
    [0n, 0n, 300n],
  );
});

test('concurrent writers of one bucket in a process lose no transaction', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const writers = [1, 2, 3].map(() => createMongoReadModelWriter({ mongo, search, index }));
  const docs = Array.from({ length: 24 }, (_, i) =>
    makeDoc(user, {
      id: `tx_cas_${i}`,
      occurredAt: `2026-03-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
      amountMinor: BigInt(100 + i),
    }),
  );
  await Promise.all(
    docs.map((doc, i) => writers[i % writers.length]!.apply([{ doc, version: 1 }])),
  );
  const expected = docs.reduce((sum, doc) => sum + doc.homeAmountMinor, 0n);
  t.is(await yearTotal(store, '2026'), expected);
  const bucket = await bucketOf(mongo, '2026');
  t.is(bucket?.rows.length, docs.length);
  t.is(bucket?.rev, docs.length, 'one write per transaction');
});

test('a writer whose bucket changed between its read and its write retries on a fresh read', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const first = makeDoc(user, { id: 'tx_stale_1', occurredAt: '2026-04-01T10:00:00Z' });
  const second = makeDoc(user, { id: 'tx_stale_2', occurredAt: '2026-04-02T10:00:00Z' });
  const foreign = makeDoc(user, { id: 'tx_foreign', occurredAt: '2026-04-03T10:00:00Z' });
  await createMongoReadModelWriter({ mongo, search, index }).apply([{ doc: first, version: 1 }]);
  // The real database, except that right after the writer's first bucket read, another process
  // writes the bucket (rev 1 -> 2, one more row) behind its back.
  let reads = 0;
  const racing = wrapCollections(mongo, (plain) => {
    const collection = plain as unknown as Collection<LedgerDocument>;
    return new Proxy(collection, {
      get(inner, key, innerReceiver) {
        if (key !== 'findOne') return Reflect.get(inner, key, innerReceiver);
        return async (filter: { _id: string }) => {
          const found = await inner.findOne(filter);
          reads += 1;
          if (reads === 1 && found) {
            const ledger = decodeLedger(found.entries);
            ledger.rows.push(bucketRowOf(foreign, 1));
            await inner.replaceOne(
              { _id: found._id, rev: found.rev },
              { ...found, rev: found.rev + 1, entries: encodeLedger(found.year, ledger) },
            );
          }
          return found;
        };
      },
    }) as unknown as Collection;
  });
  await createMongoReadModelWriter({ mongo: racing, search, index }).apply([
    { doc: second, version: 1 },
  ]);
  t.is(reads, 3, 'the write missed and the bucket was read again, then once after the sums write');
  const bucket = (await bucketOf(mongo, '2026'))!;
  t.deepEqual(bucket.rows.map((row) => row.id).sort(), ['tx_foreign', 'tx_stale_1', 'tx_stale_2']);
  t.is(bucket.rev, 3);
  t.is(
    await yearTotal(store, '2026'),
    first.homeAmountMinor + second.homeAmountMinor + foreign.homeAmountMinor,
  );
});

test('bucket ops replace an entry only with a higher version', (t) => {
  const doc = makeDoc(user, { id: 'tx_ops', occurredAt: '2026-02-01T10:00:00Z' });
  const bucket: Ledger = { rows: [], gone: [] };
  t.true(applyBucketOps(bucket, [{ id: doc.id, v: 2, row: bucketRowOf(doc, 2) }]));
  t.false(applyBucketOps(bucket, [{ id: doc.id, v: 2, row: bucketRowOf(doc, 2) }]), 'duplicate');
  t.false(applyBucketOps(bucket, [{ id: doc.id, v: 1, row: null }]), 'stale');
  t.true(applyBucketOps(bucket, [{ id: doc.id, v: 3, row: null }]), 'moved out');
  t.deepEqual(bucket, { rows: [], gone: [{ id: doc.id, v: 3 }] });
  t.true(
    applyBucketOps(bucket, [
      { id: doc.id, v: 4, row: bucketRowOf({ ...doc, amountMinor: 9n }, 4) },
    ]),
  );
  t.deepEqual(
    bucket.rows.map((row) => [row.id, row.v, row.originalMinor]),
    [[doc.id, 4, 9n]],
  );
  t.deepEqual(bucket.gone, []);
});

test('a crash between the ledger write and the sums write is repaired by the redelivery', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const doc = makeDoc(user, {
    id: 'tx_sums_crash',
    occurredAt: '2026-05-02T10:00:00Z',
    amountMinor: 4200n,
  });
  // The real databases, except that the first write of a sums document fails.
  let failSums = true;
  const sumsName = sumsCollectionOf(mongo, user.userId).collectionName;
  const crashing = wrapCollections(mongo, (collection, name) => {
    if (name !== sumsName) return collection;
    return new Proxy(collection, {
      get(inner, key, innerReceiver) {
        if ((key !== 'replaceOne' && key !== 'insertOne') || !failSums)
          return Reflect.get(inner, key, innerReceiver);
        return () => {
          failSums = false;
          return Promise.reject(new Error('simulated crash before the sums write'));
        };
      },
    });
  });
  await t.throwsAsync(
    createMongoReadModelWriter({ mongo: crashing, search, index }).apply([{ doc, version: 1 }]),
    { message: /simulated crash/ },
  );
  t.is((await bucketOf(mongo, '2026'))?.rows.length, 1, 'the ledger holds the transaction');
  t.is(await yearTotal(store, '2026'), 0n, 'the sums do not count it yet');
  // The redelivery finds nothing new for the ledger and brings the sums up to it.
  t.deepEqual(
    await createMongoReadModelWriter({ mongo, search, index }).apply([{ doc, version: 1 }]),
    [doc],
  );
  t.is(await yearTotal(store, '2026'), 4200n);
  const sums = await sumsCollectionOf<{ _id: string; ledgerRev: number }>(
    mongo,
    user.userId,
  ).findOne({ _id: bucketId(user.userId, '2026') });
  t.is(sums?.ledgerRev, 1);
});

/**
 * Another projector instance owning the same user for a moment (a rebalance overlap) projects
 * `doc` into its year: its ledger write, then its sums write, done with the real collections.
 */
async function otherInstanceProjects(mongo: Db, doc: TransactionDoc): Promise<number> {
  const ledgers = ledgerCollectionOf<LedgerDocument>(mongo, doc.userId);
  const year = doc.localDate.slice(0, 4);
  const _id = bucketId(doc.userId, year);
  const stored = (await ledgers.findOne({ _id }))!;
  const ledger = decodeLedger(stored.entries);
  applyBucketOps(ledger, [{ id: doc.id, v: 1, row: bucketRowOf(doc, 1) }]);
  const rev = stored.rev + 1;
  const written = await ledgers.replaceOne(
    { _id, rev: stored.rev },
    { ...stored, rev, entries: encodeLedger(year, ledger) },
  );
  if (written.matchedCount !== 1) throw new Error('the other instance lost its ledger write');
  await sumsCollectionOf<SumsDocument>(mongo, doc.userId).replaceOne(
    { _id },
    sumsDocumentOf(doc.userId, year, rev, ledger.rows),
    { upsert: true },
  );
  return rev;
}

/** `mongo`, except that the first sums write waits for `before()` to finish before it is sent. */
function sumsWriteAfter(mongo: Db, before: () => Promise<unknown>): Db {
  let first = true;
  const sumsName = sumsCollectionOf(mongo, user.userId).collectionName;
  return wrapCollections(mongo, (collection, name) => {
    if (name !== sumsName) return collection;
    return new Proxy(collection, {
      get(inner, key, innerReceiver) {
        const value = Reflect.get(inner, key, innerReceiver) as unknown;
        if ((key !== 'replaceOne' && key !== 'insertOne') || typeof value !== 'function')
          return value;
        return async (...args: unknown[]) => {
          if (first) {
            first = false;
            await before();
          }
          return (value as (...a: unknown[]) => unknown).apply(inner, args);
        };
      },
    });
  });
}

const sumsRevOf = async (mongo: Db, year: string) =>
  (
    await sumsCollectionOf<SumsDocument>(mongo, user.userId).findOne({
      _id: bucketId(user.userId, year),
    })
  )?.ledgerRev;

test('two instances projecting one user at once (a rebalance): older sums written last are brought up to the ledger', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const [first, mine, theirs] = [1, 2, 3].map((n) =>
    makeDoc(user, {
      id: `tx_overlap_${n}`,
      occurredAt: `2026-06-0${n}T10:00:00Z`,
      amountMinor: BigInt(1000 * n),
    }),
  );
  await createMongoReadModelWriter({ mongo, search, index }).apply([{ doc: first!, version: 1 }]);
  // This writer's ledger write (rev 2) lands; before its sums write is sent, the other instance
  // writes the ledger (rev 3) and its sums, so this sums write arrives last.
  let theirRev = 0;
  const slow = sumsWriteAfter(mongo, async () => {
    theirRev = await otherInstanceProjects(mongo, theirs!);
  });
  await createMongoReadModelWriter({ mongo: slow, search, index }).apply([
    { doc: mine!, version: 1 },
  ]);
  t.is(theirRev, 3);
  t.is((await bucketOf(mongo, '2026'))?.rev, 3);
  t.is(await sumsRevOf(mongo, '2026'), 3, 'the sums are those of the newest ledger');
  t.is(
    await yearTotal(store, '2026'),
    first!.homeAmountMinor + mine!.homeAmountMinor + theirs!.homeAmountMinor,
  );
});

test('a redelivery repairing lagging sums while a newer batch is written elsewhere leaves the newest sums', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const [first, crashed, newer] = [1, 2, 3].map((n) =>
    makeDoc(user, {
      id: `tx_repair_${n}`,
      occurredAt: `2026-07-0${n}T10:00:00Z`,
      amountMinor: BigInt(100 * n),
    }),
  );
  await createMongoReadModelWriter({ mongo, search, index }).apply([{ doc: first!, version: 1 }]);
  // A crash after the ledger write of `crashed` (rev 2) and before its sums write.
  const crashing = sumsWriteAfter(mongo, () =>
    Promise.reject(new Error('simulated crash before the sums write')),
  );
  await t.throwsAsync(
    createMongoReadModelWriter({ mongo: crashing, search, index }).apply([
      { doc: crashed!, version: 1 },
    ]),
    { message: /simulated crash/ },
  );
  t.is(await sumsRevOf(mongo, '2026'), 1);
  // The redelivery finds nothing new for the ledger and brings the sums up to rev 2; before that
  // write is sent, another instance writes a newer batch (rev 3) and its sums.
  const slow = sumsWriteAfter(mongo, () => otherInstanceProjects(mongo, newer!));
  await createMongoReadModelWriter({ mongo: slow, search, index }).apply([
    { doc: crashed!, version: 1 },
  ]);
  t.is((await bucketOf(mongo, '2026'))?.rev, 3);
  t.is(await sumsRevOf(mongo, '2026'), 3);
  t.is(
    await yearTotal(store, '2026'),
    first!.homeAmountMinor + crashed!.homeAmountMinor + newer!.homeAmountMinor,
  );
});

test('the sums documents hold pre-summed rows and queries read nothing else', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const writer = createMongoReadModelWriter({ mongo, search, index });
  const twin = (id: string, amountMinor: bigint) =>
    makeDoc(user, { id, occurredAt: '2026-07-04T10:00:00Z', amountMinor });
  const docs = [twin('tx_twin_1', 300n), twin('tx_twin_2', 500n)];
  await writer.apply(docs.map((doc) => ({ doc, version: 1 })));
  const sums = await sumsCollectionOf<{ _id: string; rows: string }>(mongo, user.userId).findOne({
    _id: bucketId(user.userId, '2026'),
  });
  const rows = decodeSumRows(sums!.rows, '2026');
  t.is(rows.length, 1, 'two transactions with every dimension equal share one row');
  t.like(rows[0], { count: 2, originalMinor: 800n });
  t.is((await bucketOf(mongo, '2026'))?.rows.length, 2, 'the ledger keeps one row each');
  await ledgerCollectionOf(mongo, user.userId).drop();
  t.is(await yearTotal(store, '2026'), docs[0]!.homeAmountMinor + docs[1]!.homeAmountMinor);
});

test('a new ledger inserts its sums document, and replaces one that is there without its ledger', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const writer = createMongoReadModelWriter({ mongo, search, index });
  const first = makeDoc(user, { id: 'tx_fresh_1', occurredAt: '2026-09-04T10:00:00Z' });
  await writer.apply([{ doc: first, version: 1 }]);
  t.is(await yearTotal(store, '2026'), first.homeAmountMinor, 'inserted with the new ledger');
  // The ledger is lost while its sums stay: the next new ledger's sums insert is refused.
  await ledgerCollectionOf(mongo, user.userId).drop();
  const second = makeDoc(user, {
    id: 'tx_fresh_2',
    occurredAt: '2026-09-05T10:00:00Z',
    amountMinor: 777n,
  });
  await writer.apply([{ doc: second, version: 1 }]);
  t.is(await yearTotal(store, '2026'), second.homeAmountMinor, 'replaced by the new ledger sums');
});

/**
 * The database, recording each collection method called as `ledger.<method>` or `sums.<method>`;
 * `readDelayMs` holds each `findOne` that long before it is sent.
 */
function countingCalls(mongo: Db, readDelayMs = 0): { db: Db; calls: string[] } {
  const calls: string[] = [];
  const db = wrapCollections(
    mongo,
    (collection, name) =>
      new Proxy(collection, {
        get(inner, key, innerReceiver) {
          const value = Reflect.get(inner, key, innerReceiver) as unknown;
          if (typeof value !== 'function' || typeof key !== 'string') return value;
          const call = (...args: unknown[]) =>
            (value as (...a: unknown[]) => unknown).apply(inner, args);
          return (...args: unknown[]) => {
            calls.push(`${name.startsWith('analytics_ledger') ? 'ledger' : 'sums'}.${key}`);
            if (readDelayMs === 0 || key !== 'findOne') return call(...args);
            return delay(readDelayMs).then(() => call(...args));
          };
        },
      }),
  );
  return { db, calls };
}

test('a batch costs one ledger read, one ledger write, one sums write and one ledger read to check it per user and year, however many transactions it holds there', async (t) => {
  const { mongo, index, store } = await freshBackend(t);
  const { db: counting, calls } = countingCalls(mongo);
  const writer = createMongoReadModelWriter({ mongo: counting, search, index });
  const batch = (version: number) =>
    Array.from({ length: 40 }, (_, day) => ({
      doc: makeDoc(user, {
        id: `tx_grouped_${day}`,
        occurredAt: `2026-0${1 + (day % 9)}-1${day % 10}T10:00:00Z`,
        amountMinor: BigInt(100 + day),
      }),
      version,
    }));
  await writer.apply(batch(1));
  t.deepEqual(calls.sort(), [
    'ledger.findOne',
    'ledger.findOne',
    'ledger.insertOne',
    'sums.insertOne',
  ]);
  calls.length = 0;
  await writer.apply(batch(2));
  t.deepEqual(calls.sort(), [
    'ledger.findOne',
    'ledger.findOne',
    'ledger.replaceOne',
    'sums.replaceOne',
  ]);
  const expected = batch(2).reduce((sum, { doc }) => sum + doc.homeAmountMinor, 0n);
  t.is(await yearTotal(store, '2026'), expected);
});

test('concurrent reads of one sums document share one server read; a later read asks again', async (t) => {
  const { mongo, index } = await freshBackend(t);
  const doc = makeDoc(user, { id: 'tx_shared_read', occurredAt: '2026-08-03T10:00:00Z' });
  await createMongoReadModelWriter({ mongo, search, index }).apply([{ doc, version: 1 }]);
  const { db: counting, calls } = countingCalls(mongo);
  const reads = () => calls.filter((call) => /\.find(One)?$/.test(call)).length;
  const store = createRemoteAnalyticsStore({ mongo: counting, search, index });
  const august = { userId: user.userId, from: '2026-08-01', to: '2026-09-01', groupBy: [] };
  const july = { ...august, from: '2026-07-01', to: '2026-08-01' };
  const [first, second] = await Promise.all([store.aggregate(august), store.aggregate(july)]);
  t.is(reads(), 1, 'both periods lie in 2026: one read');
  t.is(first[0]?.homeMinor, doc.homeAmountMinor);
  t.deepEqual(second, []);
  await store.aggregate(august);
  t.is(reads(), 2, 'nothing is kept after the read settles');
  const older = makeDoc(user, { id: 'tx_shared_read_2025', occurredAt: '2025-11-03T10:00:00Z' });
  await createMongoReadModelWriter({ mongo, search, index }).apply([{ doc: older, version: 1 }]);
  // A range over two years: one `_id` read per year, both sent before either answers.
  const { db: slow, calls: slowCalls } = countingCalls(mongo, 300);
  const slowStore = createRemoteAnalyticsStore({ mongo: slow, search, index });
  const pending = slowStore.aggregate({ ...august, from: '2025-09-01', to: '2026-09-01' });
  await delay(100);
  t.deepEqual(slowCalls, ['sums.findOne', 'sums.findOne'], 'both years asked at once, by _id');
  const twelveMonths = await pending;
  t.deepEqual(slowCalls, ['sums.findOne', 'sums.findOne'], 'and nothing else');
  t.is(twelveMonths[0]?.homeMinor, doc.homeAmountMinor + older.homeAmountMinor);
});

test("a budget status by id reads the budget beside the sums of today's year: one sums read for both periods", async (t) => {
  const { mongo, index } = await freshBackend(t);
  const june = makeDoc(user, { id: 'tx_budget_june', occurredAt: '2026-06-10T10:00:00Z' });
  const may = makeDoc(user, {
    id: 'tx_budget_may',
    occurredAt: '2026-05-10T10:00:00Z',
    amountMinor: 30_000n,
  });
  await createMongoReadModelWriter({ mongo, search, index }).apply([
    { doc: june, version: 1 },
    { doc: may, version: 1 },
  ]);
  const budgetsDb = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => budgetsDb.destroy());
  await migrateToLatest(budgetsDb, analyticsMigrations);
  const settings = createMemoryUserSettingsStore({ timeZone: 'UTC', homeCurrency: 'EUR' });
  await settings.put(user.userId, { ...user, revision: 1 });
  // Each sums read takes at least 200 ms, and a budget read 100 ms: the budget is back while the
  // sums read sent beside it is still under way.
  const { db: counting, calls } = countingCalls(mongo, 200);
  const reads = () => calls.filter((call) => /\.find(One)?$/.test(call)).length;
  const events: string[] = [];
  const sqlBudgets = createSqlBudgetStore(budgetsDb);
  const slowBudgets: typeof sqlBudgets = {
    ...sqlBudgets,
    async get(userId, budgetId) {
      await delay(100);
      const found = await sqlBudgets.get(userId, budgetId);
      events.push(`budget read, ${reads()} sums read(s) sent`);
      return found;
    },
  };
  const service = createBudgetService({
    budgets: slowBudgets,
    store: createRemoteAnalyticsStore({ mongo: counting, search, index }),
    settings,
    categories: createDefaultCategoryCatalog(),
    snapshots: createSnapshotOutboxes({
      sql: budgetsDb,
      publisher: createMemoryPublisher(),
      log: createMemoryLogger('analytics-api').log,
      clock: () => new Date('2026-06-20T12:00:00Z'),
    }),
    clock: () => new Date('2026-06-20T12:00:00Z'),
  });
  const budget = await service.create(user.userId, {
    name: 'All spend',
    limit: { amount: 50_000n, currency: 'EUR' },
    period: { kind: 'month', startDay: 1 },
    scope: { categories: [], walletIds: [], tags: [], merchantKeys: [] },
    thresholds: [80, 100],
    rollover: true,
    active: true,
  });
  const [byId] = await service.statusesOf(user.userId, budget.budgetId);
  t.deepEqual(events, ['budget read, 1 sums read(s) sent'], 'the sums read went out beside it');
  t.is(reads(), 1, "today's year read once for the warm read and both periods");
  t.like(byId, { spentMinor: june.homeAmountMinor, carriedMinor: 50_000n - may.homeAmountMinor });
  t.deepEqual(byId, await service.status(user.userId, budget), 'the same as the status read alone');
  const all = await service.statusesOf(user.userId);
  t.deepEqual(all, [byId]);
  await t.throwsAsync(service.statusesOf(user.userId, 'bud_unknown'), { message: /no budget/ });
});
