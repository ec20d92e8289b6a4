import test from 'ava';
import { cellKeyOf, encodeKeyPart } from './contributions.js';

const parts = [
  '',
  'user-1',
  'a|b',
  '50%',
  'café',
  'with space',
  "it's (ok)!~*",
  'x.y_z-1',
  'slash/and?query=1&b',
  '😀',
  'raw:countdown-ponsonby',
];

test('a key part is encoded exactly as encodeURIComponent does', (t) => {
  for (const part of parts) t.is(encodeKeyPart(part), encodeURIComponent(part), part);
});

test('a cell key is its parts URI-encoded and joined by |', (t) => {
  for (const part of parts) {
    const cell = {
      userId: part,
      grain: 'day',
      period: `2026-11-${part}`,
      dimension: 'tag',
      key: part,
      currency: part.slice(0, 3),
    } as const;
    t.is(
      cellKeyOf(cell),
      [cell.userId, cell.grain, cell.period, cell.dimension, cell.key, cell.currency]
        .map(encodeURIComponent)
        .join('|'),
    );
  }
});
