import test from 'ava';
import { createTestDatabase, testDialects } from '@spendstream/core/sql/test-database';
import { migrateToLatest } from '@spendstream/core/sql';
import { createMemoryDedupeStore, type Claim, type DedupeStore } from './dedupe-store.js';
import {
  createMemoryIdempotencyStore,
  idempotencyKeepMs,
  type IdempotencyStore,
} from './idempotency-store.js';
import {
  confirmTokensPerStatementMax,
  createSqlDedupeStore,
  createSqlIdempotencyStore,
  ingestMigrations,
} from './sql-stores.js';

type Stores = {
  dedupe: DedupeStore;
  idempotency: IdempotencyStore;
  close: () => Promise<void>;
  /** Tokens kept in the confirmed table (SQL stores only; the memory store keeps none). */
  confirmedTokens?: () => Promise<number>;
};

const backends: [string, () => Promise<Stores>][] = [
  [
    'memory',
    async () => ({
      dedupe: createMemoryDedupeStore(),
      idempotency: createMemoryIdempotencyStore(),
      close: async () => undefined,
    }),
  ],
  ...testDialects().map((dialect): [string, () => Promise<Stores>] => [
    dialect,
    async () => {
      const db = await createTestDatabase(dialect);
      await migrateToLatest(db.knex, ingestMigrations);
      return {
        dedupe: createSqlDedupeStore(db.knex),
        idempotency: createSqlIdempotencyStore(db.knex),
        close: () => db.destroy(),
        confirmedTokens: async () =>
          Number(
            (
              (await db.knex('ingest_dedupe_confirmed').count({ n: '*' }).first()) as {
                n: number | string;
              }
            ).n,
          ),
      };
    },
  ]),
];

const claim = (externalId: string, version = 1, contentHash = 'h1'): Claim => ({
  externalId,
  transactionId: `tx_${externalId}`,
  version,
  contentHash,
  status: 'booked',
});

for (const [name, open] of backends) {
  test(`dedupe store contract (${name}): claim, confirm, release, compare-and-set and stale takeover`, async (t) => {
    const { dedupe, close } = await open();
    t.teardown(close);
    const won = await dedupe.claimNew('bank', [claim('a'), claim('b')], 'tok1', 1_000);
    t.deepEqual([...won].sort(), ['a', 'b']);
    // A racing request cannot claim the same new keys.
    t.deepEqual(
      [...(await dedupe.claimNew('bank', [claim('a'), claim('c')], 'tok2', 1_001))],
      ['c'],
    );
    // Another source is another key space.
    t.deepEqual([...(await dedupe.claimNew('other', [claim('a')], 'tok3', 1_002))], ['a']);
    let records = await dedupe.read('bank', ['a', 'b', 'c', 'zz']);
    t.is(records.size, 3);
    t.like(records.get('a'), {
      version: 0,
      pending: { version: 1, token: 'tok1', sinceMs: 1_000 },
    });

    await dedupe.confirm('tok1');
    await dedupe.release('tok2'); // c was never durable: it disappears
    records = await dedupe.read('bank', ['a', 'b', 'c']);
    t.deepEqual([...records.keys()].sort(), ['a', 'b']);
    t.like(records.get('a'), {
      version: 1,
      contentHash: 'h1',
      status: 'booked',
      pending: undefined,
    });

    // Next version: only from the version seen, and only once.
    t.true(await dedupe.claimExisting('bank', claim('a', 2, 'h2'), 1, 'tok4', 2_000, 0));
    t.false(await dedupe.claimExisting('bank', claim('a', 2, 'h3'), 1, 'tok5', 2_001, 0));
    // Released: the durable version stays, the claim goes.
    await dedupe.release('tok4');
    t.like((await dedupe.read('bank', ['a'])).get('a'), { version: 1, pending: undefined });
    // A stale claim (started before staleBefore) is taken over.
    t.true(await dedupe.claimExisting('bank', claim('a', 2, 'h2'), 1, 'tok6', 3_000, 0));
    t.true(await dedupe.claimExisting('bank', claim('a', 2, 'h2'), 1, 'tok7', 40_000, 35_000));
    await dedupe.confirm('tok6'); // the old owner's confirm no longer matches
    t.like((await dedupe.read('bank', ['a'])).get('a'), { version: 1, pending: { token: 'tok7' } });
    await dedupe.confirm('tok7');
    t.like((await dedupe.read('bank', ['a'])).get('a'), {
      version: 2,
      contentHash: 'h2',
      pending: undefined,
    });
    t.deepEqual(
      (await dedupe.read('bank', ['a'])).get('a')!.history,
      ['h1', 'h2'],
      'every durable version is remembered',
    );
    // Many keys at once (more than one statement's worth).
    const many = Array.from({ length: 1_200 }, (_, i) => claim(`m${i}`));
    t.is((await dedupe.claimNew('bank', many, 'tok8', 5_000)).size, 1_200);
    await dedupe.confirm('tok8');
    t.is(
      (
        await dedupe.read(
          'bank',
          many.map((c) => c.externalId),
        )
      ).size,
      1_200,
    );
  });

  test(`dedupe store (${name}): a chain of versions, each confirmed, reads durable after every confirm`, async (t) => {
    const { dedupe, close } = await open();
    t.teardown(close);
    t.is((await dedupe.claimNew('bank', [claim('x', 1, 'v1')], 'c1', 1_000)).size, 1);
    await dedupe.confirm('c1');
    await dedupe.confirm('c1'); // a repeated confirm changes nothing
    for (let version = 2; version <= 4; version++) {
      const before = (await dedupe.read('bank', ['x'])).get('x')!;
      t.like(before, { version: version - 1, contentHash: `v${version - 1}`, pending: undefined });
      // Only one claim of the next version wins; the loser changes nothing.
      t.true(
        await dedupe.claimExisting(
          'bank',
          claim('x', version, `v${version}`),
          version - 1,
          `c${version}`,
          1_000 * version,
          0,
        ),
      );
      t.false(
        await dedupe.claimExisting(
          'bank',
          claim('x', version, 'other'),
          version - 1,
          'loser',
          1_000 * version,
          0,
        ),
      );
      t.like((await dedupe.read('bank', ['x'])).get('x'), {
        version: version - 1,
        pending: { version, token: `c${version}`, contentHash: `v${version}` },
      });
      await dedupe.confirm(`c${version}`);
    }
    const last = (await dedupe.read('bank', ['x'])).get('x')!;
    t.like(last, { version: 4, contentHash: 'v4', status: 'booked', pending: undefined });
    t.deepEqual(last.history, ['v1', 'v2', 'v3', 'v4']);
    // A claim confirmed long after it was made is durable: an old claim time does not make it
    // stale, and a takeover from the version before it is refused.
    t.is((await dedupe.claimNew('bank', [claim('y', 1, 'y1')], 'slow', 1_000)).size, 1);
    await dedupe.confirm('slow');
    t.false(await dedupe.claimExisting('bank', claim('y', 1, 'y2'), 0, 'taker', 90_000, 60_000));
    t.like((await dedupe.read('bank', ['y'])).get('y'), {
      version: 1,
      contentHash: 'y1',
      pending: undefined,
    });
    // A version claimed on a stale view (the durable version moved on) is refused.
    t.false(await dedupe.claimExisting('bank', claim('x', 4, 'late'), 3, 'late', 9_000, 0));
  });

  test(`dedupe store (${name}): the background fold forgets old confirmed tokens, rows stay durable, corrections and stale takeovers still work`, async (t) => {
    const { dedupe, confirmedTokens, close } = await open();
    t.teardown(close);
    const sql = confirmedTokens !== undefined;
    const tokens = async () => (confirmedTokens ? confirmedTokens() : 0);
    t.is((await dedupe.claimNew('bank', [claim('a'), claim('b')], 't1', 1_000)).size, 2);
    await dedupe.confirm('t1');
    t.is((await dedupe.claimNew('bank', [claim('n1', 1, 'n')], 't2', 1_000)).size, 1);
    await dedupe.confirm('t2');
    // Claimed, never confirmed (its process died): stays a pending claim.
    t.is((await dedupe.claimNew('bank', [claim('dead')], 'gone', 1_000)).size, 1);
    t.is(await tokens(), sql ? 2 : 0);
    // Tokens younger than the age are kept.
    t.is(await dedupe.foldConfirmed(Date.now() - 60_000, 500), 0);
    t.is(await tokens(), sql ? 2 : 0);
    // One batch at a time, then the rest: the table shrinks back to nothing.
    t.is(await dedupe.foldConfirmed(Date.now() + 1, 1), sql ? 1 : 0);
    t.is(await tokens(), sql ? 1 : 0);
    t.is(await dedupe.foldConfirmed(Date.now() + 1, 500), sql ? 1 : 0);
    t.is(await tokens(), 0);
    t.is(await dedupe.foldConfirmed(Date.now() + 1, 500), 0);
    // The rows are durable, as a fold on the next claim makes them.
    const records = await dedupe.read('bank', ['a', 'b', 'n1', 'dead']);
    t.like(records.get('a'), {
      version: 1,
      contentHash: 'h1',
      status: 'booked',
      pending: undefined,
    });
    t.deepEqual(records.get('a')?.history, ['h1']);
    t.like(records.get('n1'), { version: 1, contentHash: 'n', pending: undefined });
    t.like(records.get('dead'), { version: 0, pending: { token: 'gone', sinceMs: 1_000 } });
    // A folded row is never taken over as stale (it has no claim), from the version before it.
    t.false(await dedupe.claimExisting('bank', claim('a', 1, 'x'), 0, 'taker', 90_000, 60_000));
    // A correction after the purge: the next version, confirmed, folded in turn.
    t.true(await dedupe.claimExisting('bank', claim('a', 2, 'h2'), 1, 't3', 2_000, 0));
    t.false(await dedupe.claimExisting('bank', claim('a', 2, 'h9'), 1, 'rival', 2_001, 0));
    await dedupe.confirm('t3');
    t.like((await dedupe.read('bank', ['a'])).get('a'), { version: 2, contentHash: 'h2' });
    t.is(await dedupe.foldConfirmed(Date.now() + 1, 500), sql ? 1 : 0);
    const a = (await dedupe.read('bank', ['a'])).get('a')!;
    t.like(a, { version: 2, contentHash: 'h2', pending: undefined });
    t.deepEqual(a.history, ['h1', 'h2']);
    // A stale claim that was never confirmed is still taken over, and the taker's confirm counts.
    t.true(await dedupe.claimExisting('bank', claim('dead'), 0, 'taker2', 40_000, 35_000));
    await dedupe.confirm('taker2');
    await dedupe.confirm('gone'); // the dead owner's late confirm no longer matches a row
    t.is(await dedupe.foldConfirmed(Date.now() + 1, 500), sql ? 2 : 0);
    t.like((await dedupe.read('bank', ['dead'])).get('dead'), { version: 1, pending: undefined });
    t.is(await tokens(), 0);
  });

  test(`dedupe store (${name}): folds running all the time beside corrections never let a confirmed claim be taken over`, async (t) => {
    const { dedupe, confirmedTokens, close } = await open();
    t.teardown(close);
    const keys = Array.from({ length: 12 }, (_, i) => `r${i}`);
    t.is(
      (
        await dedupe.claimNew(
          'bank',
          keys.map((k) => claim(k, 1, `${k}v1`)),
          'base',
          1,
        )
      ).size,
      12,
    );
    await dedupe.confirm('base');
    let chainsDone = false;
    let folded = 0;
    const folding = (async () => {
      while (!chainsDone) folded += await dedupe.foldConfirmed(Date.now() + 1, 2);
    })();
    const takenOver: string[] = [];
    await Promise.all(
      keys.map(async (k) => {
        for (let version = 2; version <= 5; version++) {
          const token = `${k}-${version}`;
          const won = await dedupe.claimExisting(
            'bank',
            claim(k, version, `${k}v${version}`),
            version - 1,
            token,
            version * 10,
            0,
          );
          if (!won) takenOver.push(`${token} not claimed`);
          await dedupe.confirm(token);
          // However old the claim, once confirmed nobody takes it over from the version before.
          if (
            await dedupe.claimExisting(
              'bank',
              claim(k, version, 'x'),
              version - 1,
              'taker',
              1e12,
              1e12,
            )
          )
            takenOver.push(`${token} taken over`);
        }
      }),
    );
    chainsDone = true;
    await folding;
    t.deepEqual(takenOver, []);
    while ((await dedupe.foldConfirmed(Date.now() + 1, 500)) > 0);
    t.is(confirmedTokens ? await confirmedTokens() : 0, 0);
    if (confirmedTokens) t.true(folded > 0, 'the folds ran during the chains');
    const records = await dedupe.read('bank', keys);
    for (const k of keys) {
      t.like(records.get(k), { version: 5, contentHash: `${k}v5`, pending: undefined }, k);
      t.deepEqual(
        records.get(k)?.history,
        [1, 2, 3, 4, 5].map((v) => `${k}v${v}`),
        k,
      );
    }
  });

  test(`dedupe store (${name}): a token with quotes, a backslash and ? is bound, not written into the statement`, async (t) => {
    const { dedupe, close } = await open();
    t.teardown(close);
    const odd = 't\'ok?\\ "x';
    t.is((await dedupe.claimNew('bank', [claim('q1'), claim('q2')], odd, 1_000)).size, 2);
    t.like((await dedupe.read('bank', ['q1'])).get('q1')?.pending, { token: odd, sinceMs: 1_000 });
    await dedupe.confirm(odd);
    t.like((await dedupe.read('bank', ['q2'])).get('q2'), { version: 1, pending: undefined });
    // A plain token and a fractional time (not an integer): bound as well.
    t.is((await dedupe.claimNew('bank', [claim('q3')], 'plain-1', 1_000.5)).size, 1);
    t.like((await dedupe.read('bank', ['q3'])).get('q3')?.pending, { token: 'plain-1' });
  });

  test(`dedupe store (${name}): odd values in a claim of a few keys and of a full chunk (on MySQL a JSON text) read back as sent`, async (t) => {
    const { dedupe, close } = await open();
    t.teardown(close);
    // Quotes, backslash, ?, a newline, non-ASCII, 200 characters ending in a quote, an odd source
    // and an odd hash; alone, then among plain keys filling a claim of exactly 1,000.
    const odd = [
      'plain-1',
      'A.b:c@d+e/f g',
      "o'brien",
      'back\\slash',
      'what?',
      'two\nlines',
      'café',
      'Zürich 東京 😀',
      'say "hi"',
      'tab\tand\u0000nul',
      `${'x'.repeat(199)}'`,
    ];
    const full = [...odd, ...Array.from({ length: 1_000 - odd.length }, (_, i) => `fill-${i}`)];
    for (const [source, ids] of [
      ['bank', odd],
      ["o'bank?", odd],
      ['bank-full', full],
      ["o'bank?-full", full],
    ] as const) {
      const claims = ids.map((id, i) => ({
        ...claim(id, 1, i === 3 ? "h'?" : `h${i}`),
        transactionId: `tx_${i}`,
      }));
      const won = await dedupe.claimNew(source, claims, 'tok-plain', 2_000);
      t.deepEqual([...won].sort(), [...ids].sort(), source);
      const read = await dedupe.read(source, ids);
      for (const [i, id] of ids.entries()) {
        t.like(read.get(id), { source, externalId: id, transactionId: `tx_${i}`, version: 0 }, id);
        t.like(
          read.get(id)?.pending,
          {
            version: 1,
            contentHash: i === 3 ? "h'?" : `h${i}`,
            status: 'booked',
            token: 'tok-plain',
            sinceMs: 2_000,
          },
          id,
        );
      }
      // Claimed again: every key is taken, nothing new is won.
      t.is((await dedupe.claimNew(source, claims, 'tok-other', 2_001)).size, 0);
    }
    // A lone surrogate: claimed on every backend. MySQL stores it as U+FFFD, what a UTF-8 encoder
    // writes for it (as a bound value always was); the claim's JSON text must not carry it
    // escaped, which MariaDB refuses.
    const lone = ['lone \ud800 high', 'lone \udc00 low'];
    t.is(
      (
        await dedupe.claimNew(
          'bank',
          lone.map((id) => claim(id)),
          'tok-s',
          1,
        )
      ).size,
      2,
    );
    if (name === 'mysql') {
      const stored = await dedupe.read('bank', ['lone \ufffd high', 'lone \ufffd low']);
      t.deepEqual([...stored.keys()].sort(), ['lone \ufffd high', 'lone \ufffd low']);
    }
    // A full chunk with an odd token and a real clock (on MySQL every value bound, the token and
    // time too): every row carries them, and two full chunks of different sources claimed at
    // once on the pool's connections do not mix them up.
    const clock = 1_764_000_000_123;
    const ids = Array.from({ length: 1_000 }, (_, i) => `chunk-${i}`);
    const [a, b] = await Promise.all(
      (['src-a', "src'b?"] as const).map((source, n) =>
        dedupe.claimNew(
          source,
          ids.map((id) => claim(id, 1, `${source}-${id}`)),
          n === 0 ? 't\'ok?\\ "x' : 'tok-b',
          clock + n,
        ),
      ),
    );
    t.is(a!.size, 1_000);
    t.is(b!.size, 1_000);
    for (const [n, source] of (['src-a', "src'b?"] as const).entries()) {
      const read = await dedupe.read(source, ids);
      t.is(read.size, 1_000);
      for (const id of [ids[0]!, ids[499]!, ids[999]!]) {
        t.like(read.get(id), {
          source,
          externalId: id,
          pending: {
            version: 1,
            contentHash: `${source}-${id}`,
            token: n === 0 ? 't\'ok?\\ "x' : 'tok-b',
            sinceMs: clock + n,
          },
        });
      }
    }
  });

  test(`dedupe store (${name}): a claim of keys at different versions and statuses keeps each key's own`, async (t) => {
    const { dedupe, close } = await open();
    t.teardown(close);
    // Mixed claims (on MySQL the statement with version and status in every JSON row; a uniform
    // claim binds them once), then a uniform one at another version and status.
    const mixed = [
      { ...claim('m1', 1, 'h1'), status: 'booked' as const },
      { ...claim('m2', 3, 'h2'), status: 'reversed' as const },
      { ...claim('m3', 2, 'h3'), status: 'booked' as const },
    ];
    t.is((await dedupe.claimNew('bank', mixed, 'tok-m', 5)).size, 3);
    const uniform = [claim('u1', 4, 'hu1'), claim('u2', 4, 'hu2')].map((c) => ({
      ...c,
      status: 'reversed' as const,
    }));
    t.is((await dedupe.claimNew('bank', uniform, 'tok-u', 6)).size, 2);
    const read = await dedupe.read('bank', ['m1', 'm2', 'm3', 'u1', 'u2']);
    for (const c of [...mixed, ...uniform]) {
      t.like(
        read.get(c.externalId)?.pending,
        { version: c.version, contentHash: c.contentHash, status: c.status },
        c.externalId,
      );
    }
  });

  test(`idempotency store contract (${name}): new, pending, done, conflict hash, abandon, expiry`, async (t) => {
    const { idempotency, close } = await open();
    t.teardown(close);
    t.deepEqual(await idempotency.begin('c1', 'k', 'hash-a', 1_000), { state: 'new' });
    t.deepEqual(await idempotency.begin('c1', 'k', 'hash-a', 1_001), {
      state: 'pending',
      requestHash: 'hash-a',
    });
    t.deepEqual(
      await idempotency.begin('c2', 'k', 'hash-b', 1_001),
      { state: 'new' },
      'keys are per caller',
    );
    await idempotency.complete('c1', 'k', 202, '{"ok":true}');
    t.deepEqual(await idempotency.begin('c1', 'k', 'hash-x', 1_002), {
      state: 'done',
      requestHash: 'hash-a',
      statusCode: 202,
      response: '{"ok":true}',
    });
    await idempotency.abandon('c2', 'k');
    t.deepEqual(await idempotency.begin('c2', 'k', 'hash-c', 1_003), { state: 'new' });
    // Kept at least idempotencyKeepMs, then gone.
    t.is(
      (await idempotency.begin('c1', 'k', 'hash-a', 1_000 + idempotencyKeepMs - 1)).state,
      'done',
    );
    t.is(await idempotency.purgeExpired(1_000 + idempotencyKeepMs), 1);
    t.deepEqual(await idempotency.begin('c1', 'k', 'hash-z', 1_000 + idempotencyKeepMs + 1), {
      state: 'new',
    });
  });

  test(`dedupe store (${name}): a claim of 6,000 keys spans statements, and a second one wins exactly the new keys`, async (t) => {
    const { dedupe, close } = await open();
    t.teardown(close);
    // Above both dialects' rows a statement (1,000 on SQLite, 5,000 on MySQL): one transaction.
    const keys = Array.from({ length: 6_000 }, (_, i) => `k${i}`);
    const won = await dedupe.claimNew(
      'bank',
      keys.map((k) => claim(k)),
      'big1',
      1_000,
    );
    t.is(won.size, 6_000);
    await dedupe.confirm('big1');
    // Half known, half new: only the new half is won, by the new token.
    const more = Array.from({ length: 6_000 }, (_, i) => `k${i + 3_000}`);
    const won2 = await dedupe.claimNew(
      'bank',
      more.map((k) => claim(k)),
      'big2',
      2_000,
    );
    t.deepEqual([...won2].sort(), Array.from({ length: 3_000 }, (_, i) => `k${i + 6_000}`).sort());
    const records = await dedupe.read('bank', ['k0', 'k5999', 'k6000', 'k8999', 'k9000']);
    t.like(records.get('k0'), { version: 1, pending: undefined });
    t.like(records.get('k5999'), { version: 1, pending: undefined });
    t.like(records.get('k6000')?.pending, { token: 'big2', version: 1 });
    t.like(records.get('k8999')?.pending, { token: 'big2' });
    t.false(records.has('k9000'));
    // Nothing new at all: nothing won.
    t.is((await dedupe.claimNew('bank', [claim('k1')], 'big3', 3_000)).size, 0);
  });
}

// Gathered confirms are MySQL's (on SQLite each confirm is its own statement, as before).
for (const dialect of testDialects().filter((d) => d === 'mysql')) {
  /** A migrated database, its dedupe store, and a count of the connections its statements took. */
  const openCounted = async () => {
    const db = await createTestDatabase(dialect);
    await migrateToLatest(db.knex, ingestMigrations);
    const client = db.knex.client as { acquireConnection: () => Promise<unknown> };
    const acquire = client.acquireConnection.bind(client);
    const counted = { statements: 0 };
    client.acquireConnection = () => {
      counted.statements++;
      return acquire();
    };
    const confirmed = async () =>
      Number(
        (
          (await db.knex('ingest_dedupe_confirmed').count({ n: '*' }).first()) as {
            n: number | string;
          }
        ).n,
      );
    return { db, dedupe: createSqlDedupeStore(db.knex), counted, confirmed };
  };

  test(`dedupe store (${dialect}): confirms made together share one statement, and each reads durable after`, async (t) => {
    const { db, dedupe, counted, confirmed } = await openCounted();
    t.teardown(() => db.destroy());
    for (const key of ['a', 'b', 'c'])
      await dedupe.claimNew('bank', [claim(key)], `t${key}`, 1_000);
    counted.statements = 0;
    await Promise.all(['ta', 'tb', 'tc'].map((token) => dedupe.confirm(token)));
    t.is(counted.statements, 1, 'one insert for the three tokens');
    const records = await dedupe.read('bank', ['a', 'b', 'c']);
    for (const key of ['a', 'b', 'c']) t.like(records.get(key), { version: 1, pending: undefined });
    // More tokens than one statement takes: two statements, every token kept.
    counted.statements = 0;
    const tokens = Array.from({ length: confirmTokensPerStatementMax + 1 }, (_, i) => `many${i}`);
    await Promise.all(tokens.map((token) => dedupe.confirm(token)));
    t.is(counted.statements, 2);
    t.is(await confirmed(), 3 + tokens.length);
  });

  test(`dedupe store (${dialect}): a confirm statement that fails rejects every confirm it carried`, async (t) => {
    const { db, dedupe } = await openCounted();
    t.teardown(() => db.destroy());
    await dedupe.claimNew('bank', [claim('x')], 'tx', 1_000);
    await db.knex.schema.dropTable('ingest_dedupe_confirmed');
    const results = await Promise.allSettled([dedupe.confirm('tx'), dedupe.confirm('ty')]);
    t.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
}
