import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configExitCode } from '@spendstream/core/config';
import { baseDatabaseNameLengthMax } from './query/mongo-spread.js';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { startTestApp } from '../test/support/test-app.js';

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));

test('the app serves health, readiness on SQL, metrics and its OpenAPI document', async (t) => {
  const app = await startTestApp();
  t.teardown(() => app.close());
  t.is((await fetch(`${app.url}/healthz`)).status, 200);
  t.is((await fetch(`${app.url}/readyz`)).status, 200);
  t.regex(await (await fetch(`${app.url}/metrics`)).text(), /service="analytics-api"/);
  const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
    info: { title: string };
    paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
  };
  t.is(doc.info.title, 'Spendstream analytics API');
  t.deepEqual(
    doc.paths['/v1/analytics/breakdown']?.get?.parameters
      ?.map((parameter) => parameter.name)
      .sort(),
    [
      'by',
      'byCurrency',
      'category',
      'date',
      'flow',
      'from',
      'limit',
      'period',
      'startDay',
      'to',
      'userId',
      'walletId',
    ],
  );
  t.truthy(doc.paths['/v1/alerts/stream']?.get);
  // With the database gone, readiness says so.
  await app.sql.destroy();
  const unready = await fetch(`${app.url}/readyz`);
  t.is(unready.status, 503);
  t.like(await unready.json(), { checks: { sql: { ok: false } } });
});

test('main exits non-zero naming the variable when the configuration is bad', async (t) => {
  const run = spawnTsx(mainPath, { ANALYTICS_API_PORT: 'not-a-port' });
  const { code } = await run.exited;
  t.is(code, configExitCode);
  t.regex(run.stderr(), /^invalid configuration: ANALYTICS_API_PORT: expected a port number/m);
});

test('main exits naming the variable when MongoDB is set without a search index', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'analytics-api-main-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnTsx(mainPath, {
    ANALYTICS_API_PORT: '0',
    DATA_DIR: dataDir,
    MONGODB_URL: 'mongodb://127.0.0.1:1/none',
  });
  const { code } = await run.exited;
  t.is(code, configExitCode);
  t.regex(
    run.stderr(),
    /^invalid configuration: OPENSEARCH_URL: analytics reads rollups from MongoDB/m,
  );
});

test('main exits naming the variable when the MongoDB database name leaves no room for the read-model databases', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'analytics-api-main-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const tooLong = 'd'.repeat(baseDatabaseNameLengthMax + 1);
  const inUrl = spawnTsx(mainPath, {
    ANALYTICS_API_PORT: '0',
    DATA_DIR: dataDir,
    MONGODB_URL: `mongodb://127.0.0.1:1/${tooLong}`,
    OPENSEARCH_URL: 'http://127.0.0.1:1',
  });
  t.is((await inUrl.exited).code, configExitCode);
  t.regex(inUrl.stderr(), /^invalid configuration: MONGODB_URL: the database name is longer/m);
  const inSetting = spawnTsx(mainPath, {
    ANALYTICS_API_PORT: '0',
    DATA_DIR: dataDir,
    ANALYTICS_MONGODB_DATABASE: tooLong,
  });
  t.is((await inSetting.exited).code, configExitCode);
  t.regex(
    inSetting.stderr(),
    new RegExp(
      `^invalid configuration: ANALYTICS_MONGODB_DATABASE: expected a database name of at most ${baseDatabaseNameLengthMax}`,
      'm',
    ),
  );
});

test('main serves on the embedded default and drains on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'analytics-api-main-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnTsx(mainPath, { ANALYTICS_API_PORT: '0', DATA_DIR: dataDir, HOST: '127.0.0.1' });
  t.teardown(() => run.stop('SIGKILL'));
  const listening = await run.waitForRecord((r) => r.msg === 'listening');
  t.like(listening, { service: 'analytics-api', backends: { sql: 'sqlite' } });
  const health = await fetch(`http://127.0.0.1:${String(listening.port)}/healthz`);
  t.is(health.status, 200);
  const { code } = await run.stop('SIGTERM');
  t.is(code, 0);
  t.truthy(run.records.find((r) => r.msg === 'stopped'));
});
