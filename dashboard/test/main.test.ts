import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnTsx } from '@spendstream/core/http/test-process';

const mainPath = fileURLToPath(new URL('../src/server/main.ts', import.meta.url));

test('the dashboard server runs alone, serves the app and proxies to the configured APIs', async (t) => {
  const paths: string[] = [];
  const api = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"items":[]}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  t.teardown(() => api.close());
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const run = spawnTsx(mainPath, {
    DASHBOARD_PORT: '0',
    HOST: '127.0.0.1',
    DASHBOARD_WALLET_API_URL: apiUrl,
    DASHBOARD_ANALYTICS_API_URL: apiUrl,
  });
  t.teardown(() => run.stop('SIGKILL'));
  const listening = await run.waitForRecord((r) => r.msg === 'listening', 90_000);
  t.is(listening.service, 'dashboard');
  const base = `http://127.0.0.1:${String(listening.port)}`;
  const page = await fetch(`${base}/`);
  t.is(page.status, 200);
  t.regex(await page.text(), /<div id="app">/);
  const proxied = await fetch(`${base}/api/analytics/v1/budgets`);
  t.deepEqual(await proxied.json(), { items: [] });
  t.deepEqual(paths, ['/v1/budgets']);
  const { code } = await run.stop('SIGTERM');
  t.is(code, 0);
});

test('the dashboard server alone refuses a bad variable, naming it', async (t) => {
  const run = spawnTsx(mainPath, {
    DASHBOARD_PORT: '99999',
    DASHBOARD_WALLET_API_URL: 'ftp://nope',
  });
  const { code } = await run.exited;
  t.is(code, 78);
  t.regex(run.stderr(), /^invalid configuration: DASHBOARD_PORT: expected a port number/m);
  t.regex(run.stderr(), /^invalid configuration: DASHBOARD_WALLET_API_URL: expected a URL/m);
});
