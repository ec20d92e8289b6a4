import test from 'ava';
import { readFileSync } from 'node:fs';
import { allInOneConfigShape } from './all-in-one-config.js';

const docs = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');

test('every configuration key of every service is documented in docs/configuration.md', (t) => {
  const keys = Object.keys(allInOneConfigShape);
  // The 6 backend keys, the 3 every service reads and one port per service, at least.
  t.true(keys.length >= 13, keys.join(', '));
  const missing = keys.filter((key) => !docs.includes(`| \`${key}\` |`));
  t.deepEqual(missing, [], 'add a table row for each of these keys');
});
