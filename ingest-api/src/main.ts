/**
 * Run ingest-api alone: configuration checked first (a bad value exits naming the variable), then
 * the SQL store (migrated), the event log (Kafka when KAFKA_BROKERS is set, else the embedded log),
 * the token verifier (wallet-api's JWKS), the app (its wallet view consuming ref.wallets) and the
 * server; SIGTERM or SIGINT drains it, waits for acknowledged work, then closes the log and the pool.
 */
import { createTokenVerifier } from '@spendstream/core/auth';
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { createEventLog } from '@spendstream/core/event-log';
import { topicSpecs, topics } from '@spendstream/core/events';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createIngestApp, migrateIngest, serviceName } from './app.js';
import { ingestConfigSchema } from './config.js';

const config = loadConfig(ingestConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const sql = createSql(config);
await migrateIngest(sql);
const eventLog = await createEventLog({
  ...(config.KAFKA_BROKERS ? { kafkaBrokers: config.KAFKA_BROKERS } : {}),
  clientId: serviceName,
  dataDir: config.DATA_DIR,
});
await eventLog.createTopic(config.INGEST_TOPIC, {
  partitions: topicSpecs[topics.transactionsRaw].partitions,
});
// The wallet view reads wallet-api's snapshots; the topic may not exist yet on a fresh log.
await eventLog.createTopic(topics.refWallets, {
  partitions: topicSpecs[topics.refWallets].partitions,
});
const verifier = createTokenVerifier({
  issuer: config.AUTH_ISSUER,
  audience: config.AUTH_AUDIENCE,
  jwks: {
    url: config.AUTH_JWKS_URL ?? new URL('/.well-known/jwks.json', config.AUTH_ISSUER).toString(),
  },
});
const app = createIngestApp({
  log,
  sql,
  eventLog,
  verifier,
  topic: config.INGEST_TOPIC,
  rateLimit: {
    itemsPerSecond: config.INGEST_RATE_ITEMS_PER_SECOND,
    burstItems: config.INGEST_RATE_BURST_ITEMS,
  },
  publishTimeoutMs: config.INGEST_PUBLISH_TIMEOUT_MS,
  bodyBytesMax: config.INGEST_BODY_BYTES_MAX,
});
// The wallet view must be consuming before requests come in (a failed subscription stops here).
await app.started;
const server = await startService(app, {
  port: config.INGEST_API_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  // Hooks run newest first: the confirms still running after their answers finish and the wallet
  // view stops, then the log closes, then the pool.
  closeHooks: [() => sql.destroy(), () => eventLog.close(), () => app.close()],
  logFields: { backends: backendChoice(config), topic: config.INGEST_TOPIC },
});
onShutdownSignal(() => server.close(), log);
