import test from 'ava';
import { z } from 'zod';
import { rawTransactionV1Schema } from '@spendstream/core/events/transactions';
import {
  finalTransactions,
  generateTransactions,
  iterateTransactions,
  generatorDaysAfterPeriodMax,
  startOfPastPeriod,
} from './generate.js';
import { transactionIdFor } from '../transactions/transaction-id.js';

const small = { seed: 'gen-test', users: 12, days: 90 } as const;

test('the same seed and options give identical output, another seed gives other output', (t) => {
  const a = generateTransactions(small);
  const b = generateTransactions(small);
  const c = generateTransactions({ ...small, seed: 'other' });
  t.deepEqual(a, b);
  t.notDeepEqual(
    a.transactions.slice(0, 20).map((x) => x.event.externalId),
    c.transactions.slice(0, 20).map((x) => x.event.externalId),
  );
});

test('a user is the same whatever the number of users in the run', (t) => {
  const few = generateTransactions({ ...small, users: 2 });
  const many = generateTransactions({ ...small, users: 12 });
  t.deepEqual(few.users[1], many.users[1]);
  const ofUser1 = (d: typeof few) =>
    d.transactions.filter((x) => x.event.userId === few.users[1]!.userId);
  t.deepEqual(ofUser1(few), ofUser1(many));
});

test('every delivery is a valid transactions.raw payload with the id ingest-api assigns', (t) => {
  const { transactions } = generateTransactions(small);
  t.true(transactions.length > 1000);
  for (const { event } of transactions) {
    const wire = z.encode(rawTransactionV1Schema, event);
    t.deepEqual(rawTransactionV1Schema.parse(wire), event);
    t.is(event.transactionId, transactionIdFor(event.source, event.externalId));
  }
});

test('deliveries come out in delivery order and the streamed form equals the collected one', (t) => {
  const { transactions } = generateTransactions(small);
  for (let i = 1; i < transactions.length; i++) {
    t.true(
      transactions[i - 1]!.deliveredAt <= transactions[i]!.deliveredAt,
      `out of order at ${i}`,
    );
  }
  t.deepEqual([...iterateTransactions(small)], transactions);
});

test('users live in several time zones and currencies and have realistic recurring money', (t) => {
  // January and February: every payday convention falls inside, exactly twice.
  const { users, transactions } = generateTransactions({ seed: 7, users: 40, days: 59 });
  t.true(new Set(users.map((u) => u.timeZone)).size >= 5);
  t.true(new Set(users.map((u) => u.homeCurrency)).size >= 5);
  const subs = new Set(transactions.map((x) => `${x.truth.category}/${x.truth.subcategory}`));
  for (const expected of [
    'income/salary',
    'housing/rent',
    'groceries/supermarket',
    'transport/public transit',
  ]) {
    t.true(subs.has(expected), `missing ${expected}`);
  }
  const categories = new Set(transactions.map((x) => x.truth.category));
  for (const c of [
    'restaurants',
    'coffee',
    'transport',
    'subscriptions',
    'utilities',
    'shopping',
    'transfers',
  ]) {
    t.true(categories.has(c as never), `missing ${c}`);
  }
  // Every user is paid each month of the run (two months here).
  for (const user of users) {
    const salaries = transactions.filter(
      (x) =>
        x.event.userId === user.userId &&
        x.truth.subcategory === 'salary' &&
        x.delivery === 'original',
    );
    t.is(salaries.length, 2, `${user.userId} salaries`);
  }
});

test('merchants come in hundreds of messy spellings per category', (t) => {
  const { transactions } = generateTransactions({ seed: 3, users: 150, days: 30 });
  const spellings = new Map<string, Set<string>>();
  for (const { event, truth } of transactions) {
    if (!event.merchant) continue;
    const set = spellings.get(truth.category) ?? new Set<string>();
    set.add(event.merchant);
    spellings.set(truth.category, set);
  }
  for (const category of ['groceries', 'restaurants', 'shopping', 'transport']) {
    t.true(
      (spellings.get(category)?.size ?? 0) >= 200,
      `${category}: ${spellings.get(category)?.size}`,
    );
  }
  t.true([...(spellings.get('shopping') ?? [])].some((m) => /^AMZN MKTP US\*[A-Z0-9]+$/.test(m)));
});

test('duplicates, late postings, corrections and reversals appear at about their rates', (t) => {
  const { transactions } = generateTransactions({ seed: 11, users: 60, days: 60 });
  const originals = transactions.filter((x) => x.delivery === 'original');
  const count = (kind: string) => transactions.filter((x) => x.delivery === kind).length;
  const rate = (n: number) => n / originals.length;
  t.true(rate(count('duplicate')) > 0.005 && rate(count('duplicate')) < 0.02);
  t.true(rate(originals.filter((x) => x.truth.late).length) > 0.015);
  t.true(count('correction') > 0 && count('reversal') > 0);

  const byId = new Map(originals.map((x) => [x.event.transactionId, x]));
  for (const x of transactions) {
    const original = byId.get(x.event.transactionId);
    t.truthy(original, 'every delivery belongs to an original');
    if (x.delivery === 'duplicate') t.deepEqual(x.event, original!.event);
    if (x.delivery === 'correction') {
      t.true(x.event.version > 1);
      t.true(
        x.event.amount.amount !== original!.event.amount.amount ||
          x.event.occurredAt !== original!.event.occurredAt,
      );
      t.true(x.deliveredAt > original!.deliveredAt);
    }
    if (x.delivery === 'reversal') t.is(x.event.status, 'reversed');
  }
  const finals = finalTransactions(transactions);
  t.is(finals.length, originals.length);
  t.is(finals.filter((e) => e.status === 'reversed').length, count('reversal'));
});

test('amounts are positive integers in minor units of the wallet currency', (t) => {
  const { users, transactions } = generateTransactions(small);
  const walletCurrency = new Map<string, string>(
    users.flatMap((u) => u.wallets.map((w): [string, string] => [w.walletId, w.currency])),
  );
  for (const { event } of transactions) {
    t.is(typeof event.amount.amount, 'bigint');
    t.true(event.amount.amount > 0n);
    t.is<string | undefined, string | undefined>(
      event.amount.currency,
      walletCurrency.get(event.walletId),
    );
  }
});

test('a past period keeps every transaction of a long run before now, refunds included, where the fixed default start runs past it', (t) => {
  const now = new Date('2026-11-27T01:00:00Z');
  t.is(startOfPastPeriod(30, now), '2026-10-12');
  t.is(startOfPastPeriod(1, new Date('2026-03-01T23:59:59Z')), '2026-02-12');
  const days = 400;
  const occurred = (start: string | undefined): number[] =>
    [...iterateTransactions({ seed: 7, users: 2, days, ...(start ? { start } : {}) })].map(
      (delivery) => Date.parse(delivery.event.occurredAt),
    );
  const fromToday = occurred(startOfPastPeriod(days, now));
  t.true(fromToday.length > 100, `${fromToday.length} transactions`);
  t.true(
    fromToday.every((ms) => ms <= now.getTime()),
    'no transaction after now',
  );
  const dayMs = 86_400_000;
  t.true(
    Math.max(...fromToday) > now.getTime() - (generatorDaysAfterPeriodMax + 4) * dayMs,
    'the period ends just before the refund margin',
  );
  t.true(
    occurred(undefined).some((ms) => ms > now.getTime()),
    'the fixed 2026-01-01 start goes past now',
  );
});
