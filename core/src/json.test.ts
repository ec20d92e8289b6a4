import test from 'ava';
import { DomainError, ValidationError } from './errors.js';
import {
  jsonBytes,
  moneyFromJson,
  moneyToJson,
  parseJson,
  stringifyJson,
  toJsonValue,
} from './json.js';
import { amountMinorMax } from './money.js';

test('stringifyJson writes bigint as a decimal string without losing digits', (t) => {
  const big = 2n ** 62n + 1n;
  t.is(
    stringifyJson({ amount: big, nested: [1n, -5n] }),
    `{"amount":"${big}","nested":["1","-5"]}`,
  );
  t.deepEqual(toJsonValue({ a: 10n }), { a: '10' });
  t.is(new TextDecoder().decode(jsonBytes({ a: 1n })), '{"a":"1"}');
});

test('stringifyJson refuses NaN and Infinity instead of writing null', (t) => {
  t.throws(() => stringifyJson({ rate: Number.NaN }), { instanceOf: TypeError, message: /rate/ });
  t.throws(() => stringifyJson([Infinity]), { instanceOf: TypeError });
  t.throws(() => stringifyJson(undefined), { instanceOf: TypeError });
});

test('parseJson rejects bad input with malformed_json or payload_too_large', (t) => {
  t.deepEqual(parseJson('{"a":[1,"2"]}'), { a: [1, '2'] });
  t.deepEqual(parseJson(new TextEncoder().encode('{"a":1}')), { a: 1 });
  const notJson = t.throws(() => parseJson('{"a":'), { instanceOf: DomainError });
  t.is(notJson.code, 'malformed_json');
  const badUtf8 = t.throws(() => parseJson(new Uint8Array([0x7b, 0xff, 0x7d])), {
    instanceOf: DomainError,
  });
  t.is(badUtf8.code, 'malformed_json');
  const tooBig = t.throws(() => parseJson('"' + 'x'.repeat(100) + '"', 50), {
    instanceOf: DomainError,
  });
  t.is(tooBig.code, 'payload_too_large');
  t.is(tooBig.status, 413);
});

test('parseJson refuses prototype-polluting keys at any depth', (t) => {
  for (const text of [
    '{"__proto__":{"admin":true}}',
    '{"a":{"constructor":{"prototype":{}}}}',
    // Spelled with escapes, which JSON.parse decodes before a key is set.
    '{"\\u005f_proto__":{"admin":true}}',
    '{"a":[{"constructo\\u0072":{}}]}',
    '{"prototyp\\u0065":1}',
  ]) {
    const error = t.throws(() => parseJson(text), { instanceOf: DomainError });
    t.is(error.code, 'malformed_json');
  }
  t.is(({} as Record<string, unknown>).admin, undefined);
  // The words as values, and other escapes, are fine.
  t.deepEqual(parseJson('{"note":"constructor of __proto__ \\u00e9","a":["prototype"]}'), {
    note: 'constructor of __proto__ é',
    a: ['prototype'],
  });
});

test('money round-trips through its wire form and the wire form is validated', (t) => {
  const value = { amount: -amountMinorMax, currency: 'KWD' } as const;
  t.deepEqual(moneyToJson(value), { amount: '-1000000000000000', currency: 'KWD' });
  t.deepEqual(moneyFromJson(JSON.parse(JSON.stringify(moneyToJson(value)))), value);
  for (const bad of [
    { amount: 12, currency: 'EUR' },
    { amount: '12.5', currency: 'EUR' },
    { amount: '1000000000000001', currency: 'EUR' },
    { amount: '1', currency: 'ABC' },
    { amount: '01', currency: 'EUR' },
  ]) {
    t.throws(() => moneyFromJson(bad), { instanceOf: ValidationError }, JSON.stringify(bad));
  }
  const error = t.throws(() => moneyFromJson({ amount: 'x', currency: 'EUR' }, 'price'), {
    instanceOf: ValidationError,
  });
  t.is(error.field, 'price.amount');
});
