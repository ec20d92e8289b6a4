/**
 * Test harness: a real ingest-api server on a free loopback port, with a real event log (embedded,
 * or Kafka when given), SQLite or MariaDB stores, a throwaway token issuer, and wallets registered
 * in an in-memory directory.
 */
import { createEmbeddedEventLog, type EventLog } from '@spendstream/core/event-log';
import { createServiceServer, type ServiceServer } from '@spendstream/core/http';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql, type Knex } from '@spendstream/core/sql';
import { uniqueName } from '@spendstream/core/testing/servers';
import { createTestIssuer, type TestIssuer } from '@spendstream/core/testing/tokens';
import { createIngestApp, migrateIngest, type IngestApp } from '../app.js';
import {
  createMemoryWalletDirectory,
  type WalletInfo,
} from '../features/transactions/wallet-directory.js';

export interface Harness {
  url: string;
  app: IngestApp;
  server: ServiceServer;
  eventLog: EventLog;
  sql: Knex;
  topic: string;
  issuer: TestIssuer;
  wallets: ReturnType<typeof createMemoryWalletDirectory>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    eventLog?: EventLog;
    sql?: Knex;
    topic?: string;
    issuer?: TestIssuer;
    wallets?: WalletInfo[];
    publishTimeoutMs?: number;
    rateLimit?: { itemsPerSecond: number; burstItems: number };
  } = {},
): Promise<Harness> {
  const sql = options.sql ?? createSql({}, { sqliteFilename: ':memory:' });
  await migrateIngest(sql);
  const eventLog = options.eventLog ?? createEmbeddedEventLog({ path: ':memory:' });
  const topic = options.topic ?? uniqueName('raw').replace(/[^a-zA-Z0-9._-]/g, '-');
  await eventLog.createTopic(topic, { partitions: 3 });
  const issuer = options.issuer ?? (await createTestIssuer());
  const wallets = createMemoryWalletDirectory(options.wallets ?? []);
  const { log } = createMemoryLogger('ingest-api');
  const app = createIngestApp({
    log,
    sql,
    eventLog,
    verifier: issuer.verifier,
    wallets,
    topic,
    ...(options.publishTimeoutMs ? { publishTimeoutMs: options.publishTimeoutMs } : {}),
    rateLimit: options.rateLimit ?? { itemsPerSecond: 1_000_000, burstItems: 1_000_000 },
  });
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  return {
    url: server.url,
    app,
    server,
    eventLog,
    sql,
    topic,
    issuer,
    wallets,
    async close() {
      await server.close();
      if (!options.eventLog) await eventLog.close();
      if (!options.sql) await sql.destroy();
    },
  };
}

/** Longest a test request may take, in ms. */
export const postTimeoutMs = 30_000;

/** Response bodies in tests are inspected loosely; their shape is what the assertions check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseJson = any;

/** POST JSON with a bearer token; returns status, headers and parsed body. */
export async function postJson(
  url: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: LooseJson }> {
  const response = await fetch(url, {
    // A bound on every test request: a hung server fails the test instead of stalling it.
    signal: AbortSignal.timeout(postTimeoutMs),
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}
