/**
 * `npm run generate -- --users N --days D --rate R [options]`: generate realistic transactions and
 * either push them to a running ingest-api (with a progress bar) or write files.
 *
 *   --users N        users to generate (default 5)
 *   --days D         days of history (default 30)
 *   --rate R         transactions per second sent to the API; 0 = as fast as it accepts (default 0)
 *   --seed S         seed; the same seed gives the same data (default "spendstream")
 *   --start DATE     first day, ISO (default: a period that ends 16 days before today, so that
 *                    every transaction, refunds included, is in the past; give a date for the same
 *                    output on every day)
 *   --out DIR        write files instead of calling the API: transactions.ndjson (every delivery,
 *                    duplicates and corrections included), users.json, and per wallet a statement as
 *                    CSV (three dialects) and OFX (SGML and XML)
 *   --url URL        ingest-api (default http://localhost:3002)
 *   --wallet-api URL wallet-api (default http://localhost:3001): each user is registered (or logged
 *                    in) and gets real wallets; the data then goes in with that user's own token
 *   --batch N        items per batch request; 1 uses POST /v1/transactions (default 200)
 *   --password P     password of the generated users (default "generated-Password-1")
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  finalTransactions,
  generateUsers,
  iterateTransactions,
  startOfPastPeriod,
  type GeneratedUser,
} from './generate.js';
import { statementLines, toCsv, toOfx } from './files.js';
import { toIngestBody } from './ingest-body.js';

/** Most requests in flight at once against the API. */
const concurrentRequestsMax = 8;

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run generate -- --users N --days D [--rate R] [--seed S] [--out DIR | --url URL --wallet-api URL]`,
  );
  process.exit(2);
}

function positiveInt(
  name: string,
  text: string | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    usage(`--${name} must be a whole number${allowZero ? '' : ' above 0'}, got ${text}`);
  return n;
}

/** A one-line progress bar on a terminal, a line every few seconds otherwise. */
function progressBar(total: number) {
  const started = Date.now();
  let lastLine = 0;
  return (done: number, extra: string) => {
    const now = Date.now();
    const rate = done / Math.max(0.001, (now - started) / 1000);
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(0)}/s ${extra}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}`);
    else if (now - lastLine > 5_000 || done === total) {
      process.stderr.write(`${text}\n`);
      lastLine = now;
    }
  };
}

async function call(
  url: string,
  init: RequestInit & { token?: string },
): Promise<{ status: number; body: unknown; retryAfter: number }> {
  const response = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    retryAfter: Number(response.headers.get('retry-after') ?? 1),
  };
}

/** Register (or log in) a generated user on wallet-api and create its wallets; returns a token and the id map. */
async function provision(walletApi: string, user: GeneratedUser, password: string) {
  const register = await call(`${walletApi}/v1/auth/register`, {
    method: 'POST',
    body: JSON.stringify({
      email: user.email,
      password,
      displayName: user.displayName,
      homeCurrency: user.homeCurrency,
      timeZone: user.timeZone,
    }),
  });
  if (register.status !== 201 && register.status !== 409)
    throw new Error(`register ${user.email}: ${register.status} ${JSON.stringify(register.body)}`);
  for (;;) {
    const login = await call(`${walletApi}/v1/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ email: user.email, password }),
    });
    if (login.status === 429) {
      process.stderr.write(`wallet-api limits logins per address; waiting ${login.retryAfter}s\n`);
      await new Promise((resolve) => setTimeout(resolve, login.retryAfter * 1000));
      continue;
    }
    if (login.status !== 200)
      throw new Error(`login ${user.email}: ${login.status} ${JSON.stringify(login.body)}`);
    const token = (login.body as { accessToken: string }).accessToken;
    const existing = await call(`${walletApi}/v1/wallets?limit=100`, { method: 'GET', token });
    const byName = new Map(
      ((existing.body as { items?: { id: string; name: string }[] }).items ?? []).map((w) => [
        w.name,
        w.id,
      ]),
    );
    const walletIds = new Map<string, string>();
    for (const wallet of user.wallets) {
      let id = byName.get(wallet.name);
      if (!id) {
        const created = await call(`${walletApi}/v1/wallets`, {
          method: 'POST',
          token,
          headers: { 'Idempotency-Key': `generate-${wallet.walletId}` },
          body: JSON.stringify({
            name: wallet.name,
            type: wallet.type,
            currency: wallet.currency,
            overdraftLimit: '100000000',
          }),
        });
        if (created.status !== 201 && created.status !== 200)
          throw new Error(
            `wallet ${wallet.name}: ${created.status} ${JSON.stringify(created.body)}`,
          );
        id = (created.body as { id: string }).id;
      }
      walletIds.set(wallet.walletId, id);
    }
    return { token, walletIds };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      days: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      out: { type: 'string' },
      url: { type: 'string' },
      'wallet-api': { type: 'string' },
      batch: { type: 'string' },
      password: { type: 'string' },
    },
    strict: true,
  });
  const days = positiveInt('days', values.days, 30);
  const options = {
    seed: values.seed ?? 'spendstream',
    users: positiveInt('users', values.users, 5),
    days,
    start: values.start ?? startOfPastPeriod(days),
  };
  const rate = positiveInt('rate', values.rate, 0, true);
  const users = generateUsers(options);

  if (values.out) {
    const dir = values.out;
    mkdirSync(dir, { recursive: true });
    const all = [...iterateTransactions(options)];
    const jsonLine = (value: unknown) =>
      JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    writeFileSync(join(dir, 'users.json'), `${JSON.stringify(users, null, 2)}\n`);
    writeFileSync(join(dir, 'transactions.ndjson'), all.map((t) => jsonLine(t)).join('\n') + '\n');
    const finals = finalTransactions(all);
    for (const user of users) {
      for (const wallet of user.wallets) {
        const lines = statementLines(finals, wallet.walletId);
        for (const dialect of ['iso', 'us-bank', 'de-bank'] as const) {
          const { text, mapping } = toCsv(lines, dialect, user.timeZone);
          writeFileSync(join(dir, `${wallet.walletId}.${dialect}.csv`), text);
          writeFileSync(
            join(dir, `${wallet.walletId}.${dialect}.mapping.json`),
            `${JSON.stringify(mapping, null, 2)}\n`,
          );
        }
        for (const flavour of ['sgml', 'xml'] as const) {
          writeFileSync(
            join(dir, `${wallet.walletId}.${flavour}.ofx`),
            toOfx(lines, { flavour, currency: wallet.currency, accountId: wallet.walletId }),
          );
        }
      }
    }
    console.log(
      `wrote ${all.length} deliveries (${finals.length} transactions) for ${users.length} users to ${dir}`,
    );
    return;
  }

  const ingestUrl = values.url ?? 'http://localhost:3002';
  const walletApi = values['wallet-api'] ?? 'http://localhost:3001';
  const batchSize = Math.min(1000, positiveInt('batch', values.batch, 200));
  const password = values.password ?? 'generated-Password-1';
  const sessions = new Map<string, { token: string; walletIds: Map<string, string> }>();
  for (const user of users) sessions.set(user.userId, await provision(walletApi, user, password));
  const total = [...iterateTransactions(options)].length;
  const show = progressBar(total);
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  let sent = 0;
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  const pending = new Map<string, ReturnType<typeof toIngestBody>[]>();

  const send = async (userId: string, items: ReturnType<typeof toIngestBody>[]) => {
    const { token } = sessions.get(userId)!;
    for (;;) {
      const response =
        batchSize === 1
          ? await call(`${ingestUrl}/v1/transactions`, {
              method: 'POST',
              token,
              body: JSON.stringify(items[0]),
            })
          : await call(`${ingestUrl}/v1/transactions:batch`, {
              method: 'POST',
              token,
              body: JSON.stringify({ items }),
            });
      if (response.status === 429 || response.status === 503) {
        await new Promise((resolve) => setTimeout(resolve, response.retryAfter * 1000));
        continue;
      }
      if (batchSize === 1) {
        const status =
          response.status === 202 ? 'accepted' : response.status === 200 ? 'duplicate' : 'rejected';
        counts[status]++;
      } else if (response.status === 200 || response.status === 202) {
        const summary = (response.body as { summary: typeof counts }).summary;
        counts.accepted += summary.accepted;
        counts.duplicate += summary.duplicate;
        counts.rejected += summary.rejected;
      } else {
        throw new Error(`ingest-api answered ${response.status}: ${JSON.stringify(response.body)}`);
      }
      return;
    }
  };
  const flush = async (userId: string) => {
    const items = pending.get(userId);
    if (!items || items.length === 0) return;
    pending.delete(userId);
    while (inFlight.size >= concurrentRequestsMax) await Promise.race(inFlight);
    const p = send(userId, items).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  for (const delivery of iterateTransactions(options)) {
    const { event } = delivery;
    const session = sessions.get(event.userId)!;
    const list = pending.get(event.userId) ?? [];
    list.push(toIngestBody(event, session.walletIds));
    pending.set(event.userId, list);
    sent++;
    if (list.length >= batchSize) await flush(event.userId);
    if (rate > 0) {
      const aheadMs = (sent / rate) * 1000 - (Date.now() - started);
      if (aheadMs > 0) {
        for (const userId of [...pending.keys()]) await flush(userId);
        await new Promise((resolve) => setTimeout(resolve, aheadMs));
      }
    }
    if (sent % 100 === 0)
      show(
        sent,
        `accepted ${counts.accepted} duplicate ${counts.duplicate} rejected ${counts.rejected}`,
      );
  }
  for (const userId of [...pending.keys()]) await flush(userId);
  await Promise.all(inFlight);
  show(
    total,
    `accepted ${counts.accepted} duplicate ${counts.duplicate} rejected ${counts.rejected}`,
  );
  process.stderr.write('\n');
  console.log(
    JSON.stringify({
      users: users.length,
      deliveries: total,
      ...counts,
      seconds: (Date.now() - started) / 1000,
    }),
  );
}

await main();
