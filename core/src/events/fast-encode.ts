/**
 * A faster way to the same results as `z.safeEncode` and `z.safeDecode` for the event schemas: each
 * schema is compiled once per direction, from its own zod definition, into a plain function that
 * checks a value and builds its wire form (encode) or its typed form (decode) in one walk. zod stays
 * the judge: the compiled function only ever answers "valid, and this is exactly what zod would
 * give" or "not sure", and every "not sure" (an invalid event, or a corner the compiled checks do
 * not decide, like a string whose length counts differently in code points) goes through zod as
 * before, with its errors. So encodeEvent keeps its contract (a producer cannot publish what a
 * consumer would reject) and decodeEvent accepts and refuses exactly what zod does.
 *
 * The two directions differ where zod's do: a codec runs `out -> reverse -> in` to encode and
 * `in -> transform -> out` to decode; a default is skipped when encoding (the value must be there)
 * and fills in an absent value when decoding; a schema's own checks (`.min`, `.refine`) see the
 * value as given when encoding and the parsed result when decoding. The decoder is meant for
 * `JSON.parse` output (plain objects, no `undefined` values); anything else it declines or zod
 * would judge the same way.
 *
 * Only the parts of zod the catalog uses are compiled (objects that strip unknown keys, strings with
 * length, regex, ISO date and date-time checks, safe integers, bigints with bounds, booleans, null,
 * enums, literals, arrays, records with string keys, optional, nullable, default, codecs, unions
 * whose options differ in their JavaScript type, discriminated unions, and refinements); a schema
 * holding anything else is not compiled at all, so it always takes the zod path. Tests compare both
 * paths on every catalog example and on thousands of mutated events (`fast-encode.test.ts`).
 */
import type { z } from 'zod';

/** The compiled answer for a value zod may still accept: take the zod path. */
export const notEncoded: unique symbol = Symbol('notEncoded');
/** The decoder's "not sure" (the same sentinel as the encoder's). */
export const notDecoded: typeof notEncoded = notEncoded;
/** Which way a schema is compiled: to the wire (`z.encode`) or from it (`z.decode`). */
type Direction = 'encode' | 'decode';
/** An optional value left out of its object (zod leaves the key out, or sets it to undefined). */
const absent: unique symbol = Symbol('absent');

type Out = unknown;
type Step = (value: unknown) => Out | typeof notEncoded | typeof absent;

/** The shape of zod's internal definitions that the compiler reads (zod/v4/core `$ZodTypeDef`). */
interface Def {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  coerce?: boolean;
  format?: string;
  pattern?: RegExp;
  shape?: Record<string, Schema>;
  catchall?: unknown;
  element?: Schema;
  innerType?: Schema;
  entries?: Record<string, unknown>;
  values?: unknown[];
  options?: Schema[];
  discriminator?: string;
  keyType?: Schema;
  valueType?: Schema;
  in?: Schema;
  out?: Schema;
  reverseTransform?: (value: unknown, payload: { value: unknown; issues: unknown[] }) => unknown;
  transform?: (value: unknown, payload: { value: unknown; issues: unknown[] }) => unknown;
  defaultValue?: unknown;
  mode?: string;
}
interface CheckDef {
  check: string;
  format?: string;
  pattern?: RegExp;
  minimum?: number;
  maximum?: number;
  value?: number | bigint;
  inclusive?: boolean;
  fn?: (value: unknown) => unknown;
  when?: unknown;
}
interface Schema {
  _zod: { def: Def; optin?: string };
}

/** A schema the compiler does not take: the whole event type stays on the zod path. */
class NotCompilable extends Error {}

const surrogate = /[\uD800-\uDFFF]/;

function checkOf(check: CheckDef): (value: unknown) => boolean {
  switch (check.check) {
    case 'min_length': {
      const min = check.minimum!;
      // zod counts a string in code points: equal to its UTF-16 length when it has no surrogates.
      return (value) => {
        const length = (value as { length: number }).length;
        if (typeof value !== 'string') return length >= min;
        return length >= min && (length >= min * 2 || !surrogate.test(value));
      };
    }
    case 'max_length': {
      // A UTF-16 length within the bound is within it in code points too; above it, zod decides.
      const max = check.maximum!;
      return (value) => (value as { length: number }).length <= max;
    }
    case 'string_format': {
      if (check.format !== 'regex' || !(check.pattern instanceof RegExp)) throw new NotCompilable();
      const pattern = check.pattern;
      return (value) => {
        pattern.lastIndex = 0;
        return pattern.test(value as string);
      };
    }
    case 'greater_than': {
      const bound = check.value!;
      return check.inclusive
        ? (value) => (value as number) >= bound
        : (value) => (value as number) > bound;
    }
    case 'less_than': {
      const bound = check.value!;
      return check.inclusive
        ? (value) => (value as number) <= bound
        : (value) => (value as number) < bound;
    }
    case 'custom': {
      if (check.when !== undefined || typeof check.fn !== 'function') throw new NotCompilable();
      const fn = check.fn;
      return (value) => {
        const result = fn(value);
        // An asynchronous refinement is zod's to run (its encode would throw): not decided here.
        return !(result instanceof Promise) && Boolean(result);
      };
    }
    default:
      throw new NotCompilable();
  }
}

/** The schema's own checks (`.min`, `.regex`, `.refine`, ...) as one predicate, or undefined. */
function checksOf(def: Def): ((value: unknown) => boolean) | undefined {
  const checks = (def.checks ?? []).map((check) => checkOf(check._zod.def));
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (value) => {
    for (let i = 0; i < checks.length; i += 1) if (!checks[i]!(value)) return false;
    return true;
  };
}

/** The JavaScript type a schema's values have, when it has exactly one (for union dispatch). */
function typeofOf(schema: Schema): string | undefined {
  const def = schema._zod.def;
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return def.type;
    case 'null':
      return 'null';
    default:
      return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function compile(schema: Schema, direction: Direction): Step {
  const def = schema._zod.def;
  if (def.coerce) throw new NotCompilable();
  const checks = checksOf(def);
  const step = compileType(def, direction);
  if (!checks) return step;
  if (direction === 'decode')
    // Decoding, zod runs the checks on the parsed result; the same here.
    return (value) => {
      const out = step(value);
      if (out === notEncoded || out === absent) return out;
      return checks(out) ? out : notEncoded;
    };
  return (value) => {
    const out = step(value);
    if (out === notEncoded) return notEncoded;
    // Encoding, zod runs the checks on the value as given (before its wire form); the same here.
    return checks(value) ? out : notEncoded;
  };
}

/**
 * The step of an object schema, written out as a function of its own keys (as zod's own JIT
 * does): each property is read and written by its literal name, so every output object of a schema
 * has the same shape and no key is looked up through an array. Equivalent to
 * `for each key: item = step(input[key]); notEncoded -> notEncoded; absent -> left out`.
 */
function objectStep(keys: string[], steps: Step[]): Step {
  const lines = keys.map((key, i) => {
    const name = JSON.stringify(key);
    return `item = steps[${i}](input[${name}]);
      if (item === notEncoded) return notEncoded;
      if (item !== absent) out[${name}] = item;`;
  });
  // zod takes any non-array object here, inherited properties included.
  const body = `return function objectStep(input) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return notEncoded;
    const out = {};
    let item;
    ${lines.join('\n    ')}
    return out;
  };`;
  // Generated from the schema's own keys only, each written as a JSON string literal.
  const make = new Function('steps', 'notEncoded', 'absent', body) as (
    steps: Step[],
    notEncodedValue: typeof notEncoded,
    absentValue: typeof absent,
  ) => Step;
  return make(steps, notEncoded, absent);
}

/** Keys every object inherits: zod's `key in input` would find them on an object without them. */
const inheritedKeys = new Set(Object.getOwnPropertyNames(Object.prototype));

function compileType(def: Def, direction: Direction): Step {
  switch (def.type) {
    case 'string': {
      if (def.format !== undefined) {
        if (
          (def.format !== 'datetime' && def.format !== 'date') ||
          !(def.pattern instanceof RegExp)
        )
          throw new NotCompilable();
        const pattern = def.pattern;
        return (value) => {
          if (typeof value !== 'string') return notEncoded;
          pattern.lastIndex = 0;
          return pattern.test(value) ? value : notEncoded;
        };
      }
      return (value) => (typeof value === 'string' ? value : notEncoded);
    }
    case 'number': {
      if (def.format !== undefined && def.format !== 'safeint') throw new NotCompilable();
      if (def.format === 'safeint')
        return (value) =>
          typeof value === 'number' && Number.isSafeInteger(value) ? value : notEncoded;
      return (value) => (typeof value === 'number' && Number.isFinite(value) ? value : notEncoded);
    }
    case 'bigint':
      if (def.format !== undefined) throw new NotCompilable();
      return (value) => (typeof value === 'bigint' ? value : notEncoded);
    case 'boolean':
      return (value) => (typeof value === 'boolean' ? value : notEncoded);
    case 'null':
      return (value) => (value === null ? null : notEncoded);
    case 'enum': {
      const listed = Object.values(def.entries ?? {});
      // zod drops the reverse mappings of numeric enums; only string enums are compiled.
      if (listed.some((value) => typeof value !== 'string')) throw new NotCompilable();
      const values = new Set(listed);
      return (value) => (values.has(value) ? value : notEncoded);
    }
    case 'literal': {
      const values = new Set(def.values ?? []);
      return (value) => (values.has(value) ? value : notEncoded);
    }
    case 'optional': {
      // An optional default substitutes for absence: left to zod.
      if (def.innerType!._zod.optin === 'defaulted') throw new NotCompilable();
      const inner = compile(def.innerType!, direction);
      return (value) => (value === undefined ? absent : inner(value));
    }
    case 'nullable': {
      const inner = compile(def.innerType!, direction);
      return (value) => (value === null ? null : inner(value));
    }
    case 'default': {
      const inner = compile(def.innerType!, direction);
      // Encoding skips a default: the value must be there and valid (as zod's encode requires).
      if (direction === 'encode') return inner;
      // Decoding, an absent value is the default (read per call: zod's getter gives a fresh copy),
      // unchecked, as zod returns it.
      return (value) => {
        if (value === undefined) return def.defaultValue;
        const out = inner(value);
        return out === absent ? def.defaultValue : out;
      };
    }
    case 'pipe': {
      // Only codecs (a two-way pipe). Encoding: the code side is checked, turned back, then the
      // wire side. Decoding: the wire side is checked, transformed, then the code side.
      if (typeof def.reverseTransform !== 'function' || typeof def.transform !== 'function')
        throw new NotCompilable();
      const code = compile(def.out!, direction);
      const wire = compile(def.in!, direction);
      if (direction === 'decode') {
        const transform = def.transform;
        return (value) => {
          const checked = wire(value);
          if (checked === notEncoded || checked === absent) return notEncoded;
          const payload = { value: checked, issues: [] as unknown[] };
          let turned: unknown;
          try {
            turned = transform(checked, payload);
          } catch {
            return notEncoded; // zod's to throw, as before
          }
          if (turned instanceof Promise || payload.issues.length > 0) return notEncoded;
          const out = code(turned);
          return out === absent ? notEncoded : out;
        };
      }
      const reverse = def.reverseTransform;
      return (value) => {
        const checked = code(value);
        if (checked === notEncoded || checked === absent) return notEncoded;
        const payload = { value: checked, issues: [] as unknown[] };
        const turned = reverse(checked, payload);
        if (turned instanceof Promise || payload.issues.length > 0) return notEncoded;
        const out = wire(turned);
        return out === absent ? notEncoded : out;
      };
    }
    case 'array': {
      const element = compile(def.element!, direction);
      return (value) => {
        if (!Array.isArray(value)) return notEncoded;
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i += 1) {
          const item = element(value[i]);
          if (item === notEncoded || item === absent) return notEncoded;
          out[i] = item;
        }
        return out;
      };
    }
    case 'object': {
      if (def.catchall !== undefined) throw new NotCompilable();
      const keys = Object.keys(def.shape ?? {});
      const steps = keys.map((key) => compile(def.shape![key]!, direction));
      if (keys.some((key) => inheritedKeys.has(key))) throw new NotCompilable();
      return objectStep(keys, steps);
    }
    case 'record': {
      const keyDef = def.keyType!._zod.def;
      if (keyDef.type !== 'string' || def.mode !== undefined) throw new NotCompilable();
      const key = compile(def.keyType!, direction);
      const item = compile(def.valueType!, direction);
      return (value) => {
        if (!isPlainObject(value)) return notEncoded;
        const keys = Object.keys(value);
        if (keys.length !== Reflect.ownKeys(value).length) return notEncoded;
        const out: Record<string, unknown> = {};
        for (const name of keys) {
          if (name === '__proto__' || key(name) !== name) return notEncoded;
          const encoded = item(value[name]);
          if (encoded === notEncoded || encoded === absent) return notEncoded;
          out[name] = encoded;
        }
        return out;
      };
    }
    case 'union': {
      const options = def.options ?? [];
      if (def.discriminator !== undefined) {
        // Each option is picked by its literal discriminator value, as zod does.
        const byValue = new Map<unknown, Step>();
        for (const option of options) {
          const tag = option._zod.def.shape?.[def.discriminator]?._zod.def;
          if (tag?.type !== 'literal') throw new NotCompilable();
          const step = compile(option, direction);
          for (const literal of tag.values ?? []) {
            if (byValue.has(literal)) throw new NotCompilable();
            byValue.set(literal, step);
          }
        }
        const discriminator = def.discriminator;
        return (value) => {
          if (!isPlainObject(value)) return notEncoded;
          const step = byValue.get(value[discriminator]);
          return step === undefined ? notEncoded : step(value);
        };
      }
      // Options of different JavaScript types: at most one can accept a value, so picking by
      // type gives the option zod's first success would be.
      const byType = new Map<string, Step>();
      for (const option of options) {
        const type = typeofOf(option);
        if (type === undefined || byType.has(type)) throw new NotCompilable();
        byType.set(type, compile(option, direction));
      }
      return (value) => {
        const step = byType.get(value === null ? 'null' : typeof value);
        if (step === undefined) return notEncoded;
        const out = step(value);
        return out === absent ? notEncoded : out;
      };
    }
    default:
      throw new NotCompilable();
  }
}

/** Compiled functions by schema, per direction; `null` when the schema holds something the
 * compiler does not take. */
const compiled: Record<Direction, WeakMap<object, ((value: unknown) => unknown) | null>> = {
  encode: new WeakMap(),
  decode: new WeakMap(),
};

function compiledOf(
  schema: z.ZodType,
  direction: Direction,
): ((value: unknown) => unknown) | undefined {
  let fn = compiled[direction].get(schema);
  if (fn === undefined) {
    try {
      const step = compile(schema as unknown as Schema, direction);
      fn = (value) => {
        const out = step(value);
        return out === absent ? notEncoded : out;
      };
    } catch (error) {
      if (!(error instanceof NotCompilable)) throw error;
      fn = null;
    }
    compiled[direction].set(schema, fn);
  }
  return fn ?? undefined;
}

/**
 * The compiled encoder of `schema`: it returns exactly what `z.safeEncode(schema, value).data`
 * would be, or `notEncoded` when zod must decide. Undefined when the schema cannot be compiled.
 */
export function fastEncoderOf(schema: z.ZodType): ((value: unknown) => unknown) | undefined {
  return compiledOf(schema, 'encode');
}

/**
 * The compiled decoder of `schema`, for `JSON.parse` output: it returns what
 * `z.safeDecode(schema, value).data` would be (equal in value and key order), or `notDecoded` when
 * zod must decide. Undefined when the schema cannot be compiled.
 */
export function fastDecoderOf(schema: z.ZodType): ((value: unknown) => unknown) | undefined {
  return compiledOf(schema, 'decode');
}
