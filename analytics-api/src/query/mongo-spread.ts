/**
 * Where the MongoDB read model's documents live: the yearly sums documents (what queries read,
 * `mongo-rollups.ts`) and the projector's ledgers (`mongo-ledger.ts`) are spread by a hash of the
 * user id over `readModelDatabases` databases named `<db>_r<k>` (`<db>`: the configured database),
 * each holding `collectionsPerDatabase` sums collections (`analytics_sums_<n>`) and as many ledger
 * collections (`analytics_ledger_<n>`). A user's sums and ledgers always share one database, and
 * its years share one collection of each kind. The configured database itself holds none of them.
 *
 * Why several databases (measured on FerretDB 1.24.2 / SQLite, docs/analytics-api.md): FerretDB
 * answers every `find` (and aggregate, explain, collStats) by first listing the collections of the
 * database, copying and sorting all of them on each call, so with the 8,192 collections of one
 * database a bare `_id` read cost ~5.4 ms of FerretDB CPU, ~77% of it that list. Each database is
 * its own SQLite file with its own list: in a database of 128 collections of 5 documents the same
 * read costs 0.8-0.9 ms. Collections must stay small too, because an `_id` read still scans its
 * collection (FerretDB's `_id` lookup misses its own index). Genuine MongoDB does not care either
 * way.
 */
import type { Collection, Db, Document } from 'mongodb';
import { invariant } from '@spendstream/core/errors';

/**
 * Databases the read model is spread over. 64 x 64 collections per kind keeps the 20,000 yearly
 * documents per kind of 10,000 users at ~5 per collection and 128 collections per database: a
 * scratch probe (2,000 `_id` reads of ~9 kB documents, 4 in flight) found 0.82-0.89 ms of FerretDB
 * CPU per read there, against 0.95-0.99 ms at 32 collections of 20 documents, 1.30 ms at 16 of 80,
 * 0.96-1.10 ms at 256 of 5, and ~5.4 ms with all 8,192 collections in one database.
 */
export const readModelDatabases = 64;

/** Sums collections (and, apart, ledger collections) in each read-model database. */
export const collectionsPerDatabase = 64;

/** Longest database name MongoDB and FerretDB accept. */
export const databaseNameLengthMax = 63;

/** Longest configured database name: room is left for the `_r<k>` suffix. */
export const baseDatabaseNameLengthMax =
  databaseNameLengthMax - readModelDatabaseSuffix(readModelDatabases - 1).length;

export const mongoCollections = {
  /** Prefix of the sums collections queries read: `analytics_sums_<0..collectionsPerDatabase-1>`. */
  sums: 'analytics_sums',
  /** Prefix of the projector's ledger collections: `analytics_ledger_<0..collectionsPerDatabase-1>`. */
  ledgers: 'analytics_ledger',
} as const;

/**
 * The name of the layout (databases x collections): a kept benchmark data set records it and is
 * reloaded when it changes.
 */
export const spreadLayout = `dbs${readModelDatabases}x${collectionsPerDatabase}`;

function readModelDatabaseSuffix(k: number): string {
  return `_r${k}`;
}

/** The name of read-model database `k` of the configured database `base`. */
export function readModelDatabaseName(base: string, k: number): string {
  invariant(
    base.length <= baseDatabaseNameLengthMax,
    `the MongoDB database name ${base} is longer than ${baseDatabaseNameLengthMax} characters (its read-model databases add ${readModelDatabaseSuffix(readModelDatabases - 1)})`,
  );
  invariant(Number.isInteger(k) && k >= 0 && k < readModelDatabases, `no read-model database ${k}`);
  return `${base}${readModelDatabaseSuffix(k)}`;
}

/** FNV-1a of the user id: a stable spread over databases and collections. */
function spreadOf(userId: string): { database: number; collection: number } {
  let hash = 0x811c9dc5;
  for (let index = 0; index < userId.length; index += 1) {
    hash ^= userId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const slot = hash % (readModelDatabases * collectionsPerDatabase);
  return {
    database: Math.floor(slot / collectionsPerDatabase),
    collection: slot % collectionsPerDatabase,
  };
}

/** The read-model databases of each configured database handle, built once. */
const databasesOf = new WeakMap<Db, Db[]>();

/** Every read-model database of the configured database `db`, in order. */
export function readModelDatabasesOf(db: Db): Db[] {
  let databases = databasesOf.get(db);
  if (!databases) {
    const base = db.databaseName;
    databases = Array.from({ length: readModelDatabases }, (_, k) =>
      db.client.db(readModelDatabaseName(base, k)),
    );
    databasesOf.set(db, databases);
  }
  return databases;
}

function collectionOf<T extends Document>(db: Db, prefix: string, userId: string): Collection<T> {
  const { database, collection } = spreadOf(userId);
  return readModelDatabasesOf(db)[database]!.collection<T>(`${prefix}_${collection}`);
}

/** The collection of a user's sums documents (what queries read). */
export function sumsCollectionOf<T extends Document>(db: Db, userId: string): Collection<T> {
  return collectionOf<T>(db, mongoCollections.sums, userId);
}

/** The collection of a user's ledger documents (the projector's per-transaction versions). */
export function ledgerCollectionOf<T extends Document>(db: Db, userId: string): Collection<T> {
  return collectionOf<T>(db, mongoCollections.ledgers, userId);
}

/**
 * Drop the configured database and every read-model database of it (tests, the benchmark's
 * reload). Each name is dropped whether it exists or not: dropping an absent database costs
 * FerretDB well under a millisecond, while `listDatabases` computes every database's size (1.9 s
 * for 40 small ones, minutes beside a 5M data set).
 */
export async function dropReadModel(db: Db): Promise<void> {
  await Promise.all(readModelDatabasesOf(db).map((database) => database.dropDatabase()));
  await db.dropDatabase();
}

/**
 * Refuse a configured database that still holds sums or ledger collections of the layout before
 * the spread (all of them in that one database): this code would not read them, so every analytics
 * answer would miss their data. Such a deployment is rebuilt by replaying `transactions.enriched`
 * from offset 0 into a fresh database (docs/analytics-api.md).
 */
export async function assertReadModelLayout(db: Db): Promise<void> {
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  const old = collections.find(
    (collection) =>
      collection.name.startsWith(`${mongoCollections.sums}_`) ||
      collection.name.startsWith(`${mongoCollections.ledgers}_`),
  );
  invariant(
    old === undefined,
    `MongoDB database ${db.databaseName} holds ${old?.name} of the read-model layout before ${spreadLayout}: reproject into a fresh database (docs/analytics-api.md)`,
  );
}
