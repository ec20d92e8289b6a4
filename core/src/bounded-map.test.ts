import test from 'ava';
import { BoundedMap } from './bounded-map.js';

test('holds up to its bound and answers like a Map', (t) => {
  const map = new BoundedMap<string, number>(3);
  map.set('a', 1).set('b', 2).set('c', 3);
  t.is(map.size, 3);
  t.is(map.get('b'), 2);
  t.true(map.has('c'));
  t.deepEqual([...map.keys()], ['a', 'b', 'c']);
});

test('a new key when full empties the map first', (t) => {
  const map = new BoundedMap<string, number>(3);
  map.set('a', 1).set('b', 2).set('c', 3);
  map.set('d', 4);
  t.deepEqual([...map.entries()], [['d', 4]]);
  t.is(map.get('a'), undefined);
});

test('replacing a key it holds when full keeps every entry', (t) => {
  const map = new BoundedMap<string, number>(2);
  map.set('a', 1).set('b', 2);
  map.set('a', 10);
  t.deepEqual(
    [...map.entries()],
    [
      ['a', 10],
      ['b', 2],
    ],
  );
});

test('never holds more than its bound over many keys', (t) => {
  const map = new BoundedMap<number, number>(100);
  let largest = 0;
  for (let i = 0; i < 1_000; i += 1) {
    map.set(i, i);
    largest = Math.max(largest, map.size);
  }
  t.is(largest, 100);
  t.is(map.get(999), 999);
});

test('refuses a bound below one or not an integer', (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
    t.throws(() => new BoundedMap(bad), { instanceOf: RangeError, message: /at least 1 entry/ });
});
