/**
 * Load transaction documents into MongoDB (the yearly buckets) and the search index in bulk: what
 * the projector would build, at version 0, for benchmarks (projecting millions of events through
 * FerretDB takes hours). Not used by the running service.
 */
import type { Db } from 'mongodb';
import { invariant } from '@spendstream/core/errors';
import type { TransactionDoc } from './analytics-store.js';
import { bucketCollectionOf, bucketId } from './mongo-rollups.js';
import { yearlyBucketsOf } from './rollups.js';
import { toIndexedSource, type SearchTransport } from './search-index.js';

export { ensureSearchIndex } from './search-index.js';

/** Documents per bulk request to the search index. */
export const loadBatchSizeMax = 2_000;
/** Yearly buckets per insertMany (each holds a user's year of rows). */
export const bucketBatchSizeMax = 50;

/** Write the yearly buckets of these documents (a user's year must be loaded in one call). */
export async function loadMongoDocuments(mongo: Db, docs: TransactionDoc[]): Promise<void> {
  const byCollection = new Map<string, Array<Record<string, unknown>>>();
  for (const bucket of yearlyBucketsOf(docs)) {
    const name = bucketCollectionOf(bucket.userId);
    const list = byCollection.get(name) ?? [];
    list.push({ _id: bucketId(bucket.userId, bucket.year), ...bucket, rev: 1 });
    byCollection.set(name, list);
  }
  for (const [name, buckets] of byCollection) {
    const collection = mongo.collection(name);
    for (let start = 0; start < buckets.length; start += bucketBatchSizeMax) {
      await collection.insertMany(buckets.slice(start, start + bucketBatchSizeMax) as never[], {
        ordered: false,
      });
    }
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
