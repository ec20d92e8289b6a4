/**
 * Load transaction documents into MongoDB (the yearly ledgers and sums) and the search index in
 * bulk: what the projector would build, at version 0, for benchmarks (projecting millions of
 * events one batch at a time is the projector's own measurement). Not used by the running service.
 */
import type { Collection, Db } from 'mongodb';
import { invariant } from '@spendstream/core/errors';
import type { TransactionDoc } from './analytics-store.js';
import { encodeLedger, type LedgerDocument } from './mongo-ledger.js';
import { bucketId, sumsDocumentOf, type SumsDocument } from './mongo-rollups.js';
import { ledgerCollectionOf, sumsCollectionOf } from './mongo-spread.js';
import { yearlyBucketsOf } from './rollups.js';
import { toIndexedSource, type SearchTransport } from './search-index.js';

export { ensureSearchIndex } from './search-index.js';

/** Documents per bulk request to the search index. */
export const loadBatchSizeMax = 2_000;
/** Yearly documents per insertMany (each holds a user's year of rows). */
export const bucketBatchSizeMax = 50;

/**
 * Collections written at once: the read-model databases are separate SQLite files on FerretDB, so
 * writes to different ones need not wait for each other.
 */
export const loadCollectionsParallelMax = 4;

/** Write the yearly ledgers and sums of these documents (a user's year must be loaded in one call). */
export async function loadMongoDocuments(mongo: Db, docs: TransactionDoc[]): Promise<void> {
  type Loaded = LedgerDocument | SumsDocument;
  const byCollection = new Map<string, { collection: Collection<Loaded>; documents: Loaded[] }>();
  const add = (collection: Collection<Loaded>, document: Loaded) => {
    const key = collection.namespace;
    const entry = byCollection.get(key) ?? { collection, documents: [] };
    entry.documents.push(document);
    byCollection.set(key, entry);
  };
  for (const { userId, year, rows, gone } of yearlyBucketsOf(docs)) {
    const _id = bucketId(userId, year);
    add(ledgerCollectionOf<Loaded>(mongo, userId), {
      _id,
      userId,
      year,
      rev: 1,
      entries: encodeLedger(year, { rows, gone }),
    });
    add(sumsCollectionOf<Loaded>(mongo, userId), sumsDocumentOf(userId, year, 1, rows));
  }
  const pending = [...byCollection.values()];
  const worker = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) {
      const { collection, documents } = next;
      for (let start = 0; start < documents.length; start += bucketBatchSizeMax) {
        await collection.insertMany(documents.slice(start, start + bucketBatchSizeMax), {
          ordered: false,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: loadCollectionsParallelMax }, worker));
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
