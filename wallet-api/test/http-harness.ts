/**
 * An HTTP test harness: wallet-api on a fresh database (SQLite or the real MariaDB) on a free port,
 * a `call` helper that checks every response against the served OpenAPI document (the operation's
 * declared status and schema), and helpers to register and log in users.
 */
import type { ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { createServiceServer } from '@spendstream/core/http';
import { createMemoryLogger } from '@spendstream/core/log';
import { createWalletApp } from '../src/app.js';
import type { WalletApp } from '../src/app.js';
import { checkSchema } from './json-schema.js';
import { openTestDb } from './test-db.js';
import type { TestDb, TestDbKind } from './test-db.js';

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (for malformed JSON tests). */
  rawBody?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
}

export interface Session {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export interface Harness {
  db: TestDb;
  app: WalletApp;
  url: string;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** Every response body seen, for checks across the whole run (no password hash, ever). */
  bodies: string[];
  signUp(overrides?: { email?: string; homeCurrency?: string }): Promise<Session>;
  count(table: string): Promise<number>;
}

export const adminEmail = 'admin@example.test';

/** `/v1/wallets/0192...` -> `/v1/wallets/{id}`: the OpenAPI path template a concrete path matches. */
function templateOf(paths: Record<string, unknown>, path: string): string | undefined {
  const clean = path.split('?')[0] ?? path;
  return Object.keys(paths).find((template) => {
    const pattern = new RegExp(
      `^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`,
    );
    return pattern.test(clean);
  });
}

/**
 * Start wallet-api on a fresh database of `kind`, or on `options.db` (another instance on the same
 * database, as several production instances would run; the caller closes that database).
 */
export async function startHarness(
  t: ExecutionContext,
  kind: TestDbKind = 'sqlite',
  options: { db?: TestDb } = {},
): Promise<Harness> {
  const db = options.db ?? (await openTestDb(kind));
  const { log } = createMemoryLogger('wallet-api', 'warn');
  const app = createWalletApp({ log, sql: db.knex, adminEmails: [adminEmail] });
  await app.ready;
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  t.teardown(async () => {
    await server.close();
    if (options.db === undefined) await db.close();
  });
  const url = server.url;
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const bodies: string[] = [];

  async function call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    bodies.push(text);
    // Issue 3: no response ever contains a password hash. Checked on every call of every test.
    if (text.includes('scrypt$') || /password_?hash/i.test(text))
      throw new Error(
        `${method} ${path} ${response.status} answered with a password hash: ${text}`,
      );
    const json = text === '' ? undefined : (JSON.parse(text) as unknown);
    // The OpenAPI check: the operation exists, declares this status, and the body fits its schema,
    // error responses (problem+json) included.
    const template = templateOf(doc.paths, path);
    if (template !== undefined) {
      const operation = doc.paths[template]?.[method.toLowerCase()];
      if (!operation) throw new Error(`OpenAPI has no ${method} ${template}`);
      const declared = operation.responses?.[String(response.status)];
      if (!declared)
        throw new Error(
          `OpenAPI declares no ${response.status} for ${method} ${template}: ${text}`,
        );
      const resolved = declared.$ref
        ? doc.components.responses[String(declared.$ref).split('/').pop()!]
        : declared;
      const media = resolved.content
        ? Object.values(resolved.content as Record<string, { schema: unknown }>)[0]
        : undefined;
      if (media && json !== undefined) {
        const problems = checkSchema(doc, media.schema, json);
        if (problems.length > 0)
          throw new Error(
            `${method} ${path} ${response.status} breaks its OpenAPI schema: ${problems.join('; ')}`,
          );
      }
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  return {
    db,
    app,
    url,
    call,
    bodies,
    async signUp(overrides = {}) {
      const email = overrides.email ?? `user-${randomBytes(6).toString('hex')}@example.test`;
      const password = `pw-${randomBytes(9).toString('hex')}`;
      const registered = await call('POST', '/v1/auth/register', {
        body: {
          email,
          password,
          displayName: 'Test',
          homeCurrency: overrides.homeCurrency ?? 'EUR',
          timeZone: 'Europe/Paris',
        },
      });
      if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);
      const login = await call('POST', '/v1/auth/login', { body: { email, password } });
      if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
      return {
        userId: registered.json.id,
        email,
        password,
        accessToken: login.json.accessToken,
        refreshToken: login.json.refreshToken,
      };
    },
    async count(table) {
      const row = (await db.knex(table).count({ n: '*' }).first()) as { n: unknown };
      return Number(row.n);
    },
  };
}
