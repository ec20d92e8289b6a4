/**
 * `npm start`: every service and the stream jobs in one process, on the embedded default unless
 * the environment names servers. The services share one SQL handle and one event log: on the
 * embedded default both are SQLite files, and two better-sqlite3 handles on one file in one thread
 * would block each other. SIGTERM or SIGINT drains every server, then stops the background work
 * and closes the event log and the database, in that order.
 */
import { createTokenVerifier } from '@spendstream/core/auth';
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { createEventLog } from '@spendstream/core/event-log';
import { topicSpecs, topics } from '@spendstream/core/events';
import {
  Registry,
  onShutdownSignal,
  startService,
  type CloseHook,
  type ServiceServer,
} from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createAnalyticsApp } from '../analytics-api/src/app.js';
import { ensureDashboardBuilt, staticDirDefault } from '../dashboard/src/server/build.js';
import { createDashboardApp, type DashboardApp } from '../dashboard/src/server/server.js';
import { openAnalyticsRuntime } from '../analytics-api/src/runtime.js';
import { createIngestApp, migrateIngest } from '../ingest-api/src/app.js';
import { ingestSettings } from '../ingest-api/src/config.js';
import { createStreamJobsApp } from '../stream-jobs/src/app.js';
import { startStreamJobs } from '../stream-jobs/src/runtime.js';
import { createWalletApp, walletEventTopics } from '../wallet-api/src/app.js';
import { walletSettings } from '../wallet-api/src/config.js';
import { allInOneConfigSchema } from './all-in-one-config.js';

const config = loadConfig(allInOneConfigSchema);
const logFor = (service: string) => createLogger({ service, level: config.LOG_LEVEL });
const log = logFor('spendstream');
const backends = backendChoice(config);

const servers: ServiceServer[] = [];
let dashboard: DashboardApp | undefined;
/** Run after every server has drained, in this order. */
const closeHooks: CloseHook[] = [];
const shutdown = async () => {
  // Open Server-Sent Events streams would hold the drain until SHUTDOWN_TIMEOUT_MS.
  dashboard?.endStreams();
  await Promise.all(servers.map((server) => server.close()));
  for (const hook of closeHooks) {
    try {
      await hook();
    } catch (error) {
      log.error('close hook failed', { err: error });
    }
  }
};

const listen = (app: Parameters<typeof startService>[0], port: number) =>
  startService(app, {
    port,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    logFields: { backends },
  });

try {
  // The web app is built from source when dist/web is missing or stale (a fresh clone). A build
  // that fails (a read-only install, say) leaves the APIs running and says so.
  try {
    if (await ensureDashboardBuilt()) log.info('dashboard built', { staticDir: staticDirDefault });
  } catch (error) {
    log.error('could not build the dashboard; serving the APIs only', { err: error });
  }
  const sql = createSql(config);
  closeHooks.push(() => sql.destroy());
  const eventLog = await createEventLog({
    ...(config.KAFKA_BROKERS ? { kafkaBrokers: config.KAFKA_BROKERS } : {}),
    dataDir: config.DATA_DIR,
    clientId: 'spendstream',
  });
  // Before the SQL pool closes: the log goes after everything that writes to it has stopped.
  closeHooks.unshift(() => eventLog.close());
  // The topics wallet-api's outbox relays to, and ingest-api's (transactions.raw unless renamed).
  for (const topic of walletEventTopics) {
    await eventLog.createTopic(topic, { partitions: topicSpecs[topic].partitions });
  }
  if (config.INGEST_TOPIC !== topics.transactionsRaw) {
    await eventLog.createTopic(config.INGEST_TOPIC, {
      partitions: topicSpecs[topics.transactionsRaw].partitions,
    });
  }

  const wallet = createWalletApp({
    log: logFor('wallet-api'),
    sql,
    ...walletSettings(config),
  });
  const relay = wallet.startRelay(eventLog);
  closeHooks.unshift(() => relay.stop());
  const walletServer = await listen(wallet, config.WALLET_API_PORT);
  servers.push(walletServer);

  // The other services verify wallet-api's tokens against its JWKS; in one process that is the
  // port wallet-api just bound (which differs from AUTH_ISSUER's when the port is 0).
  const verifier = createTokenVerifier({
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    jwks: { url: config.AUTH_JWKS_URL ?? `${walletServer.url}/.well-known/jwks.json` },
  });

  await migrateIngest(sql);
  const ingest = createIngestApp({
    log: logFor('ingest-api'),
    sql,
    eventLog,
    verifier,
    ...ingestSettings(config),
  });
  // After the servers drain: acknowledged work (confirms after 202s) finishes and the wallet
  // view stops, before the event log and the SQL pool close.
  closeHooks.unshift(() => ingest.close());
  servers.push(await listen(ingest, config.INGEST_API_PORT));
  // analytics-api opens its backends from the same configuration; its SQL handle is the shared
  // one (createSql returns one handle per SQLite file per process).
  const ingestServer = servers[servers.length - 1]!;
  const analytics = await openAnalyticsRuntime(
    {
      ...config,
      AUTH_JWKS_URL: config.AUTH_JWKS_URL ?? `${walletServer.url}/.well-known/jwks.json`,
    },
    logFor('analytics-api'),
  );
  closeHooks.unshift(() => analytics.close());
  const analyticsServer = await listen(
    createAnalyticsApp(analytics.deps),
    config.ANALYTICS_API_PORT,
  );
  servers.push(analyticsServer);
  // The stream jobs consume what the APIs publish; they stop (finishing and committing the batch
  // in flight) before the event log and the pools close.
  const streamLog = logFor('stream-jobs');
  const streamRegistry = new Registry();
  const jobs = await startStreamJobs(config, streamLog, streamRegistry);
  closeHooks.unshift(() => jobs.stop());
  servers.push(
    await listen(
      createStreamJobsApp({
        log: streamLog,
        sql,
        registry: streamRegistry,
        readiness: {
          documents: () => jobs.backends.store.ping(),
          search: () => jobs.backends.index.ping(),
        },
      }),
      config.STREAM_JOBS_PORT,
    ),
  );
  // The dashboard proxies the APIs on the ports they bound (they differ from the defaults with 0).
  dashboard = createDashboardApp({
    log: logFor('dashboard'),
    staticDir: staticDirDefault,
    upstreams: {
      wallet: walletServer.url,
      ingest: ingestServer.url,
      analytics: analyticsServer.url,
    },
  });
  servers.push(await listen(dashboard, config.DASHBOARD_PORT));
} catch (error) {
  // A port in use, say: stop what did start and say what failed.
  log.error('could not start every service', { err: error, started: servers.length });
  await shutdown();
  process.exit(1);
}

log.info('all services up', {
  backends,
  dataDir: backends.sql === 'sqlite' ? config.DATA_DIR : undefined,
  services: Object.fromEntries(
    ['wallet-api', 'ingest-api', 'analytics-api', 'stream-jobs', 'dashboard'].map((name, i) => [
      name,
      servers[i]!.url,
    ]),
  ),
});
onShutdownSignal(shutdown, log);
