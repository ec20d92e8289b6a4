import test from 'ava';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createEmbeddedEventLog } from '../event-log/embedded.js';
import { spawnTsx } from '../http/test-process.js';
import { createSql } from './create-sql.js';
import {
  acquireWalCheckpointer,
  applyWriterCheckpointMode,
  walAutocheckpointPagesMax,
  walCheckpointerFiles,
} from './wal-checkpointer.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spendstream-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A WAL-mode writer on `file` as the hot paths open one (`synchronous` off: these tests are
 * about where the pages go, not about fsyncs, and write tens of megabytes). */
function openWriter(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  return db;
}

const payload = 'x'.repeat(1_000);
/** Commits `commits` transactions of 250 rows of 1 kB (about 256 kB each). */
function writeRows(db: Database.Database, commits: number, onCommit: () => void = () => {}) {
  const insert = db.prepare('INSERT INTO rows (payload) VALUES (?)');
  for (let c = 0; c < commits; c += 1) {
    db.transaction(() => {
      for (let r = 0; r < 250; r += 1) insert.run(payload);
    })();
    onCommit();
  }
}

const walBytes = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

test('the background worker copies the WAL into the database file while the writer never checkpoints', async (t) => {
  const file = join(tempDir(t), 'db.sqlite');
  const db = openWriter(file);
  applyWriterCheckpointMode(db, 'background');
  const release = acquireWalCheckpointer(file, { intervalMs: 10 });
  t.teardown(async () => {
    await release();
    db.close();
  });
  // 32 commits of 256 kB: 8 MB, far below the writer's own bound (64 MB).
  writeRows(db, 32);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  t.true(walBytes(file) > 8_000_000);
  const deadline = Date.now() + 10_000;
  while (statSync(file).size < 8_000_000 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(statSync(file).size >= 8_000_000, `database file ${statSync(file).size} bytes`);
  t.is(db.pragma('wal_autocheckpoint', { simple: true }), walAutocheckpointPagesMax);
  t.true(walAutocheckpointPagesMax * pageSize >= 64 * 1024 * 1024);
});

test('with the worker stalled the WAL stays within the writer bound plus one transaction in a long run', (t) => {
  const file = join(tempDir(t), 'db.sqlite');
  const db = openWriter(file);
  t.teardown(() => db.close());
  const walPagesMax = 256;
  applyWriterCheckpointMode(db, 'background', walPagesMax);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  let largest = 0;
  // 80 commits of 256 kB: 20 MB through a WAL bounded at 1 MB, no worker at all.
  writeRows(db, 80, () => (largest = Math.max(largest, walBytes(file))));
  const transactionBytes = 300 * 1024;
  t.true(largest > walPagesMax * pageSize, `the bound was reached (${largest} bytes)`);
  t.true(
    largest <= walPagesMax * pageSize + transactionBytes + 64 * 1024,
    `largest WAL ${largest} bytes for a bound of ${walPagesMax * pageSize}`,
  );
  const { n } = db.prepare('SELECT count(*) AS n FROM rows').get() as { n: number };
  t.is(n, 80 * 250);
});

test('a writer killed after its commits with the checkpoint deferred loses none of them', async (t) => {
  const file = join(tempDir(t), 'db.sqlite');
  const commits = 24;
  const rowsPerCommit = 500;
  const child = spawnTsx(
    fileURLToPath(new URL('./fixtures/commit-with-deferred-checkpoint.ts', import.meta.url)),
    { DB_FILE: file, COMMITS: String(commits), ROWS_PER_COMMIT: String(rowsPerCommit) },
  );
  t.teardown(() => child.stop('SIGKILL'));
  const record = await child.waitForRecord((r) => r.msg === 'committed');
  t.is((await child.stop('SIGKILL')).signal, 'SIGKILL');
  t.is(record.rows, commits * rowsPerCommit);
  // About 12 MB committed, past SQLite's own 1,000-page checkpoint: with it deferred, the rows
  // were in the WAL only when the process died.
  t.true(
    (record.databaseBytes as number) < 1_000_000,
    `database ${String(record.databaseBytes)} bytes`,
  );
  t.true(walBytes(file) > 12_000_000);
  const knex = createSql({}, { sqliteFilename: file });
  t.teardown(() => knex.destroy());
  const rows = (await knex('rows').count({ n: '*' }).first()) as { n: number };
  t.is(Number(rows.n), commits * rowsPerCommit);
  const last = (await knex('rows').max({ id: 'id' }).first()) as { id: number };
  t.is(Number(last.id), commits * rowsPerCommit);
});

test('createSql and the embedded log in background mode run one worker per file and stop it on close', async (t) => {
  const dir = tempDir(t);
  const storeFile = join(dir, 'store.sqlite');
  const logFile = join(dir, 'log.sqlite');
  const a = createSql({}, { sqliteFilename: storeFile, walCheckpoint: 'background' });
  const b = createSql({}, { sqliteFilename: storeFile, walCheckpoint: 'background' });
  const log = createEmbeddedEventLog({ path: logFile, walCheckpoint: 'background' });
  const inline = createSql({}, { sqliteFilename: join(dir, 'inline.sqlite') });
  // Other tests of this file run at the same time, with workers of their own.
  const ours = () => walCheckpointerFiles().filter((file) => file.startsWith(dir));
  const pragma = (await a.raw('PRAGMA wal_autocheckpoint')) as { wal_autocheckpoint: number }[];
  t.is(pragma[0]!.wal_autocheckpoint, walAutocheckpointPagesMax);
  const inlinePragma = (await inline.raw('PRAGMA wal_autocheckpoint')) as {
    wal_autocheckpoint: number;
  }[];
  t.is(inlinePragma[0]!.wal_autocheckpoint, 1_000);
  t.deepEqual(ours().sort(), [logFile, storeFile].sort());
  await log.close();
  t.deepEqual(ours(), [storeFile]);
  await a.destroy();
  t.deepEqual(ours(), [storeFile]);
  await b.destroy();
  await inline.destroy();
  t.deepEqual(ours(), []);
});
