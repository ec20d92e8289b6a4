import test from 'ava';
import { toYaml } from './yaml.js';

test('strings YAML would misread are double-quoted, plain words are not', (t) => {
  const yaml = toYaml({
    plain: 'hello world',
    boolLike: 'true',
    yes: 'no',
    number: '1.0',
    date: '2026-11-24',
    colon: 'a: b',
    hash: 'x #y',
    empty: '',
    ref: '#/components/x',
    newline: 'a\nb',
    quote: 'say "hi"',
    dash: '- item',
  });
  t.is(
    yaml,
    [
      'plain: hello world',
      'boolLike: "true"',
      '"yes": "no"',
      'number: "1.0"',
      'date: "2026-11-24"',
      'colon: "a: b"',
      'hash: "x #y"',
      'empty: ""',
      'ref: "#/components/x"',
      'newline: "a\\nb"',
      'quote: "say \\"hi\\""',
      'dash: "- item"',
      '',
    ].join('\n'),
  );
});

test('nested objects and arrays are indented as block YAML', (t) => {
  t.is(
    toYaml({ a: { b: [1, { c: null, d: [] }, [true, 'x']], e: {} } }),
    [
      'a:',
      '  b:',
      '    - 1',
      '    - c: null',
      '      d: []',
      '    - - true',
      '      - x',
      '  e: {}',
      '',
    ].join('\n'),
  );
});

test('values JSON cannot carry are refused', (t) => {
  t.throws(() => toYaml({ a: Number.NaN }), { instanceOf: TypeError });
  t.throws(() => toYaml({ a: 1n }), { instanceOf: TypeError });
});
