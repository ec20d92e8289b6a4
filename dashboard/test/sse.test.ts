import test from 'ava';
import { parseSse } from '../src/app/sse.js';
import {
  builtInCategoryTree,
  createDefaultCategoryCatalog,
} from '../../analytics-api/src/domain/categories.js';
import { categoryLabel, categoryTreeOf, guessCategory } from '../src/app/categories.js';

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

test('categories: labels from the loaded tree, else from the id; suggestions are ids analytics accepts', (t) => {
  t.is(categoryLabel('pharmacy'), 'Pharmacy', 'before the tree is loaded: the id made readable');
  const catalog = createDefaultCategoryCatalog();
  categoryTreeOf(catalog.entries().map((entry) => ({ ...entry, custom: false })));
  t.is(categoryLabel('food'), 'Food & drink');
  t.is(categoryLabel('pharmacy'), 'Pharmacy & beauty');
  t.is(categoryLabel('food.coffee'), 'Coffee');
  t.is(categoryLabel('unknown_thing'), 'Unknown thing');
  t.is(categoryLabel(null), 'Uncategorized');
  t.is(guessCategory('STARBUCKS #123'), 'coffee');
  t.is(guessCategory('Uber *trip'), 'rideshare');
  t.is(guessCategory('ACME PAYROLL'), 'salary');
  t.is(guessCategory('Zzyzx'), undefined);
  for (const merchant of ['cafe', 'pizza', 'tesco', 'taxi', 'metro', 'hotel', 'netflix']) {
    const id = guessCategory(merchant);
    t.true(id !== undefined && catalog.has(id), merchant);
  }
  for (const merchant of ['clinic', 'cinema', 'ikea', 'landlord', 'internet', 'salary']) {
    const id = guessCategory(merchant);
    t.true(id !== undefined && catalog.has(id), merchant);
  }
});

test("the page's tree is built from analytics-api's list: its tree, then custom categories", (t) => {
  const entries = createDefaultCategoryCatalog()
    .entries()
    .map((entry) => ({ ...entry, custom: false }));
  const tree = categoryTreeOf([
    ...entries,
    { id: 'household', name: 'Household', parentId: null, custom: true },
    { id: 'cleaning', name: 'Cleaning', parentId: 'household', custom: true },
    { id: 'vet', name: 'Vet', parentId: 'health', custom: true },
    // Under a subcategory or an unknown parent: offered at the top level.
    { id: 'espresso', name: 'Espresso', parentId: 'coffee', custom: true },
    { id: 'orphan', name: 'Orphan', parentId: 'nowhere', custom: true },
  ]);
  const expected = builtInCategoryTree.map(([top, , subs]) => [
    top,
    [...subs.map(([sub]) => sub), ...(top === 'health' ? ['vet'] : [])],
  ]);
  expected.push(['household', ['cleaning']], ['espresso', []], ['orphan', []]);
  t.deepEqual(
    tree.tops.map((top) => [top.id, [...top.children]]),
    expected,
  );
  t.true(tree.ids.has('cleaning') && tree.ids.has('groceries'));
  t.is(categoryLabel('cleaning'), 'Cleaning');
});
