import test from 'ava';
import { ApiError } from '../src/app/api.js';
import { categoryTreeOf, type CategoryEntry } from '../src/app/categories.js';
import {
  categoryForest,
  categoryIdFor,
  changeFailure,
  describeMatch,
  flattenForest,
  merchantRuleRequest,
  nextPriority,
  priorityMax,
  revisionOf,
  ruleFieldsOf,
  RuleFormError,
  ruleRequestOf,
  ruleCategoryFor,
  rulesInOrder,
  staleMessage,
  subtreeIds,
  type CategoryRule,
  type RuleFields,
} from '../src/app/category-rules.js';

const entries: CategoryEntry[] = [
  { id: 'food', name: 'Food & drink', parentId: null, custom: false },
  { id: 'coffee', name: 'Coffee', parentId: 'food', custom: false },
  { id: 'health', name: 'Health', parentId: null, custom: false },
  // Custom ones after the built-in tree, a child before its (moved) parent, any depth.
  { id: 'vet', name: 'Vet', parentId: 'pet-care', custom: true },
  { id: 'pet-care', name: 'Pet care', parentId: 'health', custom: true },
  { id: 'espresso', name: 'Espresso', parentId: 'coffee', custom: true },
  { id: 'orphan', name: 'Orphan', parentId: 'gone', custom: true },
];

const blank: RuleFields = {
  merchantContains: '',
  descriptionContains: '',
  amountMin: '',
  amountMax: '',
  category: 'pet-care',
  priority: '10',
  addTags: '',
};

function rule(overrides: Partial<CategoryRule>): CategoryRule {
  return {
    ruleId: 'rule_a',
    priority: 10,
    match: { merchantContains: 'Paws' },
    category: 'pet-care',
    addTags: [],
    origin: 'user',
    createdAt: '2026-11-26T10:00:00.000Z',
    ...overrides,
  };
}

test('the tree nests every category under its parent at any depth, whatever the order', (t) => {
  const forest = categoryForest(entries);
  const shape = (nodes: ReturnType<typeof categoryForest>): unknown =>
    nodes.map((node) => [node.entry.id, shape(node.children)]);
  t.deepEqual(shape(forest), [
    ['food', [['coffee', [['espresso', []]]]]],
    ['health', [['pet-care', [['vet', []]]]]],
    ['orphan', []],
  ]);
  t.deepEqual(
    flattenForest(forest).map(({ entry, depth }) => `${depth}:${entry.id}`),
    ['0:food', '1:coffee', '2:espresso', '0:health', '1:pet-care', '2:vet', '0:orphan'],
  );
  // A category may not move under itself or below itself.
  t.deepEqual([...subtreeIds(forest, 'pet-care')].sort(), ['pet-care', 'vet']);
  t.deepEqual([...subtreeIds(forest, 'nothing')], []);
});

test('a cycle (which the API refuses) neither loops nor loses a category', (t) => {
  const forest = categoryForest([
    { id: 'a', name: 'A', parentId: 'b', custom: true },
    { id: 'b', name: 'B', parentId: 'a', custom: true },
    { id: 'c', name: 'C', parentId: 'c', custom: true },
  ]);
  t.deepEqual(
    flattenForest(forest).map(({ entry }) => entry.id),
    ['c', 'a', 'b'],
  );
});

test('the loaded tree keeps the API list for the Categories screen', (t) => {
  t.deepEqual(categoryTreeOf(entries).entries, entries);
});

test('a new category id is made from its name, and left to the API when taken or empty', (t) => {
  const taken = new Set(['health', 'coffee']);
  t.is(categoryIdFor('Pet care', taken), 'pet-care');
  t.is(categoryIdFor('  Café & Thé!  ', taken), 'cafe-the');
  t.is(categoryIdFor('Health', taken), undefined);
  t.is(categoryIdFor('家', taken), undefined);
  t.is(categoryIdFor('---', taken), undefined);
  const long = categoryIdFor(`${'a'.repeat(63)} b`, taken)!;
  t.is(long, 'a'.repeat(63), 'cut at 64 characters without a trailing dash');
});

test('the rule form becomes the request: empty fields left out, exact minor units', (t) => {
  t.deepEqual(
    ruleRequestOf(
      {
        ...blank,
        merchantContains: '  Paws ',
        amountMin: '1,000.5',
        amountMax: '2000',
        addTags: 'pets, vet, pets',
      },
      'EUR',
      'en-GB',
    ),
    {
      priority: 10,
      match: {
        merchantContains: 'Paws',
        amountMin: { amount: '100050', currency: 'EUR' },
        amountMax: { amount: '200000', currency: 'EUR' },
      },
      category: 'pet-care',
      addTags: ['pets', 'vet'],
    },
  );
  t.deepEqual(ruleRequestOf({ ...blank, descriptionContains: 'grooming' }, 'JPY').match, {
    descriptionContains: 'grooming',
  });
  t.deepEqual(
    ruleRequestOf({ ...blank, amountMin: '1,5' }, 'EUR', 'de-DE').match.amountMin,
    { amount: '150', currency: 'EUR' },
    "the locale's decimal separator",
  );
});

test('an edited rule keeps the conditions the form has no field for', (t) => {
  const kept = {
    merchantContains: 'old',
    mcc: ['5995'],
    walletId: 'w1',
    amountMax: { amount: '5', currency: 'EUR' },
  };
  t.deepEqual(ruleRequestOf({ ...blank, merchantContains: 'new' }, 'EUR', 'en-GB', kept).match, {
    mcc: ['5995'],
    walletId: 'w1',
    merchantContains: 'new',
  });
});

test('the rule form refuses what the API would, naming the field', (t) => {
  const refused = (fields: Partial<RuleFields>, currency = 'EUR') =>
    t.throws(() => ruleRequestOf({ ...blank, ...fields }, currency, 'en-GB'), {
      instanceOf: RuleFormError,
    });
  t.is(refused({}).field, 'merchantContains');
  t.regex(refused({}).message, /at least one condition/);
  t.is(refused({ merchantContains: 'x', amountMin: '12.345' }).field, 'amountMin');
  t.regex(refused({ merchantContains: 'x', amountMin: '12.345' }).message, /^Amount from: /);
  t.is(refused({ amountMax: '5.5' }, 'JPY').field, 'amountMax');
  t.is(refused({ amountMin: '-3' }).field, 'amountMin');
  const order = refused({ amountMin: '10', amountMax: '9.99' });
  t.is(order.field, 'amountMax');
  t.is(refused({ merchantContains: 'x', category: '' }).field, 'category');
  for (const priority of ['', '-1', '1.5', 'x', String(priorityMax + 1)]) {
    t.is(refused({ merchantContains: 'x', priority }).field, 'priority', priority);
  }
  t.is(
    ruleRequestOf({ ...blank, merchantContains: 'x', priority: '1000000' }, 'EUR').priority,
    1e6,
  );
  const tags = Array.from({ length: 21 }, (_, i) => `t${i}`).join(',');
  t.is(refused({ merchantContains: 'x', addTags: tags }).field, 'addTags');
});

test('a rule back in the form shows exact decimals of its own currency', (t) => {
  t.deepEqual(
    ruleFieldsOf(
      rule({
        match: {
          merchantContains: 'Paws',
          amountMin: { amount: '1234', currency: 'KWD' },
          amountMax: { amount: '900719925474099312', currency: 'KWD' },
        },
        addTags: ['pets', 'vet'],
        priority: 30,
      }),
    ),
    {
      merchantContains: 'Paws',
      descriptionContains: '',
      amountMin: '1.234',
      amountMax: '900719925474099.312',
      category: 'pet-care',
      priority: '30',
      addTags: 'pets, vet',
    },
  );
});

test('a rule in words, every condition it has', (t) => {
  t.is(
    describeMatch(
      {
        merchantContains: 'Paws',
        descriptionContains: 'groom',
        amountMin: { amount: '500', currency: 'EUR' },
        amountMax: { amount: '2000', currency: 'EUR' },
      },
      'en-GB',
    ),
    'merchant contains “Paws” and description contains “groom” and amount €5.00 to €20.00',
  );
  t.is(
    describeMatch(
      {
        merchantKey: 'raw:acme',
        mcc: ['5995', '0742'],
        bankCategory: 'Pets',
        kinds: ['expense', 'fee'],
        walletId: 'w1',
        amountMin: { amount: '500', currency: 'EUR' },
      },
      'en-GB',
      (id) => (id === 'w1' ? 'Everyday card' : undefined),
    ),
    'merchant is raw:acme and card code (MCC) 5995, 0742 and bank category “Pets” and kind expense or fee and wallet Everyday card and amount at least €5.00',
  );
  t.is(
    describeMatch({ amountMax: { amount: '2000', currency: 'EUR' }, walletId: 'w9' }, 'en-GB'),
    'wallet w9 and amount at most €20.00',
  );
});

test('rules are listed in the order the stream jobs try them; a new one goes last', (t) => {
  const rules = [
    rule({ ruleId: 'rule_c', priority: 20 }),
    rule({ ruleId: 'rule_b', priority: 5 }),
    rule({ ruleId: 'rule_a', priority: 20 }),
  ];
  t.deepEqual(
    rulesInOrder(rules).map((r) => r.ruleId),
    ['rule_b', 'rule_a', 'rule_c'],
  );
  t.is(nextPriority(rules), 30);
  t.is(nextPriority([]), 10);
  t.is(nextPriority([rule({ priority: priorityMax - 3 })]), priorityMax);
});

test('"as a rule for this merchant" changes that merchant rule, else adds one last', (t) => {
  const rules = [
    rule({ ruleId: 'rule_1', priority: 10, match: { merchantContains: 'blue bottle coffee' } }),
    rule({
      ruleId: 'rule_2',
      priority: 40,
      match: { merchantContains: 'Corner', amountMax: { amount: '100', currency: 'EUR' } },
    }),
  ];
  t.deepEqual(merchantRuleRequest(rules, 'Blue Bottle Coffee', 'coffee'), {
    method: 'PATCH',
    path: '/v1/category-rules/rule_1',
    body: { category: 'coffee' },
  });
  // A rule with more conditions is not the merchant's rule: a new one is made.
  t.deepEqual(merchantRuleRequest(rules, 'Corner', 'groceries'), {
    method: 'POST',
    path: '/v1/category-rules',
    body: { priority: 50, match: { merchantContains: 'Corner' }, category: 'groceries' },
  });
  const body = merchantRuleRequest([], ` ${'m'.repeat(250)} `, 'coffee').body as {
    match: { merchantContains: string };
  };
  t.is(body.match.merchantContains.length, 200, 'cut to the longest text the API takes');
});

test('the revision is read from a strong ETag only', (t) => {
  t.is(revisionOf('"12"'), 12);
  t.is(revisionOf(' "0" '), 0);
  t.is(revisionOf('W/"12"'), undefined);
  t.is(revisionOf('12'), undefined);
  t.is(revisionOf(null), undefined);
});

test('a refused change says why: 412 is stale (reload), else the API detail as it came', (t) => {
  t.deepEqual(changeFailure(new ApiError(412, 'precondition_failed', 'revision 3 is not 4'), 'x'), {
    message: staleMessage,
    stale: true,
  });
  const inUse = 'category pet-care is still used by rules rule_a';
  t.deepEqual(changeFailure(new ApiError(409, 'conflict', inUse, 'id'), 'x'), {
    message: inUse,
    stale: false,
  });
  t.deepEqual(changeFailure(new RuleFormError('priority', 'Priority: bad.'), 'x'), {
    message: 'Priority: bad.',
    stale: false,
  });
  t.deepEqual(changeFailure(new Error('boom'), 'Could not save.'), {
    message: 'Could not save.',
    stale: false,
  });
});

test('quick add suggests what the rules would decide, and nothing over a rule it cannot check', (t) => {
  const eur = (amount: string) => ({ amount, currency: 'EUR' });
  const typed = {
    merchant: 'Happy PAWS shop',
    kind: 'expense',
    walletId: 'w1',
    amount: eur('1890'),
  };
  const rules = [
    rule({
      ruleId: 'rule_desc',
      priority: 1,
      match: { descriptionContains: 'paws' },
      category: 'x',
    }),
    rule({ ruleId: 'rule_mcc', priority: 2, match: { mcc: ['0742'] }, category: 'x' }),
    rule({
      ruleId: 'rule_income',
      priority: 3,
      match: { merchantContains: 'paws', kinds: ['income'] },
      category: 'x',
    }),
    rule({
      ruleId: 'rule_wallet',
      priority: 4,
      match: { merchantContains: 'paws', walletId: 'w2' },
      category: 'x',
    }),
    rule({
      ruleId: 'rule_big',
      priority: 5,
      match: { merchantContains: 'paws', amountMin: eur('10000') },
      category: 'x',
    }),
    rule({
      ruleId: 'rule_usd',
      priority: 6,
      match: { amountMax: { amount: '5000', currency: 'USD' } },
      category: 'x',
    }),
    rule({
      ruleId: 'rule_paws',
      priority: 7,
      match: { merchantContains: 'Paws', amountMax: eur('10000') },
    }),
    rule({
      ruleId: 'rule_any',
      priority: 8,
      match: { merchantContains: 'shop' },
      category: 'shopping',
    }),
  ];
  t.deepEqual(ruleCategoryFor(rules, typed), { kind: 'match', category: 'pet-care' });
  // Over the pet-care bound and at least the big one's (inclusive).
  t.deepEqual(ruleCategoryFor(rules, { ...typed, amount: eur('10000') }), {
    kind: 'match',
    category: 'x',
  });
  // The USD bound does not hold for euros; the next rule does.
  t.deepEqual(ruleCategoryFor(rules, { ...typed, merchant: 'Corner shop' }), {
    kind: 'match',
    category: 'shopping',
  });
  // The amount is not typed yet: the bounded rule may decide, so no suggestion over it.
  t.deepEqual(ruleCategoryFor(rules, { ...typed, amount: undefined }), { kind: 'undecided' });
  t.deepEqual(
    ruleCategoryFor(
      [rule({ priority: 0, match: { merchantKey: 'raw:happy-paws' } }), ...rules],
      typed,
    ),
    { kind: 'undecided' },
  );
  t.deepEqual(ruleCategoryFor(rules, { ...typed, merchant: 'Corner Bakery' }), { kind: 'none' });
  t.deepEqual(ruleCategoryFor([], typed), { kind: 'none' });
});
