import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, watchConsole } from '../dashboard/test/support/system.js';
import { demoUser } from './demo-user.js';

const demoPath = fileURLToPath(new URL('./demo.ts', import.meta.url));
/** The demo's promise: a living dashboard within a minute. */
const aliveWithinMs = 60_000;

test('npm run demo starts everything, loads a history, adds budgets and keeps adding purchases', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spendstream-demo-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', demoPath, '--days', '20', '--interval', '0.5'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TZ: 'UTC',
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        WALLET_API_PORT: '0',
        INGEST_API_PORT: '0',
        ANALYTICS_API_PORT: '0',
        STREAM_JOBS_PORT: '0',
        DASHBOARD_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.teardown(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const seen = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${String(pattern)} in:\n${out}\nstderr:\n${err}`)),
        aliveWithinMs,
      );
      const check = () => {
        const match = pattern.exec(out);
        if (!match) return;
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(match);
      };
      child.stdout.on('data', check);
      check();
    });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));

  const [, dashboard] = await seen(/Dashboard: +(http:\/\/localhost:\d+)/);
  await seen(/Live: a new purchase/);
  t.true(Date.now() - started < aliveWithinMs);

  // The demo person exists, and the dashboard (same origin) shows their data.
  const api = (path: string) => `${dashboard!}/api${path}`;
  const login = await fetch(api('/wallet/v1/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(demoUser),
  });
  t.is(login.status, 200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  const count = async () =>
    (
      (await (
        await fetch(api('/analytics/v1/transactions?limit=1'), { headers: auth })
      ).json()) as {
        total: number;
      }
    ).total;
  const budgets = (await (await fetch(api('/analytics/v1/budgets'), { headers: auth })).json()) as {
    items: { name: string }[];
  };
  t.deepEqual(budgets.items.map((b) => b.name).sort(), ['Eating out', 'Monthly spending']);
  const first = await count();
  t.true(first > 20, `history loaded: ${first}`);
  // Live purchases keep arriving through the pipeline.
  let later = first;
  for (let i = 0; i < 100 && later <= first; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    later = await count();
  }
  t.true(later > first, `${later} > ${first}`);

  // What a newcomer sees: the demo person's overview, full of data, in a real browser.
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const page = await browser.context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${dashboard!}/`);
  await page.getByLabel('Email').fill(demoUser.email);
  await page.getByLabel('Password').fill(demoUser.password);
  await page.getByRole('button', { name: 'Log in' }).last().click();
  await page
    .getByRole('article', { name: 'Top merchants' })
    .getByRole('listitem')
    .first()
    .waitFor();
  await page.getByText('Live', { exact: true }).waitFor();
  await page.screenshot({
    path: fileURLToPath(new URL('../docs/screenshots/demo-overview.png', import.meta.url)),
    fullPage: true,
  });
  t.deepEqual(errors, [], 'no console errors');

  child.kill('SIGINT');
  t.is(await exited, 0);
  t.regex(out, /Stopping/);
});
