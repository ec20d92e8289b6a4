/**
 * The search filters as query parameters, shared by search and export, turned into a store query.
 */
import type Koa from 'koa';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@spendstream/core/http';
import {
  categoryIdLengthMax,
  idSchema,
  labelLengthMax,
  tagLengthMax,
  transactionKinds,
} from '@spendstream/core/events';
import { ValidationError } from '@spendstream/core/errors';
import type { FeatureDeps } from '../../http/deps.js';
import { targetUserId } from '../../http/request-scope.js';
import { categoriesOfUser } from '../categories/custom-categories.js';
import {
  assertKnownCategories,
  booleanParam,
  listParam,
  localDateParam,
  minorUnitsParam,
} from '../../http/query-schemas.js';
import { addDays, assertRangeBounded } from '../../domain/periods.js';
import {
  flows,
  searchSorts,
  type SearchCursor,
  type SearchQuery,
} from '../../query/analytics-store.js';

/** Largest search page. */
export const searchPageSizeMax = 100;
export const searchPageSizeDefault = 25;
/** Longest cursor a client may send back, in characters (one is well under it). */
export const searchCursorLengthMax = 1024;
/** Longest full-text query, in characters. */
export const searchTextLengthMax = 200;

export const searchFilterParams = {
  userId: idSchema.optional(),
  q: z.string().max(searchTextLengthMax).optional(),
  from: localDateParam.optional(),
  to: localDateParam.optional(),
  minAmount: minorUnitsParam.optional(),
  maxAmount: minorUnitsParam.optional(),
  category: listParam(z.string().min(1).max(categoryIdLengthMax)),
  walletId: listParam(idSchema),
  tag: listParam(z.string().min(1).max(tagLengthMax)),
  currency: listParam(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as EUR')),
  status: listParam(z.enum(['booked', 'reversed'])),
  kind: listParam(z.enum(transactionKinds)),
  flow: listParam(z.enum(flows)),
  /** The merchant's display name, exactly (`Countdown Ponsonby`). */
  merchant: z.string().min(1).max(labelLengthMax).optional(),
  /** The merchant key, exactly (`countdown`): what a budget's `scope.merchantKeys` names. */
  merchantKey: z.string().min(1).max(labelLengthMax).optional(),
  sort: z.enum(searchSorts).default('date_desc'),
};

export const searchQuerySchema = z
  .object({
    ...searchFilterParams,
    limit: z.coerce.number().int().min(1).max(searchPageSizeMax).default(searchPageSizeDefault),
    cursor: z.string().max(searchCursorLengthMax).optional(),
    facets: booleanParam.default(false),
  })
  .strict();

/** Longest sort value a cursor carries (an ISO instant or a decimal amount, in characters). */
const cursorValueLengthMax = 64;
const cursorPosition = z.object({
  s: z.enum(searchSorts),
  v: z.string().max(cursorValueLengthMax),
  id: idSchema,
});

export function encodeSearchCursor(sort: SearchQuery['sort'], cursor: SearchCursor): string {
  return encodeCursor({ s: sort, v: cursor.value, id: cursor.id });
}

type FilterInput = z.infer<z.ZodObject<typeof searchFilterParams>>;

/** Validate the filters and build the store query (without paging). */
export async function searchQueryOf(
  ctx: Koa.Context,
  deps: FeatureDeps,
  input: FilterInput,
): Promise<Omit<SearchQuery, 'limit' | 'withFacets'>> {
  const userId = targetUserId(ctx, input.userId);
  assertKnownCategories(await categoriesOfUser(deps, userId), input.category);
  if (input.from !== undefined && input.to !== undefined) {
    if (input.to < input.from)
      throw new ValidationError('to must not be before from', { field: 'to' });
    assertRangeBounded({ from: input.from, to: addDays(input.to, 1) });
  }
  if (
    input.minAmount !== undefined &&
    input.maxAmount !== undefined &&
    input.maxAmount < input.minAmount
  ) {
    throw new ValidationError('maxAmount must not be below minAmount', { field: 'maxAmount' });
  }
  return {
    userId,
    text: input.q,
    from: input.from,
    to: input.to === undefined ? undefined : addDays(input.to, 1),
    minAmountMinor: input.minAmount,
    maxAmountMinor: input.maxAmount,
    categories: input.category,
    walletIds: input.walletId,
    tags: input.tag,
    currencies: input.currency,
    statuses: input.status,
    kinds: input.kind,
    flows: input.flow,
    merchant: input.merchant,
    merchantKey: input.merchantKey,
    sort: input.sort,
  };
}

/** The sort values a cursor carries: `occurredAt` as stored (UTC ISO), or a home amount. */
const isoInstant = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$/;
const minorUnits = /^(0|[1-9][0-9]{0,18})$/;

/** Decode a cursor, refusing one made for another sort order or holding no sort value of it. */
export function decodeSearchCursor(
  cursor: string | undefined,
  sort: SearchQuery['sort'],
): SearchCursor | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor, cursorPosition);
  if (position.s !== sort) {
    throw new ValidationError('this cursor belongs to another sort order', { field: 'cursor' });
  }
  // The value is a sort key the backend compares with its own (an OpenSearch `search_after` of
  // the wrong type is an error there, not an empty page).
  const valid = sort.startsWith('date')
    ? isoInstant.test(position.v) && !Number.isNaN(Date.parse(position.v))
    : minorUnits.test(position.v);
  if (!valid)
    throw new ValidationError('invalid cursor: pass back a nextCursor unchanged', {
      field: 'cursor',
    });
  return { value: position.v, id: position.id };
}
