/**
 * Transaction bodies for the tests that prove the hot path's hand-written validator and encoder
 * equal the zod schemas: generated ones, edge cases that are valid, one invalid body per rule, and
 * seeded random mutations of the valid ones.
 */
import { generateTransactions } from '../generator/generate.js';
import { toIngestBody } from '../generator/ingest-body.js';
import { createRandom } from '../generator/random.js';

/** Generated bodies (realistic mix of kinds, currencies, merchants, metadata). */
export function generatedBodies(count: number): Record<string, unknown>[] {
  const { transactions } = generateTransactions({ seed: 'fast-path', users: 20, days: 60 });
  return transactions.slice(0, count).map((t) => ({
    ...toIngestBody(t.event),
    userId: t.event.userId,
  }));
}

const base = {
  externalId: 'ext-1',
  walletId: 'w_a',
  amount: '-4.20',
  currency: 'EUR',
  occurredAt: '2026-11-24T08:15:00+01:00',
};

/** The longest number JSON writes (25 characters; a metadata size bound must count it whole). */
const longNumber = -0.0000012345678901234567;

/** Valid bodies at the edges of every rule. */
export const validEdgeBodies: Record<string, unknown>[] = [
  base,
  { ...base, userId: 'u_a', kind: 'expense', amount: '4.20' },
  { ...base, amount: undefined, amountMinor: 420 },
  { ...base, amount: undefined, amountMinor: -420 },
  { ...base, amount: undefined, amountMinor: '-420' },
  { ...base, amount: undefined, amountMinor: Number.MAX_SAFE_INTEGER },
  { ...base, merchant: '  SQ *BLUE BOTTLE  ', bankCategory: ' Food ' },
  { ...base, merchant: 'm'.repeat(200), description: '', note: '' },
  { ...base, description: 'd'.repeat(2000), note: 'n'.repeat(2000) },
  { ...base, externalId: 'x'.repeat(200), walletId: `w${'a'.repeat(127)}` },
  { ...base, category: 'groceries', mcc: '5411' },
  { ...base, tags: [] },
  { ...base, tags: Array.from({ length: 20 }, (_, i) => `tag ${i} ü`) },
  { ...base, metadata: {} },
  { ...base, metadata: { ref: 'R1', n: 1.5, ok: true, none: null, 'a-b_c': 'x'.repeat(512) } },
  {
    ...base,
    metadata: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i])),
  },
  // Exactly metadataBytesMax serialized (escaped control characters, two-byte characters; the
  // longest numbers JSON writes, 25 characters).
  { ...base, metadata: { a: '\u0001'.repeat(500), b: 'é'.repeat(512), c: 'x'.repeat(50) } },
  {
    ...base,
    metadata: { a: '\u0001'.repeat(512), b: '\u0001'.repeat(158), nn: longNumber, o: longNumber },
  },
  // Every free text with what JSON must escape: quotes, backslashes, control characters, a lone
  // surrogate (the event's hand-written JSON must quote each of them as JSON.stringify does).
  {
    ...base,
    externalId: 'ext "1" \\ \u0000',
    merchant: 'Q "quoted" \\ \u0007',
    description: 'line\nbreak\ttab \u2028 \ud800 lone',
    bankCategory: 'B\u001f"',
    note: '"\\',
    tags: ['t"1', 't\\2', 'ü\u0001'],
    metadata: { k: 'v"\\\n' },
  },
  { ...base, status: 'reversed' },
  { ...base, status: 'booked', kind: 'refund', amount: '1' },
  { ...base, occurredAt: 'not a date at all but short' },
  { ...base, currency: 'xyz' },
  { ...base, amount: 'anything up to forty chars' },
];

/** One invalid body per rule of the schema (each must be refused). */
export const invalidBodies: unknown[] = [
  null,
  'text',
  42,
  [base],
  {},
  { ...base, unknown: 1 },
  { ...base, externalId: '' },
  { ...base, externalId: 'x'.repeat(201) },
  { ...base, externalId: 7 },
  { ...base, walletId: undefined },
  { ...base, walletId: 'w/a' },
  { ...base, walletId: '.w' },
  { ...base, walletId: 'w'.repeat(129) },
  { ...base, userId: 'u a' },
  { ...base, userId: null },
  { ...base, kind: 'gift' },
  { ...base, kind: 1 },
  { ...base, amountMinor: 420 },
  { ...base, amount: undefined },
  { ...base, amount: '' },
  { ...base, amount: '1'.repeat(41) },
  { ...base, amount: 4.2 },
  { ...base, amount: undefined, amountMinor: 4.2 },
  { ...base, amount: undefined, amountMinor: 2 ** 60 },
  { ...base, amount: undefined, amountMinor: '' },
  { ...base, amount: undefined, amountMinor: true },
  { ...base, currency: 'EU' },
  { ...base, currency: 'EURO' },
  { ...base, currency: undefined },
  { ...base, occurredAt: 'x'.repeat(65) },
  { ...base, occurredAt: 1_700_000_000 },
  { ...base, merchant: '   ' },
  { ...base, merchant: 'm'.repeat(201) },
  { ...base, merchant: 5 },
  { ...base, description: 'd'.repeat(2001) },
  { ...base, category: 'Groceries' },
  { ...base, category: 'c'.repeat(65) },
  { ...base, mcc: '541' },
  { ...base, mcc: 5411 },
  { ...base, bankCategory: '' },
  { ...base, bankCategory: 'b'.repeat(201) },
  { ...base, tags: 'food' },
  { ...base, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
  { ...base, tags: ['a.b'] },
  { ...base, tags: ['$x'] },
  { ...base, tags: [''] },
  { ...base, tags: ['t'.repeat(41)] },
  { ...base, tags: [1] },
  { ...base, note: 'n'.repeat(2001) },
  { ...base, metadata: [] },
  { ...base, metadata: null },
  { ...base, metadata: { 'a.b': 1 } },
  { ...base, metadata: { '': 1 } },
  { ...base, metadata: { ['k'.repeat(65)]: 1 } },
  { ...base, metadata: { k: 'v'.repeat(513) } },
  { ...base, metadata: { k: { nested: true } } },
  { ...base, metadata: { k: [1] } },
  { ...base, metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) },
  {
    ...base,
    metadata: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'.repeat(500)])),
  },
  // One byte over metadataBytesMax.
  { ...base, metadata: { a: '\u0001'.repeat(500), b: 'é'.repeat(512), c: 'x'.repeat(51) } },
  {
    ...base,
    metadata: { a: '\u0001'.repeat(512), b: '\u0001'.repeat(158), nnn: longNumber, o: longNumber },
  },
  { ...base, status: 'pending' },
];

/** Values a mutation may put in a field: right and wrong types, edge lengths, odd characters. */
const oddValues: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  '',
  ' ',
  'a',
  'EUR',
  'expense',
  'reversed',
  '5411',
  'groceries',
  'x'.repeat(40),
  'x'.repeat(41),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(200),
  'x'.repeat(201),
  ' padded ',
  'a.b',
  '$a',
  [],
  ['ok'],
  ['a.b'],
  {},
  { k: 1 },
  { 'bad key': 1 },
];

/** `count` random mutations (seeded) of the given valid bodies: a field replaced, removed or added. */
export function mutatedBodies(valid: Record<string, unknown>[], count: number): unknown[] {
  const random = createRandom('fast-path-mutations');
  const keys = [...Object.keys(validEdgeBodies[14]!), 'userId', 'kind', 'amountMinor', 'tags'];
  const extraKeys = [...keys, 'mcc', 'category', 'note', 'status', 'bankCategory', 'other'];
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const body: Record<string, unknown> = { ...valid[random.int(0, valid.length - 1)]! };
    const key = random.pick(extraKeys);
    const action = random.int(0, 2);
    if (action === 0) delete body[key];
    else body[key] = oddValues[random.int(0, oddValues.length - 1)];
    out.push(body);
  }
  return out;
}
