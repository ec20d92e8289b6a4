import test from 'ava';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { decodeCursor, encodeCursor, pageFrom, parsePageRequest } from './pagination.js';

const position = z.object({ occurredAt: z.string(), id: z.string() });
const limits = { pageSizeMax: 100, pageSizeDefault: 20 };

test('a cursor is opaque base64url and decodes back to its position', (t) => {
  const cursor = encodeCursor({ occurredAt: '2026-01-01T00:00:00Z', id: 'tx/+1' });
  t.regex(cursor, /^[A-Za-z0-9_-]+$/);
  t.deepEqual(decodeCursor(cursor, position), { occurredAt: '2026-01-01T00:00:00Z', id: 'tx/+1' });
});

test('a tampered or foreign cursor is a ValidationError naming cursor', (t) => {
  for (const bad of ['%%%', encodeCursor({ other: 1 }), 'bm90IGpzb24', 'x'.repeat(2_000)]) {
    const error = t.throws(() => decodeCursor(bad, position), { instanceOf: ValidationError });
    t.is(error.field, 'cursor');
  }
});

test('limit defaults, is bounded by pageSizeMax, and must be a positive integer', (t) => {
  t.is(parsePageRequest({}, limits, position).limit, 20);
  t.is(parsePageRequest({ limit: '100' }, limits, position).limit, 100);
  for (const limit of ['101', '0', '2.5', 'ten']) {
    const error = t.throws(() => parsePageRequest({ limit }, limits, position), {
      instanceOf: ValidationError,
    });
    t.is(error.field, 'limit');
  }
});

test('pageFrom gives a next cursor only when more rows exist, pointing after the last item', (t) => {
  const rows = [1, 2, 3].map((n) => ({ occurredAt: `2026-01-0${n}`, id: `t${n}` }));
  const first = pageFrom(rows, 2, (r) => r);
  t.deepEqual(first.items, rows.slice(0, 2));
  t.deepEqual(parsePageRequest({ cursor: first.nextCursor }, limits, position).after, rows[1]);
  const last = pageFrom(rows.slice(2), 2, (r) => r);
  t.is(last.nextCursor, null);
});
