import test from 'ava';
import { parseSse } from '../src/app/sse.js';
import { builtInCategoryTree } from '../../analytics-api/src/domain/categories.js';
import { categoryIds, categoryLabel, categoryTree, guessCategory } from '../src/app/categories.js';

test('an SSE buffer splits into complete events and keeps the unfinished rest', (t) => {
  const { events, rest } = parseSse(
    'retry: 1000\n\n: keep-alive\n\nid: 7\nevent: alert\ndata: {"a":1}\n\nid: 8\nevent: al',
  );
  t.deepEqual(events, [
    { event: 'message', data: '', retry: 1000 },
    { id: '7', event: 'alert', data: '{"a":1}' },
  ]);
  t.is(rest, 'id: 8\nevent: al');
});

test('SSE lines may end in CRLF or CR, data lines join with newlines, unknown fields are ignored', (t) => {
  const { events, rest } = parseSse('data: one\r\ndata:two\r\nfoo: bar\r\n\r\ndata\rid: 9\r\r');
  t.deepEqual(events, [
    { event: 'message', data: 'one\ntwo' },
    { event: 'message', data: '', id: '9' },
  ]);
  t.is(rest, '');
});

test('an id with a NUL is ignored and a non-numeric retry too', (t) => {
  const { events } = parseSse('id: a\0b\nretry: soon\ndata: x\n\n');
  t.deepEqual(events, [{ event: 'message', data: 'x' }]);
});

test('categories: labels for leaves and parents, unique ids, suggestions from merchant words', (t) => {
  t.is(categoryLabel('food'), 'Food & drink');
  t.is(categoryLabel('fast_food'), 'Fast food');
  t.is(categoryLabel('food.coffee'), 'Coffee');
  t.is(categoryLabel(null), 'Uncategorized');
  t.is(new Set(categoryIds).size, categoryIds.length);
  t.is(guessCategory('STARBUCKS #123'), 'coffee');
  t.is(guessCategory('Uber *trip'), 'rideshare');
  t.is(guessCategory('ACME PAYROLL'), 'salary');
  t.is(guessCategory('Zzyzx'), undefined);
  for (const id of ['coffee', 'rideshare', 'salary', 'groceries', 'streaming']) {
    t.true(categoryIds.includes(id), id);
  }
});

test('the category tree the page offers is the one analytics-api accepts', (t) => {
  // No API lists the categories yet: the page keeps a copy, held to the original here.
  t.deepEqual(
    categoryTree.map(([top, subs]) => [top, [...subs]]),
    builtInCategoryTree.map(([top, subs]) => [top, [...subs]]),
  );
});
