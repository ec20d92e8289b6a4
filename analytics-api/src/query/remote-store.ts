/**
 * The production query port: rollups from MongoDB, search from OpenSearch or Elasticsearch.
 */
import type { Db } from 'mongodb';
import type { AnalyticsStore, TransactionDoc } from './analytics-store.js';
import { aggregateMongo } from './mongo-rollups.js';
import { searchIndex, type SearchTransport } from './search-index.js';

export interface RemoteStoreOptions {
  mongo: Db;
  search: SearchTransport;
  /** The search index (or alias) holding transaction documents. */
  index: string;
  /** Called by `close()`: releases the connections the store was given. */
  onClose?: () => Promise<void>;
}

/** Build the MongoDB + search index query port. */
export function createRemoteAnalyticsStore(options: RemoteStoreOptions): AnalyticsStore {
  const { mongo, search, index } = options;
  return {
    aggregate: (query) => aggregateMongo(mongo, query),
    search: (query) => searchIndex(search, index, query),
    async findTransaction(userId: string, id: string): Promise<TransactionDoc | null> {
      // A filtered search rather than a GET by id: the userId filter hides other users' ids.
      const page = await searchIndex(search, index, {
        userId,
        ids: [id],
        sort: 'date_desc',
        limit: 1,
        withFacets: false,
      });
      return page.items[0] ?? null;
    },
    async ping(): Promise<void> {
      await mongo.command({ ping: 1 });
      await search.request('GET', '/');
    },
    async close(): Promise<void> {
      await options.onClose?.();
    },
  };
}
