/**
 * Run ingest-api alone: configuration checked first (a bad value exits naming the variable), then
 * the SQL store (migrated), the event log (Kafka when KAFKA_BROKERS is set, else the embedded log),
 * the token verifier (wallet-api's JWKS), the app (its wallet view consuming ref.wallets) and the
 * server; SIGTERM or SIGINT drains it, waits for acknowledged work, then closes the log and the pool.
 *
 * With INGEST_WORKERS above 1 this process is the primary of a node:cluster: it migrates and
 * creates the topics, then forks that many workers (each runs this file and is a whole ingest-api
 * on the shared port) and on SIGTERM or SIGINT waits for all of them to drain.
 */
import cluster from 'node:cluster';
import { createTokenVerifier } from '@spendstream/core/auth';
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { createEventLog } from '@spendstream/core/event-log';
import { topicSpecs, topics } from '@spendstream/core/events';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createIngestApp, migrateIngest, serviceName } from './app.js';
import { onPrimaryShutdown, reportListening, startWorkers } from './cluster.js';
import { ingestConfigSchema, ingestSettings } from './config.js';

const config = loadConfig(ingestConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const primaryOfWorkers = config.INGEST_WORKERS > 1 && cluster.isPrimary;
const sql = createSql(config);
const eventLog = await createEventLog({
  ...(config.KAFKA_BROKERS ? { kafkaBrokers: config.KAFKA_BROKERS } : {}),
  clientId: serviceName,
  dataDir: config.DATA_DIR,
});
// Once, before any server: the workers of a cluster find the tables and topics in place.
if (!cluster.isWorker) {
  await migrateIngest(sql);
  await eventLog.createTopic(config.INGEST_TOPIC, {
    partitions: topicSpecs[topics.transactionsRaw].partitions,
  });
  // The wallet view reads wallet-api's snapshots; the topic may not exist yet on a fresh log.
  await eventLog.createTopic(topics.refWallets, {
    partitions: topicSpecs[topics.refWallets].partitions,
  });
}

if (primaryOfWorkers) {
  await eventLog.close();
  await sql.destroy();
  const pool = startWorkers(config.INGEST_WORKERS, log);
  const port = await pool.listening;
  log.info('listening', {
    port,
    workers: config.INGEST_WORKERS,
    backends: backendChoice(config),
    topic: config.INGEST_TOPIC,
  });
  onShutdownSignal(async () => {
    await pool.stop();
    log.info('stopped', { workers: config.INGEST_WORKERS });
  }, log);
} else {
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
    ...ingestSettings(config),
  });
  // The wallet view must be consuming before requests come in (a failed subscription stops here).
  await app.started;
  const server = await startService(app, {
    port: config.INGEST_API_PORT,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    // In this order: the confirms still running after their answers finish and the wallet view
    // stops, then the log closes, then the pool.
    closeHooks: [() => app.close(), () => eventLog.close(), () => sql.destroy()],
    logFields: { backends: backendChoice(config), topic: config.INGEST_TOPIC },
  });
  reportListening(Number(new URL(server.url).port));
  onShutdownSignal(() => server.close(), log);
  onPrimaryShutdown(() => server.close(), log);
}
