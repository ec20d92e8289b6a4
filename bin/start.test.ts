import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTsx } from '@spendstream/core/http/test-process';

const startPath = fileURLToPath(new URL('./start.ts', import.meta.url));
const serviceNames = ['wallet-api', 'ingest-api', 'analytics-api', 'stream-jobs', 'dashboard'];
// Port 0 everywhere: the system picks free ports, so parallel test runs never clash.
const freePorts = {
  WALLET_API_PORT: '0',
  INGEST_API_PORT: '0',
  ANALYTICS_API_PORT: '0',
  STREAM_JOBS_PORT: '0',
  DASHBOARD_PORT: '0',
};

/** How long a service may take to answer /readyz with 200 after it logged that it listens. */
const readyWithinMs = 30_000;
const readyPollMs = 250;

async function readyStatus(port: number): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
    const body = await response.text();
    if (response.status === 200 || Date.now() > deadline) return { status: response.status, body };
    await new Promise((resolve) => setTimeout(resolve, readyPollMs));
  }
}

test('npm start runs all five services on the embedded default, wired together, and stops them on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spendstream-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnTsx(startPath, { ...freePorts, DATA_DIR: dataDir, HOST: '127.0.0.1' });
  t.teardown(() => run.stop('SIGKILL'));

  const up = await run.waitForRecord((r) => r.msg === 'all services up');
  t.deepEqual(up.backends, {
    sql: 'sqlite',
    eventLog: 'embedded',
    documents: 'embedded',
    search: 'embedded',
  });
  const listening = run.records.filter((r) => r.msg === 'listening');
  t.deepEqual(listening.map((r) => r.service).sort(), [...serviceNames].sort());
  const ports = listening.map((r) => Number(r.port));
  t.is(new Set(ports).size, 5);
  for (const record of listening) {
    const response = await fetch(`http://127.0.0.1:${String(record.port)}/healthz`);
    t.is(response.status, 200, `${String(record.service)} /healthz`);
    // Readiness runs each check under a 2 s timeout, so a box saturated by other test files can
    // answer 503 right after start; it must turn 200 within readyWithinMs.
    const ready = await readyStatus(Number(record.port));
    t.is(ready.status, 200, `${String(record.service)} /readyz: ${ready.body}`);
  }
  // The services are wired together: a token from wallet-api is accepted by analytics-api and
  // ingest-api, which fetch wallet-api's keys from the port it bound.
  const port = (service: string) => String(listening.find((r) => r.service === service)!.port);
  const user = { email: 'start-test@example.com', password: 'correct horse battery staple' };
  const registered = await fetch(`http://127.0.0.1:${port('wallet-api')}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...user,
      displayName: 'T',
      homeCurrency: 'EUR',
      timeZone: 'Pacific/Auckland',
    }),
  });
  t.is(registered.status, 201);
  const login = await fetch(`http://127.0.0.1:${port('wallet-api')}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const analyticsUrl = `http://127.0.0.1:${port('analytics-api')}/v1/analytics/breakdown`;
  t.is((await fetch(analyticsUrl)).status, 401);
  const breakdown = await fetch(analyticsUrl, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  t.is(breakdown.status, 200);
  const ingest = await fetch(`http://127.0.0.1:${port('ingest-api')}/v1/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: '{}',
  });
  // Past authentication: the empty body is refused for what it lacks, not for the token.
  t.is(ingest.status, 400);

  // The whole pipeline runs in the one process: a movement on wallet-api goes through its outbox
  // to the event log, the stream jobs clean the merchant and categorize it, and analytics-api
  // answers with it.
  const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
  const wallet = (await (
    await fetch(`http://127.0.0.1:${port('wallet-api')}/v1/wallets`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'start-wallet' },
      body: JSON.stringify({
        name: 'Card',
        type: 'card',
        currency: 'EUR',
        overdraftLimit: '100000',
      }),
    })
  ).json()) as { id: string };
  const expense = await fetch(`http://127.0.0.1:${port('wallet-api')}/v1/movements`, {
    method: 'POST',
    headers: { ...auth, 'idempotency-key': 'start-expense' },
    body: JSON.stringify({
      kind: 'expense',
      walletId: wallet.id,
      amount: '4250',
      currency: 'EUR',
      merchant: 'AMZN MKTP US*2K4',
      occurredAt: '2026-11-21T10:00:00+01:00',
    }),
  });
  t.is(expense.status, 201);
  const byMerchant = `${analyticsUrl}?by=merchant&from=2026-11-01&to=2026-11-30`;
  let items: { key: string; amount: { amount: string } }[] = [];
  let timeZone = '';
  for (let i = 0; i < 100 && (items.length === 0 || timeZone !== 'Pacific/Auckland'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = (await (await fetch(byMerchant, { headers: auth })).json()) as {
      items: typeof items;
      period: { timeZone: string };
    };
    items = answer.items;
    timeZone = answer.period.timeZone;
  }
  // wallet-api published the user's settings with the account, so analytics cuts in their zone.
  t.is(timeZone, 'Pacific/Auckland');
  t.deepEqual(
    items.map((item) => [item.key, item.amount.amount]),
    [['Amazon', '4250']],
    'the expense reached analytics through the stream jobs, with its merchant cleaned',
  );

  // The dashboard serves the built app and reaches the APIs on their bound ports, same origin.
  const page = await fetch(`http://127.0.0.1:${port('dashboard')}/`);
  t.is(page.status, 200);
  t.regex(await page.text(), /<div id="app">/);
  const proxied = await fetch(`http://127.0.0.1:${port('dashboard')}/api/analytics/v1/budgets`, {
    headers: auth,
  });
  t.is(proxied.status, 200);
  t.deepEqual(await proxied.json(), { items: [] });

  // The embedded database was created under DATA_DIR, not in the working directory.
  t.true(existsSync(join(dataDir, 'spendstream.sqlite')));

  const { code } = await run.stop('SIGTERM');
  t.is(code, 0);
  t.is(run.records.filter((r) => r.msg === 'stopped').length, 5);
});

test('npm start exits non-zero naming a bad variable before starting anything', async (t) => {
  const run = spawnTsx(startPath, { ...freePorts, INGEST_API_PORT: '99999', LOG_LEVEL: 'chatty' });
  const { code } = await run.exited;
  t.not(code, 0);
  t.regex(run.stderr(), /^invalid configuration: INGEST_API_PORT: expected a port number/m);
  t.regex(
    run.stderr(),
    /^invalid configuration: LOG_LEVEL: expected one of debug, info, warn, error, silent/m,
  );
  t.false(run.records.some((r) => r.msg === 'listening'));
});
