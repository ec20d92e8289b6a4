/**
 * OpenSearch and Elasticsearch adapters of the search-index port. The request bodies are the same;
 * only the clients differ (the Elasticsearch client refuses OpenSearch servers, and their method
 * signatures differ slightly), so each gets a small `RestLike` wrapper.
 */
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { ValidationError } from '@spendstream/core/errors';
import { documentFromJson } from '../documents/store.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import {
  indexBatchSizeMax,
  searchPageSizeMax,
  type SearchIndex,
  type SearchQuery,
} from './search-index.js';

/** How long one request may take before it fails (a stuck sink surfaces as an error, not a hang). */
export const requestTimeoutMs = 30_000;

/** The few calls we make, in the shape both clients can serve. */
interface RestLike {
  indexExists(index: string): Promise<boolean>;
  createIndex(index: string, body: object): Promise<void>;
  bulk(body: object[]): Promise<{
    errors: boolean;
    items: Array<Record<string, { status: number; error?: unknown }>>;
  }>;
  search(
    index: string,
    body: object,
  ): Promise<{
    hits: { hits: Array<{ _id: string; _source: Record<string, unknown>; _version?: number }> };
  }>;
  mget(
    index: string,
    ids: string[],
  ): Promise<{ docs: Array<{ _id: string; found?: boolean; _source?: { version?: number } }> }>;
  refresh(index: string): Promise<void>;
  ping(): Promise<void>;
  deleteIndex(index: string): Promise<void>;
  close(): Promise<void>;
}

function openSearchRest(url: string): RestLike {
  const client = new OpenSearchClient({ node: url, requestTimeout: requestTimeoutMs });
  return {
    async indexExists(index) {
      return (await client.indices.exists({ index })).body === true;
    },
    async createIndex(index, body) {
      await client.indices.create({ index, body: body as never });
    },
    async bulk(body) {
      return (await client.bulk({ body: body as never })).body as never;
    },
    async search(index, body) {
      return (await client.search({ index, body: body as never })).body as never;
    },
    async mget(index, ids) {
      return (await client.mget({ index, body: { ids }, _source_includes: ['version'] } as never))
        .body as never;
    },
    async refresh(index) {
      await client.indices.refresh({ index });
    },
    async ping() {
      await client.ping();
    },
    async deleteIndex(index) {
      await client.indices.delete({ index, ignore_unavailable: true } as never);
    },
    async close() {
      await client.close();
    },
  };
}

function elasticsearchRest(url: string): RestLike {
  const client = new ElasticsearchClient({ node: url, requestTimeout: requestTimeoutMs });
  return {
    async indexExists(index) {
      return client.indices.exists({ index });
    },
    async createIndex(index, body) {
      await client.indices.create({ index, ...(body as object) });
    },
    async bulk(body) {
      return (await client.bulk({ operations: body })) as never;
    },
    async search(index, body) {
      return (await client.search({ index, ...(body as object) })) as never;
    },
    async mget(index, ids) {
      return (await client.mget({ index, ids, _source_includes: ['version'] })) as never;
    },
    async refresh(index) {
      await client.indices.refresh({ index });
    },
    async ping() {
      await client.ping();
    },
    async deleteIndex(index) {
      await client.indices.delete({ index, ignore_unavailable: true });
    },
    async close() {
      await client.close();
    },
  };
}

const keyword = { type: 'keyword' } as const;
const text = { type: 'text' } as const;

/** The mapping: ids and enums as keywords, names and descriptions as text, amounts as longs. */
export const transactionMapping = {
  dynamic: false,
  properties: {
    id: keyword,
    userId: keyword,
    walletId: keyword,
    source: keyword,
    externalId: keyword,
    version: { type: 'long' },
    rawVersion: { type: 'long' },
    status: keyword,
    kind: keyword,
    direction: keyword,
    amountMinor: { type: 'long' },
    currency: keyword,
    homeAmountMinor: { type: 'long' },
    homeCurrency: keyword,
    occurredAtUtc: { type: 'date' },
    localDate: keyword,
    localWeek: keyword,
    localMonth: keyword,
    timeZone: keyword,
    merchantKey: keyword,
    merchantName: { type: 'text', fields: { raw: keyword } },
    merchantRaw: text,
    description: text,
    note: text,
    mcc: keyword,
    bankCategory: keyword,
    category: {
      properties: { id: keyword, name: text, path: keyword, source: keyword, ruleId: keyword },
    },
    categoryReason: keyword,
    tags: keyword,
    transferId: keyword,
    channel: keyword,
  },
} as const;

/** Index body of a document: amounts as JSON numbers (|amount| <= 10^15 < 2^53, so exact). */
function sourceOf(doc: TransactionDocument): Record<string, unknown> {
  return {
    ...doc,
    amountMinor: Number(doc.amountMinor),
    homeAmountMinor: Number(doc.homeAmountMinor),
  };
}

export interface OpenSearchIndexOptions {
  url: string;
  /** `opensearch` (default) or `elasticsearch`: which client speaks to the server. */
  flavor?: 'opensearch' | 'elasticsearch';
  /** Index name; default `spendstream-transactions`. */
  index?: string;
}

/** Thrown when the server rejected part of a bulk write for a reason other than a version conflict. */
export class BulkIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BulkIndexError';
  }
}

export function buildSearchBody(query: SearchQuery): object {
  const filter: object[] = [{ term: { userId: query.userId } }];
  if (query.categoryId) filter.push({ term: { 'category.path': query.categoryId } });
  if (query.merchantKey) filter.push({ term: { merchantKey: query.merchantKey } });
  if (query.walletId) filter.push({ term: { walletId: query.walletId } });
  if (query.status) filter.push({ term: { status: query.status } });
  if (query.from || query.to) {
    filter.push({
      range: {
        occurredAtUtc: {
          ...(query.from ? { gte: query.from } : {}),
          ...(query.to ? { lt: query.to } : {}),
        },
      },
    });
  }
  if (query.minHomeAmount !== undefined || query.maxHomeAmount !== undefined) {
    filter.push({
      range: {
        homeAmountMinor: {
          ...(query.minHomeAmount !== undefined ? { gte: Number(query.minHomeAmount) } : {}),
          ...(query.maxHomeAmount !== undefined ? { lte: Number(query.maxHomeAmount) } : {}),
        },
      },
    });
  }
  const must = query.text
    ? [
        {
          multi_match: {
            query: query.text,
            fields: ['merchantName^2', 'merchantRaw', 'description', 'note'],
            operator: 'and',
          },
        },
      ]
    : [];
  return {
    size: Math.min(query.limit ?? 50, searchPageSizeMax),
    query: { bool: { filter, must } },
    sort: [{ occurredAtUtc: 'desc' }, { id: 'asc' }],
  };
}

/** Creates the OpenSearch (or Elasticsearch) adapter. */
export function createOpenSearchIndex(
  options: OpenSearchIndexOptions,
): SearchIndex & { drop(): Promise<void> } {
  const flavor = options.flavor ?? 'opensearch';
  const rest =
    flavor === 'opensearch' ? openSearchRest(options.url) : elasticsearchRest(options.url);
  const index = options.index ?? 'spendstream-transactions';
  return {
    kind: flavor,
    async init() {
      if (await rest.indexExists(index)) return;
      try {
        await rest.createIndex(index, {
          settings: { number_of_shards: 1, number_of_replicas: 0 },
          mappings: transactionMapping,
        });
      } catch (error) {
        // Two workers starting together: the loser sees resource_already_exists_exception.
        if (!(await rest.indexExists(index))) throw error;
      }
    },
    async index(docs) {
      if (docs.length === 0) return;
      if (docs.length > indexBatchSizeMax) {
        throw new ValidationError(`index takes at most ${indexBatchSizeMax} documents`, {
          field: 'docs',
        });
      }
      const body: object[] = [];
      for (const doc of docs) {
        body.push({
          index: { _index: index, _id: doc.id, version: doc.version, version_type: 'external' },
        });
        body.push(sourceOf(doc));
      }
      const result = await rest.bulk(body);
      if (!result.errors) return;
      // 409: the index already holds this or a newer version, which is the idempotency we want.
      const failures = result.items
        .map((item) => Object.values(item)[0]!)
        .filter((outcome) => outcome.status !== 409 && outcome.status >= 300);
      if (failures.length > 0) {
        throw new BulkIndexError(
          `${failures.length} documents failed to index: ${JSON.stringify(failures[0]?.error)}`,
        );
      }
    },
    async search(query) {
      const result = await rest.search(index, buildSearchBody(query));
      return result.hits.hits.map((hit) => documentFromJson(hit._source));
    },
    async versions(ids) {
      const result = new Map<string, number>();
      if (ids.length === 0) return result;
      const response = await rest.mget(index, ids);
      for (const doc of response.docs) {
        if (doc.found && doc._source?.version !== undefined)
          result.set(doc._id, Number(doc._source.version));
      }
      return result;
    },
    async refresh() {
      await rest.refresh(index);
    },
    async ping() {
      await rest.ping();
    },
    async close() {
      await rest.close();
    },
    async drop() {
      await rest.deleteIndex(index);
    },
  };
}
