/**
 * A pipeline on the embedded adapters for tests, laid out as the embedded default (`openBackends`):
 * the SQLite log in its own file, the store and the index sharing `stream-jobs.sqlite`, in a
 * temporary folder; closed by the test's teardown.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { Registry } from 'prom-client';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql/create-sql';
import { createSqlDocumentStore, sqlDocumentsTable } from '../documents/sql-store.js';
import { createSqlSearchIndex } from '../search/sql-index.js';
import { createStreamJobs } from './stream-jobs.js';
import { createAllTopics } from './test-harness.js';

/** The file the store and the index share in the pipeline's folder. */
export const storeFileName = 'stream-jobs.sqlite';

/** The jobs' clock in these tests. */
export const testNow = '2026-11-25T12:00:00Z';

/**
 * Every topic created; `start(groupId)` starts jobs on it (batches of 50). The first jobs started
 * report their metrics to `registry`; later ones (a replay, a second worker) to none.
 */
export async function embeddedPipeline(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'sj-pipeline-'));
  const eventLog = createEmbeddedEventLog({ path: join(dir, 'log.sqlite'), pollIntervalMs: 20 });
  await createAllTopics(eventLog);
  const knex = createSql({}, { sqliteFilename: join(dir, storeFileName) });
  const store = createSqlDocumentStore({ knex, closeKnex: false });
  const index = createSqlSearchIndex({
    knex,
    closeKnex: false,
    documentsTable: sqlDocumentsTable(),
  });
  const registry = new Registry();
  const { log, records } = createMemoryLogger('stream-jobs', 'warn');
  const clock = () => DateTime.fromISO(testNow, { zone: 'utc' });
  let started = 0;
  const start = async (groupId = 'stream-jobs') => {
    const jobs = createStreamJobs({
      eventLog,
      store,
      index,
      log,
      ...(started++ === 0 ? { registry } : {}),
      groupId,
      now: clock,
      batchSizeMax: 50,
    });
    await jobs.start();
    return jobs;
  };
  t.teardown(async () => {
    await eventLog.close();
    await store.close();
    await index.close();
    await knex.destroy();
  });
  return { eventLog, store, index, registry, start, records, dir };
}
