import test from 'ava';
import { z } from 'zod';
import { amountMinorMax } from '../money.js';
import { eventCatalog, eventSchemaOf } from './catalog.js';
import { encodeEvent, InvalidEventError } from './codec.js';
import { exampleEvents } from './examples.js';
import { fastEncoderOf, notEncoded } from './fast-encode.js';
import type { TopicName } from './topics.js';
import { seededRandom } from '../testing/random.js';

type Path = Array<string | number>;

/** Every path in a value (objects and arrays included), root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const out: Path[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    out.push(path, ...pathsOf(child, path));
  }
  return out;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function setAt(root: unknown, path: Path, next: unknown | typeof remove): void {
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (next === remove) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = next;
}

function getAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

const remove = Symbol('remove');

/** Replacement values that probe each kind of check: types, bounds, formats, code points. */
function replacementsFor(current: unknown): unknown[] {
  const common: unknown[] = [remove, undefined, null, true, 0, -1, 1.5, NaN, Infinity, 0n, [], {}];
  if (typeof current === 'string')
    return [
      ...common,
      '',
      'x',
      'X',
      `${current}.`,
      `$${current}`,
      ` ${current}`,
      current.toUpperCase(),
      current.slice(0, -1),
      `${current}0`,
      'a'.repeat(40),
      'a'.repeat(41),
      'a'.repeat(64),
      'a'.repeat(65),
      'a'.repeat(128),
      'a'.repeat(129),
      'a'.repeat(200),
      'a'.repeat(201),
      'a'.repeat(2001),
      '\u{1F600}'.repeat(120),
      '\uD83D',
      '2026-02-30',
      '2026-11-24',
      '2026-11-24T19:32:10Z',
      '2026-11-24T19:32:10.123456+05:45',
      '2026-11-24 19:32:10Z',
      'Europe/Paris',
      'Not/A_Zone',
      '1.0842',
      '-1',
      '007',
    ];
  if (typeof current === 'bigint')
    return [...common, 1n, -1n, amountMinorMax, amountMinorMax + 1n, -amountMinorMax, '12', 12];
  if (typeof current === 'number')
    return [...common, current + 1, current - 1, 1000, 1001, 1_000_000, 1_000_001, 2 ** 53, '1'];
  if (Array.isArray(current))
    return [
      ...common,
      [...(current as unknown[]), ...(current as unknown[])],
      Array.from({ length: 21 }, (_, i) => `t${i}`),
      Array.from({ length: 6 }, () => current[0]),
      [1],
      ['ok'],
    ];
  if (current !== null && typeof current === 'object')
    return [
      ...common,
      { ...current, extra: 'ignored' },
      { ...current, __proto__: { inherited: 1 } },
      Object.assign(Object.create(null) as object, current),
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      { 'bad.key': 1 },
      { ok: [1] },
    ];
  return common;
}

interface Case {
  topic: TopicName;
  event: Record<string, unknown>;
}

/** Every example, each path changed to each replacement, plus random combinations of changes. */
function cases(): Case[] {
  const out: Case[] = [];
  const next = seededRandom(20261126);
  for (const [topic, examples] of Object.entries(exampleEvents) as Array<
    [TopicName, readonly unknown[]]
  >) {
    for (const example of examples) {
      const base = example as Record<string, unknown>;
      out.push({ topic, event: clone(base) });
      const paths = pathsOf(base);
      for (const path of paths)
        for (const value of replacementsFor(getAt(base, path))) {
          const event = clone(base);
          setAt(event, path, value);
          out.push({ topic, event });
        }
      // Random combinations: optional parts removed and up to three changes at once.
      for (let i = 0; i < 300; i += 1) {
        const event = clone(base);
        for (let changes = 1 + Math.floor(next() * 3); changes > 0; changes -= 1) {
          const now = pathsOf(event).filter((path) => path[0] !== 'type' && path[0] !== 'version');
          if (now.length === 0) break;
          const path = now[Math.floor(next() * now.length)]!;
          const options = replacementsFor(getAt(event, path));
          // Mostly removals and small changes, so many combinations stay valid.
          const value = next() < 0.4 ? remove : options[Math.floor(next() * options.length)];
          setAt(event, path, value);
        }
        out.push({ topic, event });
      }
    }
  }
  return out;
}

/** True when some object in the value has a prototype other than Object's (a record declines it). */
function hasOtherPrototype(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return true;
  return Object.values(value).some(hasOtherPrototype);
}

const hasSurrogate = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).match(
    /\\ud[89a-f]|[\uD800-\uDFFF]/i,
  ) !== null;

test('every schema of the catalog compiles', (t) => {
  for (const [topic, types] of Object.entries(eventCatalog))
    for (const [type, versions] of Object.entries(types))
      for (const version of Object.keys(versions)) {
        const schema = eventSchemaOf(topic as TopicName, type, Number(version))!;
        t.truthy(fastEncoderOf(schema), `${topic} ${type} v${version}`);
      }
});

test('the compiled encoder accepts exactly what zod encodes, with the same bytes, on thousands of mutated events', (t) => {
  let valid = 0;
  let invalid = 0;
  for (const { topic, event } of cases()) {
    const schema = eventSchemaOf(topic, event.type as string, event.version as number);
    if (!schema) continue;
    const fast = fastEncoderOf(schema)!(event);
    const slow = z.safeEncode(schema, event);
    const label = `${topic} ${JSON.stringify(event, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 3000)}`;
    if (fast !== notEncoded) {
      t.true(slow.success, `accepted what zod rejects: ${label}`);
      if (slow.success) t.is(JSON.stringify(fast), JSON.stringify(slow.data), label);
    } else if (slow.success) {
      // Declining is allowed only where code points and UTF-16 lengths can differ, or for a
      // record that is not a plain object.
      t.true(hasSurrogate(event) || hasOtherPrototype(event), `declined a valid event: ${label}`);
    }
    if (slow.success) valid += 1;
    else invalid += 1;
  }
  t.true(valid > 1_000, `valid cases: ${valid}`);
  t.true(invalid > 5_000, `invalid cases: ${invalid}`);
});

test('encodeEvent still rejects an invalid event through zod, naming the field', (t) => {
  const event = clone(exampleEvents['transactions.enriched'][0]) as Record<string, unknown>;
  (event.payload as Record<string, unknown>).localWeek = '2026-48';
  const error = t.throws(() => encodeEvent('transactions.enriched', event as never), {
    instanceOf: InvalidEventError,
  });
  t.deepEqual(
    error.fields.map((field) => field.path),
    ['payload.localWeek'],
  );
});

test('encodeEvent writes the same bytes as the zod encode for every example', (t) => {
  for (const [topic, examples] of Object.entries(exampleEvents) as Array<
    [TopicName, readonly unknown[]]
  >)
    for (const example of examples) {
      const event = example as { type: string; version: number };
      const schema = eventSchemaOf(topic, event.type, event.version)!;
      t.is(
        encodeEvent(topic, example as never).toString('utf8'),
        JSON.stringify(z.encode(schema, example as never)),
      );
    }
});

test('a string longer in UTF-16 units than its bound but within it in code points is left to zod, which accepts it', (t) => {
  const event = clone(exampleEvents['transactions.raw'][0]) as Record<string, unknown>;
  // 150 emoji: 300 UTF-16 units, 150 code points, within the 200 of a merchant name.
  (event.payload as Record<string, unknown>).merchant = '\u{1F600}'.repeat(150);
  const schema = eventSchemaOf('transactions.raw', 'transaction.raw', 1)!;
  t.is(fastEncoderOf(schema)!(event), notEncoded);
  const bytes = encodeEvent('transactions.raw', event as never);
  t.is(
    (JSON.parse(bytes.toString('utf8')) as { payload: { merchant: string } }).payload.merchant,
    '\u{1F600}'.repeat(150),
  );
});
