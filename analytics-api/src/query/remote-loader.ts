/**
 * Load transaction documents into MongoDB (documents + daily rollups) and the search index: the
 * stand-in for stream-jobs' writers in tests and benchmarks. Not used by the running service.
 */
import type { Db } from 'mongodb';
import { invariant } from '@spendstream/core/errors';
import type { TransactionDoc } from './analytics-store.js';
import { mongoCollections } from './mongo-rollups.js';
import { rollupsOf } from './rollups.js';
import { searchIndexDefinition, toIndexedSource, type SearchTransport } from './search-index.js';

/** Documents per bulk request to the search index and per insertMany to MongoDB. */
export const loadBatchSizeMax = 2_000;

/** Create the search index with the analytics mapping unless it exists. */
export async function ensureSearchIndex(search: SearchTransport, index: string): Promise<void> {
  try {
    await search.request('PUT', `/${encodeURIComponent(index)}`, searchIndexDefinition);
  } catch (error) {
    if (!String((error as Error).message).includes('resource_already_exists')) throw error;
  }
}

/** Create the MongoDB indexes the rollup queries rely on. */
export async function ensureMongoIndexes(mongo: Db): Promise<void> {
  await mongo.collection(mongoCollections.rollupsDaily).createIndex({ userId: 1, localDate: 1 });
  await mongo.collection(mongoCollections.transactions).createIndex({ userId: 1, localDate: 1 });
}

/** Write documents and their rollups to MongoDB (rollup keys must not exist yet). */
export async function loadMongoDocuments(mongo: Db, docs: TransactionDoc[]): Promise<void> {
  const transactions = mongo.collection(mongoCollections.transactions);
  for (let start = 0; start < docs.length; start += loadBatchSizeMax) {
    const batch = docs.slice(start, start + loadBatchSizeMax).map((doc) => ({
      _id: doc.id as never,
      ...doc,
      tags: [...new Set(doc.tags)],
    }));
    await transactions.insertMany(batch, { ordered: false });
  }
  const rollups = rollupsOf(docs).map(({ rollupKey, ...rest }) => ({
    _id: rollupKey as never,
    ...rest,
  }));
  const collection = mongo.collection(mongoCollections.rollupsDaily);
  for (let start = 0; start < rollups.length; start += loadBatchSizeMax) {
    await collection.insertMany(rollups.slice(start, start + loadBatchSizeMax), { ordered: false });
  }
}

/** Bulk-index documents and refresh so they are searchable at once. */
export async function loadSearchDocuments(
  search: SearchTransport,
  index: string,
  docs: TransactionDoc[],
): Promise<void> {
  for (let start = 0; start < docs.length; start += loadBatchSizeMax) {
    const lines: string[] = [];
    for (const doc of docs.slice(start, start + loadBatchSizeMax)) {
      lines.push(JSON.stringify({ index: { _index: index, _id: doc.id } }));
      lines.push(JSON.stringify(toIndexedSource(doc)));
    }
    const response = (await search.request('POST', '/_bulk', `${lines.join('\n')}\n`)) as {
      errors: boolean;
      items: Array<Record<string, { error?: unknown }>>;
    };
    invariant(
      !response.errors,
      `bulk indexing failed: ${JSON.stringify(response.items.find((item) => Object.values(item)[0]?.error))}`,
    );
  }
  await search.request('POST', `/${encodeURIComponent(index)}/_refresh`);
}
