/**
 * Aggregates over MongoDB: daily rollups for every dimension but tags, the transaction documents
 * (one `$unwind` of tags) for tags. Only `$match`, `$unwind` and `$group` with `$sum`, so the same
 * pipeline runs on FerretDB v1.
 */
import type { Db, Document } from 'mongodb';
import { UnavailableError } from '@spendstream/core/errors';
import { reversedStatus } from './rollups.js';
import type { AggregateQuery, AggregateRow, GroupDimension } from './analytics-store.js';

export const mongoCollections = {
  transactions: 'transactions',
  rollupsDaily: 'rollups_daily',
} as const;

const rollupFields: Record<GroupDimension, string> = {
  category: 'category',
  subcategory: 'subcategory',
  merchant: 'merchant',
  wallet: 'walletId',
  currency: 'currency',
  flow: 'flow',
  day: 'localDate',
  tag: 'tags',
};

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (value === null || value === undefined) return 0n;
  return BigInt(String(value));
}

/**
 * What the server can do beyond the FerretDB v1 subset. Measured on FerretDB 1.24 (SQLite): it
 * answers 0 for every `$sum` after the first in one `$group`, and its `$unwind` drops every other
 * field of the document. So the portable path runs one pipeline per accumulator and, for tags, one
 * `$match` per distinct tag; genuine MongoDB, detected by the absence of `ferretdbVersion` in
 * `buildInfo`, gets the single pipeline with `$unwind`.
 */
export interface MongoCapabilities {
  multipleAccumulators: boolean;
  unwind: boolean;
}

/** The portable default: assume FerretDB's limits. */
export const portableMongoCapabilities: MongoCapabilities = {
  multipleAccumulators: false,
  unwind: false,
};

/** Most distinct tags one portable tag aggregate queries, one pipeline each. */
export const portableTagsMax = 200;

/** Ask the server what it is; any doubt keeps the portable path. */
export async function detectMongoCapabilities(db: Db): Promise<MongoCapabilities> {
  try {
    const info = await db.admin().command({ buildInfo: 1 });
    const genuine = !('ferretdbVersion' in info);
    return { multipleAccumulators: genuine, unwind: genuine };
  } catch {
    return portableMongoCapabilities;
  }
}

const accumulatorNames = ['homeMinor', 'originalMinor', 'count'] as const;

/** Run one aggregate query against MongoDB. */
export async function aggregateMongo(
  db: Db,
  query: AggregateQuery,
  capabilities: MongoCapabilities = portableMongoCapabilities,
): Promise<AggregateRow[]> {
  if (!query.groupBy.includes('tag') || capabilities.unwind) {
    return aggregateOnce(db, query, capabilities, undefined);
  }
  // Portable tags: the distinct tags in range, then one aggregate per tag without $unwind.
  const dimensions = query.groupBy.filter((dimension) => dimension !== 'tag');
  const tags = (
    await db
      .collection(mongoCollections.transactions)
      .distinct('tags', matchOf(query, true))
      .catch((error: unknown) => {
        throw new UnavailableError('the rollup store did not answer', 1, { cause: error });
      })
  )
    .map(String)
    .filter(
      (tag) => query.tags === undefined || query.tags.length === 0 || query.tags.includes(tag),
    );
  if (tags.length > portableTagsMax) {
    throw new UnavailableError(`more than ${portableTagsMax} distinct tags in this range`);
  }
  const perTag = await Promise.all(
    tags.map(async (tag) => {
      const rows = await aggregateOnce(db, { ...query, groupBy: dimensions }, capabilities, tag);
      return rows.map((row) => ({ ...row, key: { ...row.key, tag } }));
    }),
  );
  return perTag.flat();
}

function matchOf(query: AggregateQuery, fromDocuments: boolean): Document {
  const match: Document = {
    userId: query.userId,
    localDate: { $gte: query.from, $lt: query.to },
  };
  if (fromDocuments) match.status = { $ne: reversedStatus };
  if (query.flows?.length) match.flow = { $in: query.flows };
  if (query.walletIds?.length) match.walletId = { $in: query.walletIds };
  if (query.categories?.length) {
    match.$or = [
      { category: { $in: query.categories } },
      { subcategory: { $in: query.categories } },
    ];
  }
  if (query.merchants?.length) match.merchant = { $in: query.merchants };
  if (query.tags?.length) match.tags = { $in: query.tags };
  return match;
}

async function aggregateOnce(
  db: Db,
  query: AggregateQuery,
  capabilities: MongoCapabilities,
  onlyTag: string | undefined,
): Promise<AggregateRow[]> {
  const byTag = query.groupBy.includes('tag');
  // Tags live on the documents, not in the rollups.
  const fromDocuments = byTag || onlyTag !== undefined || (query.tags?.length ?? 0) > 0;
  const match = matchOf(query, fromDocuments);
  // An equality on an array field matches documents carrying that element.
  if (onlyTag !== undefined) match.tags = onlyTag;
  const groupId: Document = {};
  for (const dimension of query.groupBy) groupId[dimension] = `$${rollupFields[dimension]}`;
  const accumulators: Record<(typeof accumulatorNames)[number], Document> = {
    homeMinor: { $sum: fromDocuments ? '$homeAmountMinor' : '$homeMinor' },
    originalMinor: { $sum: fromDocuments ? '$amountMinor' : '$originalMinor' },
    count: { $sum: fromDocuments ? 1 : '$count' },
  };
  const pipelineWith = (fields: Document): Document[] => [
    { $match: match },
    ...(byTag ? [{ $unwind: '$tags' }] : []),
    { $group: { _id: query.groupBy.length > 0 ? groupId : null, ...fields } },
  ];
  const collection = db.collection(
    fromDocuments ? mongoCollections.transactions : mongoCollections.rollupsDaily,
  );
  let results: Document[];
  try {
    if (capabilities.multipleAccumulators) {
      results = await collection.aggregate(pipelineWith(accumulators)).toArray();
    } else {
      const parts = await Promise.all(
        accumulatorNames.map((name) =>
          collection.aggregate(pipelineWith({ [name]: accumulators[name] })).toArray(),
        ),
      );
      const merged = new Map<string, Document>();
      for (const part of parts) {
        for (const result of part) {
          const key = JSON.stringify(result._id ?? null);
          merged.set(key, { ...merged.get(key), ...result });
        }
      }
      results = [...merged.values()];
    }
  } catch (error) {
    throw new UnavailableError('the rollup store did not answer', 1, { cause: error });
  }
  return results
    .filter((result) => toBigInt(result.count) > 0n)
    .map((result) => {
      const key: AggregateRow['key'] = {};
      const id = (result._id ?? {}) as Record<string, unknown>;
      for (const dimension of query.groupBy) {
        const value = id[dimension];
        key[dimension] = value === undefined || value === null ? null : String(value);
      }
      return {
        key,
        homeMinor: toBigInt(result.homeMinor),
        originalMinor: toBigInt(result.originalMinor),
        count: Number(toBigInt(result.count)),
      };
    });
}
