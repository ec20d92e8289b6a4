import test from 'ava';
import { mergeAnnotation, userContextOf, type UserState } from './user-state.js';
import { enrich } from '../enrich/enrich.js';
import { createRatesTable } from '../enrich/rates.js';
import { rawTransaction } from '../documents/test-documents.js';
import { DateTime } from 'luxon';

const at = (hour: number) => `2026-11-25T${String(hour).padStart(2, '0')}:00:00Z`;

test('annotations merge field by field, each field keeping its newest value, in any arrival order', (t) => {
  const tags = { correctionId: 'a', tags: ['x'], annotatedAt: at(10) };
  const note = { correctionId: 'b', note: 'hello', annotatedAt: at(9) };
  const first = mergeAnnotation(undefined, tags)!;
  const both = mergeAnnotation(first, note)!;
  const reversed = mergeAnnotation(mergeAnnotation(undefined, note), tags)!;
  t.deepEqual(both.tags?.value, ['x']);
  t.is(both.note?.value, 'hello');
  t.is(both.revision, 2);
  t.deepEqual(reversed, both);
});

test('a redelivered or older annotation changes nothing; a newer one replaces the field whole', (t) => {
  const stored = mergeAnnotation(undefined, {
    correctionId: 'a',
    tags: ['x', 'y', 'x'],
    note: 'n',
    annotatedAt: at(10),
  })!;
  t.deepEqual(stored.tags?.value, ['x', 'y']);
  t.is(
    mergeAnnotation(stored, {
      correctionId: 'a',
      tags: ['x', 'y'],
      note: 'n',
      annotatedAt: at(10),
    }),
    undefined,
  );
  t.is(
    mergeAnnotation(stored, { correctionId: 'z', tags: ['old'], annotatedAt: at(9) }),
    undefined,
  );
  const cleared = mergeAnnotation(stored, {
    correctionId: 'c',
    tags: [],
    note: null,
    annotatedAt: at(11),
  })!;
  t.deepEqual(cleared.tags?.value, []);
  t.is(cleared.note?.value, null);
  t.is(cleared.revision, 2);
  // Same instant written differently, same id: the same order.
  t.is(
    mergeAnnotation(cleared, {
      correctionId: 'c',
      tags: ['again'],
      annotatedAt: '2026-11-25T12:00:00+01:00',
    }),
    undefined,
  );
});

test("the user's tags and note win over the source's and raise the version; the source's are kept", (t) => {
  const state: UserState = {
    settings: undefined,
    budgets: undefined,
    rules: undefined,
    wallets: undefined,
    merchantCorrections: new Map(),
  };
  const raw = rawTransaction({ tags: ['bank'], note: 'bank note', version: 3 });
  const annotation = mergeAnnotation(
    mergeAnnotation(undefined, { correctionId: 'a', tags: ['mine'], annotatedAt: at(1) }),
    { correctionId: 'b', note: null, annotatedAt: at(2) },
  );
  const doc = enrich({
    raw,
    eventId: 'e',
    user: userContextOf(state, { category: 'presents', revision: 1 }, annotation),
    rates: createRatesTable(),
    now: DateTime.utc(),
  });
  t.deepEqual(doc.tags, ['mine']);
  t.is(doc.note, undefined);
  t.deepEqual(doc.sourceTags, ['bank']);
  t.is(doc.sourceNote, 'bank note');
  t.is(doc.annotationRevision, 2);
  t.is(doc.version, 3 * 1_048_576 + 1 + 2);
  const plain = enrich({
    raw,
    eventId: 'e',
    user: userContextOf(state, undefined),
    rates: createRatesTable(),
    now: DateTime.utc(),
  });
  t.deepEqual(plain.tags, ['bank']);
  t.is(plain.note, 'bank note');
  t.is(plain.version, 3 * 1_048_576);
});
