import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configExitCode } from '@spendstream/core/config';
import { createServiceServer } from '@spendstream/core/http';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createTestIssuer } from '@spendstream/core/testing/tokens';
import { createIngestApp, migrateIngest } from './app.js';

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));

test('the app serves health, readiness on SQL, metrics and its OpenAPI document', async (t) => {
  const sql = createSql({}, { sqliteFilename: ':memory:' });
  await migrateIngest(sql);
  const eventLog = createEmbeddedEventLog({ path: ':memory:' });
  t.teardown(() => eventLog.close());
  const { verifier } = await createTestIssuer();
  const { log } = createMemoryLogger('ingest-api');
  const server = createServiceServer(createIngestApp({ log, sql, eventLog, verifier }));
  await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  t.is((await fetch(`${server.url}/readyz`)).status, 200);
  t.regex(await (await fetch(`${server.url}/metrics`)).text(), /service="ingest-api"/);
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
    info: { title: string };
    paths: Record<string, unknown>;
  };
  t.is(doc.info.title, 'Spendstream ingest API');
  for (const path of [
    '/v1/transactions',
    '/v1/transactions:batch',
    '/v1/wallets/{walletId}/imports',
    '/v1/imports/{importId}',
  ]) {
    t.truthy(doc.paths[path], path);
  }
  // With the database gone, readiness says so.
  await sql.destroy();
  const unready = await fetch(`${server.url}/readyz`);
  t.is(unready.status, 503);
  t.like(await unready.json(), { checks: { sql: { ok: false } } });
});

test('main exits non-zero naming the variable when the configuration is bad', async (t) => {
  const run = spawnTsx(mainPath, { INGEST_API_PORT: 'not-a-port' });
  const { code } = await run.exited;
  t.is(code, configExitCode);
  t.regex(run.stderr(), /^invalid configuration: INGEST_API_PORT: expected a port number/m);
});

test('main serves on the embedded default and drains on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-api-main-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnTsx(mainPath, { INGEST_API_PORT: '0', DATA_DIR: dataDir, HOST: '127.0.0.1' });
  t.teardown(() => run.stop('SIGKILL'));
  const listening = await run.waitForRecord((r) => r.msg === 'listening');
  t.like(listening, { service: 'ingest-api', backends: { sql: 'sqlite' } });
  const health = await fetch(`http://127.0.0.1:${String(listening.port)}/healthz`);
  t.is(health.status, 200);
  const { code } = await run.stop('SIGTERM');
  t.is(code, 0);
  t.truthy(run.records.find((r) => r.msg === 'stopped'));
});

test('main with INGEST_WORKERS=2 serves from two worker processes on one port and drains both on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-api-workers-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnTsx(mainPath, {
    INGEST_API_PORT: '0',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    INGEST_WORKERS: '2',
  });
  t.teardown(() => run.stop('SIGKILL'));
  // Three processes each load tsx first: on a busy 2-core box that takes a while.
  t.timeout(240_000);
  const primary = await run.waitForRecord((r) => r.msg === 'listening' && r.workers === 2, 180_000);
  const workers = run.records.filter((r) => r.msg === 'listening' && r.workers === undefined);
  t.is(workers.length, 2, 'each worker listens');
  t.true(
    workers.every((w) => w.port === primary.port),
    'on the shared port',
  );
  for (let i = 0; i < 4; i++) {
    const health = await fetch(`http://127.0.0.1:${String(primary.port)}/healthz`);
    t.is(health.status, 200);
  }
  const { code } = await run.stop('SIGTERM', 60_000);
  t.is(code, 0);
  t.is(run.records.filter((r) => r.msg === 'stopped').length, 3, 'both workers and the primary');
});

test('INGEST_WORKERS outside 1 to workersMax is a configuration error naming it', async (t) => {
  const run = spawnTsx(mainPath, { INGEST_WORKERS: '0' });
  const { code } = await run.exited;
  t.is(code, configExitCode);
  t.regex(run.stderr(), /^invalid configuration: INGEST_WORKERS: expected a whole number/m);
});
