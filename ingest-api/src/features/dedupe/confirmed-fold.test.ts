import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql, type Knex } from '@spendstream/core/sql';
import { createTestIssuer } from '@spendstream/core/testing/tokens';
import { createIngestApp, migrateIngest } from '../../app.js';
import { idempotencyKeepMs } from './idempotency-store.js';
import { createSqlDedupeStore, createSqlIdempotencyStore } from './sql-stores.js';

const idempotencyTable = 'ingest_idempotency';

const confirmedCount = async (sql: Knex): Promise<number> =>
  Number(
    ((await sql('ingest_dedupe_confirmed').count({ n: '*' }).first()) as { n: number | string }).n,
  );

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}

/** SQLite in memory (migrated), an embedded log, a verifier and a silent logger for one test. */
async function appDeps(t: ExecutionContext) {
  const sql = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => sql.destroy());
  await migrateIngest(sql);
  const eventLog = createEmbeddedEventLog({ path: ':memory:' });
  t.teardown(() => eventLog.close());
  const { verifier } = await createTestIssuer();
  const { log } = createMemoryLogger('ingest-api', 'silent');
  return { sql, eventLog, verifier, log };
}

test('the app folds confirmed tokens in the background, keeps the rows durable, and stops folding on close', async (t) => {
  const { sql, eventLog, verifier, log } = await appDeps(t);
  const app = createIngestApp({
    log,
    sql,
    eventLog,
    verifier,
    confirmedFoldIntervalMs: 20,
    confirmedFoldAgeMs: 0,
  });
  const dedupe = createSqlDedupeStore(sql);
  const claim = (externalId: string) => ({
    externalId,
    transactionId: `tx_${externalId}`,
    version: 1,
    contentHash: `h_${externalId}`,
    status: 'booked' as const,
  });
  for (let i = 0; i < 5; i++) {
    await dedupe.claimNew('bank', [claim(`a${i}`), claim(`b${i}`)], `tok${i}`, Date.now());
    await dedupe.confirm(`tok${i}`);
  }
  t.true(await waitFor(async () => (await confirmedCount(sql)) === 0, 5_000), 'table shrinks');
  const rows = await dedupe.read('bank', ['a0', 'b4']);
  t.like(rows.get('a0'), { version: 1, contentHash: 'h_a0', pending: undefined });
  t.like(rows.get('b4'), { version: 1, contentHash: 'h_b4', pending: undefined });
  t.deepEqual(rows.get('a0')?.history, ['h_a0']);

  await app.close();
  await dedupe.claimNew('bank', [claim('late')], 'late', Date.now());
  await dedupe.confirm('late');
  await sleep(200); // ten intervals
  t.is(await confirmedCount(sql), 1, 'no fold runs after close');
  t.like((await dedupe.read('bank', ['late'])).get('late'), { version: 1, pending: undefined });
});

test('the background run deletes Idempotency-Key records past their keep time and keeps the others', async (t) => {
  const { sql, eventLog, verifier, log } = await appDeps(t);
  const idempotency = createSqlIdempotencyStore(sql);
  const now = Date.now();
  t.deepEqual(await idempotency.begin('client-a', 'old', 'h1', now - idempotencyKeepMs - 1), {
    state: 'new',
  });
  t.deepEqual(await idempotency.begin('client-a', 'fresh', 'h2', now), { state: 'new' });
  const keys = async () =>
    (
      (await sql(idempotencyTable).select('idem_key').orderBy('idem_key')) as { idem_key: string }[]
    ).map((row) => row.idem_key);
  t.deepEqual(await keys(), ['fresh', 'old']);
  const app = createIngestApp({ log, sql, eventLog, verifier, confirmedFoldIntervalMs: 20 });
  t.teardown(() => app.close());
  t.true(await waitFor(async () => (await keys()).length === 1, 5_000), 'expired key purged');
  t.deepEqual(await keys(), ['fresh']);
});
