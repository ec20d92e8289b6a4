import test from 'ava';
import { checkTransactionInput, parseTransactionInput } from './fast-input.js';
import { generatedBodies, invalidBodies, mutatedBodies, validEdgeBodies } from './samples.js';
import { transactionInputSchema } from './schema.js';

const generated = generatedBodies(2_000);

test('the fast check accepts every generated body with exactly the zod output', (t) => {
  t.true(generated.length >= 1_000);
  for (const body of generated) {
    const zod = transactionInputSchema.parse(body);
    t.deepEqual(checkTransactionInput(body), zod);
  }
});

test('the fast check accepts every valid edge case with exactly the zod output (trimmed text)', (t) => {
  for (const body of validEdgeBodies) {
    const zod = transactionInputSchema.parse(body);
    t.deepEqual(checkTransactionInput(body), zod, JSON.stringify(body).slice(0, 200));
  }
  t.is(checkTransactionInput(validEdgeBodies[6])?.merchant, 'SQ *BLUE BOTTLE');
});

test('the fast check refuses every invalid body, and parse throws zod’s own error for it', (t) => {
  for (const body of invalidBodies) {
    const label = JSON.stringify(body)?.slice(0, 120) ?? String(body);
    t.false(transactionInputSchema.safeParse(body).success, `zod refuses ${label}`);
    t.is(checkTransactionInput(body), undefined, label);
    const zodError = transactionInputSchema.safeParse(body).error;
    const thrown = t.throws(() => parseTransactionInput(body));
    t.deepEqual((thrown as { issues?: unknown }).issues, zodError?.issues, label);
  }
});

test('on 20,000 random mutations the fast check agrees with zod on every verdict and output', (t) => {
  const mutations = mutatedBodies([...validEdgeBodies, ...generated.slice(0, 200)], 20_000);
  let accepted = 0;
  let refused = 0;
  for (const body of mutations) {
    const zod = transactionInputSchema.safeParse(body);
    const fast = checkTransactionInput(body);
    if (zod.success) {
      accepted++;
      t.deepEqual(fast, zod.data, JSON.stringify(body).slice(0, 300));
    } else {
      refused++;
      t.is(fast, undefined, JSON.stringify(body).slice(0, 300));
    }
  }
  // Both verdicts are well represented, so the comparison means something.
  t.true(accepted > 2_000, `accepted ${accepted}`);
  t.true(refused > 2_000, `refused ${refused}`);
});
