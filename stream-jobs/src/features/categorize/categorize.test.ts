import test from 'ava';
import type { CategoryRule } from '@spendstream/core/events/reference';
import {
  categorize,
  type CategorizableTransaction,
  type CategorizationContext,
} from './categorize.js';
import { normalizeMerchant } from '../enrich/merchants.js';
import type { Category } from './categories.js';

const createdAt = '2026-11-01T00:00:00Z';

function tx(overrides: Partial<CategorizableTransaction> = {}): CategorizableTransaction {
  const descriptor = overrides.merchant ?? 'WHOLEFDS MKT 10234';
  const merchant = normalizeMerchant(descriptor);
  return {
    kind: 'expense',
    amount: { amount: 4599n, currency: 'USD' },
    walletId: 'w1',
    merchant: descriptor,
    description: 'weekly shop',
    mcc: '5812',
    bankCategory: 'Dining out',
    merchantKey: merchant.merchantId,
    merchantName: merchant.name,
    merchantCategory: merchant.categoryId,
    ...overrides,
  };
}

function rule(
  ruleId: string,
  priority: number,
  match: CategoryRule['match'],
  category: string,
): CategoryRule {
  return { ruleId, priority, match, category, addTags: [], origin: 'user', createdAt };
}

const empty: CategorizationContext = {
  rules: [],
  merchantCorrections: new Map(),
  customCategories: new Map(),
};

test('a correction of this very transaction beats everything, the source category included', (t) => {
  const result = categorize(tx({ category: 'restaurants' }), {
    ...empty,
    transactionOverride: 'presents',
    rules: [rule('r1', 0, { merchantKey: 'whole_foods' }, 'fast_food')],
  });
  t.is(result.assignment.id, 'presents');
  t.deepEqual(result.assignment.path, ['gifts', 'presents']);
  t.is(result.assignment.source, 'correction');
  t.is(result.reason, 'transaction_correction');
});

test('a category the source chose beats the user rules', (t) => {
  const result = categorize(tx({ category: 'restaurants' }), {
    ...empty,
    rules: [rule('r1', 0, { merchantKey: 'whole_foods' }, 'fast_food')],
  });
  t.is(result.assignment.id, 'restaurants');
  t.is(result.assignment.source, 'user');
});

test('a user rule beats the user corrections for the merchant, and the lowest priority rule wins', (t) => {
  const result = categorize(tx(), {
    ...empty,
    rules: [
      rule('r-late', 50, { merchantContains: 'wholefds' }, 'fast_food'),
      rule(
        'r-first',
        10,
        { merchantKey: 'whole_foods', amountMin: { amount: 1000n, currency: 'USD' } },
        'presents',
      ),
      rule('r-unmatched', 0, { descriptionContains: 'rent' }, 'rent'),
    ],
    merchantCorrections: new Map([['whole_foods', 'coffee']]),
  });
  t.is(result.assignment.id, 'presents');
  t.is(result.assignment.source, 'rule');
  t.is(result.assignment.ruleId, 'r-first');
});

test('a rule whose amount bound is in another currency does not match', (t) => {
  const result = categorize(tx(), {
    ...empty,
    rules: [
      rule(
        'r1',
        0,
        { merchantKey: 'whole_foods', amountMax: { amount: 999999n, currency: 'EUR' } },
        'presents',
      ),
    ],
  });
  t.is(result.reason, 'merchant_dictionary');
});

test('the user correction for a merchant beats the merchant dictionary', (t) => {
  const result = categorize(tx(), {
    ...empty,
    merchantCorrections: new Map([['whole_foods', 'coffee']]),
  });
  t.is(result.assignment.id, 'coffee');
  t.is(result.assignment.source, 'correction');
  t.is(result.reason, 'merchant_correction');
});

test('the merchant dictionary beats the MCC', (t) => {
  const result = categorize(tx(), empty);
  t.is(result.assignment.id, 'groceries');
  t.deepEqual(result.assignment.path, ['food', 'groceries']);
  t.is(result.assignment.source, 'merchant');
});

test('the MCC beats the bank category when the merchant is unknown', (t) => {
  const result = categorize(tx({ merchant: 'JOES PLACE 123' }), empty);
  t.is(result.assignment.id, 'restaurants');
  t.is(result.assignment.source, 'mcc');
});

test('the bank category decides when there is no MCC', (t) => {
  const result = categorize(
    tx({ merchant: 'JOES PLACE 123', mcc: undefined, bankCategory: 'Travel - Hotel' }),
    empty,
  );
  t.is(result.assignment.id, 'lodging');
  t.is(result.assignment.source, 'bank');
});

test('keywords decide when nothing structured does', (t) => {
  const result = categorize(
    tx({
      merchant: 'CORNER BAKERY 42',
      mcc: undefined,
      bankCategory: undefined,
      description: undefined,
    }),
    empty,
  );
  t.is(result.assignment.id, 'groceries');
  t.is(result.reason, 'keyword');
  t.is(result.assignment.source, 'default');
});

test('it falls back to uncategorized', (t) => {
  const result = categorize(
    tx({ merchant: 'XQZ 42', mcc: undefined, bankCategory: undefined, description: undefined }),
    empty,
  );
  t.is(result.assignment.id, 'uncategorized');
  t.deepEqual(result.assignment.path, ['uncategorized']);
  t.is(result.reason, 'uncategorized');
});

test('a transfer is categorized by its kind even through a merchant the dictionary knows', (t) => {
  const result = categorize(
    tx({
      kind: 'transfer_out',
      merchant: 'PAYPAL *MOM',
      transfer: { transferId: 't1', internal: false },
    }),
    empty,
  );
  t.is(result.assignment.id, 'people_transfers');
});

test('a rule pointing at an unknown category is skipped and the next level decides', (t) => {
  const result = categorize(tx(), {
    ...empty,
    rules: [rule('r1', 0, { merchantKey: 'whole_foods' }, 'deleted-custom')],
  });
  t.is(result.reason, 'merchant_dictionary');
});

test('a custom category resolves under its built-in parent', (t) => {
  const custom = new Map<string, Category>([
    ['organic', { id: 'organic', name: 'Organic', parentId: 'groceries' }],
  ]);
  const result = categorize(tx(), {
    ...empty,
    customCategories: custom,
    rules: [rule('r1', 0, { merchantKey: 'whole_foods' }, 'organic')],
  });
  t.deepEqual(result.assignment.path, ['food', 'groceries', 'organic']);
  t.is(result.assignment.name, 'Organic');
});
