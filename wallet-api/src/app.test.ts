import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configExitCode } from '@spendstream/core/config';
import { createServiceServer } from '@spendstream/core/http';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createWalletApp } from './app.js';

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));

test('the app serves health, readiness on SQL, metrics and its OpenAPI document', async (t) => {
  const sql = createSql({}, { sqliteFilename: ':memory:' });
  const { log } = createMemoryLogger('wallet-api');
  const app = createWalletApp({ log, sql });
  await app.ready;
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  t.is((await fetch(`${server.url}/readyz`)).status, 200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.regex(metrics, /service="wallet-api"/);
  // The group-commit counters (nothing batched yet).
  t.regex(metrics, /^wallet_movement_batches_total\{[^}]*\} 0$/m);
  t.regex(metrics, /^wallet_movements_batched_total\{[^}]*\} 0$/m);
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
    info: { title: string };
  };
  t.is(doc.info.title, 'Spendstream wallet API');
  // With the database gone, readiness says so.
  await sql.destroy();
  const unready = await fetch(`${server.url}/readyz`);
  t.is(unready.status, 503);
  t.like(await unready.json(), { checks: { sql: { ok: false } } });
});

test('main exits non-zero naming the variable when the configuration is bad', async (t) => {
  const run = spawnTsx(mainPath, { WALLET_API_PORT: 'not-a-port' });
  const { code } = await run.exited;
  t.is(code, configExitCode);
  t.regex(run.stderr(), /^invalid configuration: WALLET_API_PORT: expected a port number/m);
});

test('main serves on the embedded default and drains on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallet-api-main-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnTsx(mainPath, { WALLET_API_PORT: '0', DATA_DIR: dataDir, HOST: '127.0.0.1' });
  t.teardown(() => run.stop('SIGKILL'));
  const listening = await run.waitForRecord((r) => r.msg === 'listening');
  t.like(listening, { service: 'wallet-api', backends: { sql: 'sqlite' } });
  const health = await fetch(`http://127.0.0.1:${String(listening.port)}/healthz`);
  t.is(health.status, 200);
  const { code } = await run.stop('SIGTERM');
  t.is(code, 0);
  t.truthy(run.records.find((r) => r.msg === 'stopped'));
});
