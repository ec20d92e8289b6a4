/**
 * The search-index port: the canonical transaction documents, searchable by text and filters.
 * Writes are bulk and idempotent by id and version (a replay or an older version is a no-op).
 * Adapters: OpenSearch and Elasticsearch (opensearch-index.ts, one body format, two clients) and
 * embedded SQL (sql-index.ts); all pass search-contract.ts.
 */
import type { SqlBinding } from '../documents/store.js';
import type { TransactionDocument } from '../documents/transaction-document.js';

/** Most documents per bulk call (a whole embedded batch of raw transactions is one call). */
export const indexBatchSizeMax = 5_000;
/** Largest search page. */
export const searchPageSizeMax = 500;

export interface SearchQuery {
  userId: string;
  /** Words matched against merchant name, raw merchant, description and note. */
  text?: string;
  /** A category id anywhere on the document's path (a parent matches its subtree). */
  categoryId?: string;
  merchantKey?: string;
  walletId?: string;
  /** Inclusive lower and exclusive upper bound on `occurredAtUtc`. */
  from?: string;
  to?: string;
  /** Bounds on `homeAmountMinor`, inclusive. */
  minHomeAmount?: bigint;
  maxHomeAmount?: bigint;
  status?: 'booked' | 'reversed';
  limit?: number;
}

export interface SearchIndex {
  readonly kind: 'opensearch' | 'elasticsearch' | 'embedded';
  /** The SQL index only: its database and the index bound to a transaction of it. */
  readonly sql?: SqlBinding<SearchIndex>;
  init(): Promise<void>;
  /** Writes documents; a document whose id holds the same or a newer version is skipped. */
  index(docs: TransactionDocument[]): Promise<void>;
  /** Newest first (occurredAtUtc desc, then id). */
  search(query: SearchQuery): Promise<TransactionDocument[]>;
  /** The indexed version of each id (absent ids are left out), for reconcile. */
  versions(ids: string[]): Promise<Map<string, number>>;
  /** Makes everything written so far searchable (a no-op where writes are immediately visible). */
  refresh(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
