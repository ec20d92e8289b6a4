import test from 'ava';
import { flatObjectJson, quoted, quotedArray, quotedWellFormed } from './json-text.js';

/** Strings that JSON.stringify writes as they are, and every kind it escapes or encodes. */
const strings = [
  '',
  'usr_f24a7a7e97094718869e',
  'Bills & Utilities',
  '2026-11-24T08:15:00+01:00',
  ' !#$%&()*+,-./09:;<=>?@AZ[]^_`az{|}~',
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line\nbreak',
  '\u0000\u001f',
  'del\u007f',
  'café',
  'Zürich 東京',
  '😀 emoji',
  'lone \ud800 surrogate',
  'lone \udc00 low',
  '\u2028\u2029',
  'x'.repeat(500),
  `${'y'.repeat(300)}"`,
];

test('quoted writes exactly what JSON.stringify writes for a string', (t) => {
  for (const s of strings) t.is(quoted(s), JSON.stringify(s), JSON.stringify(s));
  // Every single UTF-16 code unit, alone and between plain text.
  for (let c = 0; c < 0x10000; c++) {
    const s = `a${String.fromCharCode(c)}b`;
    if (quoted(s) !== JSON.stringify(s)) t.fail(`code unit ${c.toString(16)}`);
  }
});

test('quotedArray writes exactly what JSON.stringify writes for an array of strings', (t) => {
  t.is(quotedArray([]), '[]');
  t.is(quotedArray(['a']), '["a"]');
  t.is(quotedArray(strings), JSON.stringify(strings));
});

test('flatObjectJson writes exactly what JSON.stringify writes for a flat object', (t) => {
  const objects: Record<string, unknown>[] = [
    {},
    { postedAt: '2018-08-24T19:42:01Z' },
    { b: 'x', a: 1, '2': true, '1': null, z: -0, y: 0.1, w: 1e21, v: -5.5e-7 },
    { gone: undefined, kept: 'k', fn: () => 1, last: false },
    { only: undefined },
    Object.fromEntries(strings.map((s, i) => [`k${i}`, s])),
    { 'quote"key': 'v', ünï: 'v' },
  ];
  for (const o of objects) t.is(flatObjectJson(o), JSON.stringify(o));
});

test('quotedWellFormed is JSON.stringify of the string with each lone surrogate made U+FFFD', (t) => {
  for (const s of strings) {
    const wellFormed = Buffer.from(s, 'utf8').toString('utf8'); // what a UTF-8 encoder makes of it
    t.is(quotedWellFormed(s), JSON.stringify(wellFormed), JSON.stringify(s));
    t.is(JSON.parse(quotedWellFormed(s)), wellFormed);
  }
  t.is(quotedWellFormed('a\ud83d\ude00b'), '"a😀b"');
  t.is(quotedWellFormed('\udc00\ud800'), '"\ufffd\ufffd"');
});
