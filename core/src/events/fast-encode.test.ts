import test, { type ExecutionContext } from 'ava';
import { z } from 'zod';
import { amountMinorMax } from '../money.js';
import { eventCatalog, eventSchemaOf } from './catalog.js';
import { decodeEvent, encodeEvent, encodeEventWithWire, InvalidEventError } from './codec.js';
import { exampleEvents } from './examples.js';
import { fastDecoderOf, fastEncoderOf, notEncoded } from './fast-encode.js';
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

/** `base`, each path changed to each replacement, plus random combinations of changes. */
function mutationsOf(topic: TopicName, base: Record<string, unknown>, next: () => number): Case[] {
  const out: Case[] = [{ topic, event: clone(base) }];
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
  return out;
}

function examples(): Array<[TopicName, Record<string, unknown>]> {
  return (Object.entries(exampleEvents) as Array<[TopicName, readonly unknown[]]>).flatMap(
    ([topic, list]) =>
      list.map((example): [TopicName, Record<string, unknown>] => [
        topic,
        example as Record<string, unknown>,
      ]),
  );
}

/** Every example, each path changed to each replacement, plus random combinations of changes. */
function cases(): Case[] {
  const next = seededRandom(20261126);
  return examples().flatMap(([topic, example]) => mutationsOf(topic, example, next));
}

/**
 * What a consumer can read: every example's wire form (`JSON.parse` of its bytes) changed like
 * `cases`, each change written out and parsed back as JSON (a change JSON cannot carry, a bigint,
 * is left out), plus own `__proto__` keys as `JSON.parse` makes them.
 */
function wireCases(): Case[] {
  const next = seededRandom(20261127);
  const out: Case[] = [];
  for (const [topic, example] of examples()) {
    const text = encodeEvent(topic, example as never).toString('utf8');
    const wire = JSON.parse(text) as Record<string, unknown>;
    for (const { event } of mutationsOf(topic, wire, next)) {
      let written: string;
      try {
        written = JSON.stringify(event);
      } catch {
        continue;
      }
      out.push({ topic, event: JSON.parse(written) as Record<string, unknown> });
    }
    for (const where of ['{', '"payload":{', '"metadata":{'])
      if (text.includes(where))
        out.push({
          topic,
          event: JSON.parse(text.replace(where, `${where}"__proto__":{"x":1},`)) as Record<
            string,
            unknown
          >,
        });
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

test('every schema of the catalog compiles, both ways', (t) => {
  for (const [topic, types] of Object.entries(eventCatalog))
    for (const [type, versions] of Object.entries(types))
      for (const version of Object.keys(versions)) {
        const schema = eventSchemaOf(topic as TopicName, type, Number(version))!;
        t.truthy(fastEncoderOf(schema), `${topic} ${type} v${version}`);
        t.truthy(fastDecoderOf(schema), `decode ${topic} ${type} v${version}`);
      }
});

/** True when some object in the value has an own `__proto__` key (as `JSON.parse` makes them). */
function hasOwnProtoKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return true;
  return Object.values(value).some(hasOwnProtoKey);
}

/** The value with bigints marked, in key order: equal texts are equal values of the same types. */
const typedText = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v === undefined ? '(undefined)' : v,
  );

/**
 * Runs every case through the compiled function and through zod: the compiled one must never
 * accept what zod rejects, must give zod's result when it accepts (`text` of both equal), and may
 * decline a valid case only where `mayDecline` says so.
 */
function compareWithZod(
  t: ExecutionContext,
  all: Case[],
  compiledOf: (schema: z.ZodType) => ((value: unknown) => unknown) | undefined,
  zodOf: (schema: z.ZodType, value: unknown) => { success: boolean; data?: unknown },
  text: (value: unknown) => string,
  mayDecline: (event: Record<string, unknown>) => boolean,
): void {
  let valid = 0;
  let invalid = 0;
  for (const { topic, event } of all) {
    const schema = eventSchemaOf(topic, event.type as string, event.version as number);
    if (!schema) continue;
    const fast = compiledOf(schema)!(event);
    const slow = zodOf(schema, event);
    const label = `${topic} ${typedText(event).slice(0, 3000)}`;
    if (fast !== notEncoded) {
      t.true(slow.success, `accepted what zod rejects: ${label}`);
      if (slow.success) t.is(text(fast), text(slow.data), label);
    } else if (slow.success) t.true(mayDecline(event), `declined a valid event: ${label}`);
    if (slow.success) valid += 1;
    else invalid += 1;
  }
  t.log(`${valid} valid and ${invalid} invalid cases`);
  t.true(valid > 1_000, `valid cases: ${valid}`);
  t.true(invalid > 5_000, `invalid cases: ${invalid}`);
}

test('the compiled encoder accepts exactly what zod encodes, with the same bytes, on thousands of mutated events', (t) => {
  compareWithZod(
    t,
    cases(),
    fastEncoderOf,
    (schema, value) => z.safeEncode(schema, value as never),
    (value) => JSON.stringify(value),
    // Only where code points and UTF-16 lengths can differ, or a record that is not a plain object.
    (event) => hasSurrogate(event) || hasOtherPrototype(event),
  );
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

test('the compiled decoder accepts exactly what zod decodes, with the same result, on thousands of mutated wire events', (t) => {
  compareWithZod(
    t,
    wireCases(),
    fastDecoderOf,
    (schema, value) => z.safeDecode(schema, value as never),
    // Same values, same types (bigint amounts), same key order.
    typedText,
    // Only where code points and UTF-16 lengths can differ, or a record holding an own
    // `__proto__` key (zod leaves it out).
    (event) => hasSurrogate(event) || hasOwnProtoKey(event),
  );
});

test('decodeEvent gives what the zod decode gives for every example, and fills in defaults', (t) => {
  for (const [topic, example] of examples()) {
    const schema = eventSchemaOf(topic, example.type as string, example.version as number)!;
    const bytes = encodeEvent(topic, example as never);
    t.is(
      typedText(decodeEvent(topic, bytes)),
      typedText(z.decode(schema, JSON.parse(bytes.toString('utf8')) as never)),
    );
  }
  // A raw transaction without tags or metadata decodes with the defaults ([] and {}).
  const raw = JSON.parse(
    encodeEvent('transactions.raw', exampleEvents['transactions.raw'][0] as never).toString('utf8'),
  ) as { payload: Record<string, unknown> };
  delete raw.payload.tags;
  delete raw.payload.metadata;
  const decoded = decodeEvent('transactions.raw', JSON.stringify(raw)) as {
    payload: { tags: unknown; metadata: unknown; amount: { amount: unknown } };
  };
  t.deepEqual(decoded.payload.tags, []);
  t.deepEqual(decoded.payload.metadata, {});
  t.is(typeof decoded.payload.amount.amount, 'bigint');
});

test('decodeEvent still rejects an invalid event through zod, naming the field', (t) => {
  const wire = JSON.parse(
    encodeEvent(
      'transactions.enriched',
      exampleEvents['transactions.enriched'][0] as never,
    ).toString('utf8'),
  ) as { payload: Record<string, unknown> };
  wire.payload.localWeek = '2026-48';
  const error = t.throws(() => decodeEvent('transactions.enriched', JSON.stringify(wire)), {
    instanceOf: InvalidEventError,
  });
  t.deepEqual(
    error.fields.map((field) => field.path),
    ['payload.localWeek'],
  );
});

test('encodeEventWithWire gives the bytes of encodeEvent and, unparsed, their wire form, for every example', (t) => {
  for (const [topic, example] of examples()) {
    const { bytes, wire, payloadText } = encodeEventWithWire(topic, example as never);
    t.deepEqual(bytes, encodeEvent(topic, example as never));
    t.is(typedText(wire), typedText(JSON.parse(bytes.toString('utf8'))));
    // The payload's text, which the bytes were built around, is the payload's JSON and ends them.
    t.is(payloadText, JSON.stringify(wire.payload));
    t.true(bytes.toString('utf8').endsWith(`,"payload":${payloadText}}`));
    t.is(Object.keys(wire).at(-1), 'payload');
  }
  // An invalid event is refused the same way.
  const event = clone(exampleEvents['alerts'][0]) as Record<string, unknown>;
  (event.payload as Record<string, unknown>).userId = 'someone else';
  t.throws(() => encodeEventWithWire('alerts', event as never), { instanceOf: InvalidEventError });
});
