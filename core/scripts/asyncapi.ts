/**
 * Writes docs/asyncapi.yaml from the zod event schemas. With `--check`, writes nothing and exits 1
 * when the committed file is out of date (for CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asyncApiFileText } from '../src/events/asyncapi.js';

const target = fileURLToPath(new URL('../../docs/asyncapi.yaml', import.meta.url));
const generated = await asyncApiFileText(target);

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== generated) {
    console.error(`${target} is out of date: run npm run asyncapi -w core`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  writeFileSync(target, generated);
  console.log(`wrote ${target} (${generated.length} bytes)`);
}
