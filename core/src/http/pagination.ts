/**
 * Cursor pagination: the client gets an opaque base64url cursor (a JSON position, say the last
 * row's sort key and id) and a `limit` bounded by the endpoint's `pageSizeMax`. Cursors are opaque
 * to clients but not secret: never put anything in one a user may not see.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { parseWith } from './validate.js';

/** Longest cursor accepted, in characters: positions are small, anything longer is junk. */
export const cursorCharsMax = 1_024;

/** Encode a position as an opaque cursor. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decode a cursor and validate its position; a bad cursor is a 400 naming `cursor`. */
export function decodeCursor<Schema extends z.ZodType>(
  cursor: string,
  schema: Schema,
): z.infer<Schema> {
  const bad = () =>
    new ValidationError('invalid cursor: pass back a nextCursor unchanged', { field: 'cursor' });
  if (cursor.length > cursorCharsMax || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const result = schema.safeParse(position);
  if (!result.success) throw bad();
  return result.data;
}

export interface PageLimits {
  /** Largest page a client may ask for. */
  pageSizeMax: number;
  /** Page size when the client does not say. */
  pageSizeDefault: number;
}

/** The query-string schema for `limit` and `cursor` under given bounds. */
export function pageQuerySchema(limits: PageLimits) {
  return z.object({
    limit: z.coerce
      .number({ error: 'expected an integer' })
      .int({ error: 'expected an integer' })
      .min(1, { error: 'expected at least 1' })
      .max(limits.pageSizeMax, { error: `expected at most ${limits.pageSizeMax}` })
      .default(limits.pageSizeDefault),
    cursor: z.string().max(cursorCharsMax).optional(),
  });
}

export interface PageRequest<Position> {
  limit: number;
  /** The decoded position to continue after; undefined for the first page. */
  after: Position | undefined;
}

/** Read `limit` and `cursor` from a query object and decode the cursor with `positionSchema`. */
export function parsePageRequest<Schema extends z.ZodType>(
  query: unknown,
  limits: PageLimits,
  positionSchema: Schema,
): PageRequest<z.infer<Schema>> {
  const { limit, cursor } = parseWith(pageQuerySchema(limits).loose(), query, 'query');
  return { limit, after: cursor === undefined ? undefined : decodeCursor(cursor, positionSchema) };
}

export interface Page<Item> {
  items: Item[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Build a page from rows fetched with `limit + 1` (the extra row only says whether more exist).
 */
export function pageFrom<Item>(
  rows: Item[],
  limit: number,
  positionOf: (item: Item) => unknown,
): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}
