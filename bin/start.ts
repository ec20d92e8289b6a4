/**
 * `npm start`: every service and the stream jobs in one process, on the embedded default unless
 * the environment names servers. They share one SQL handle (SQLite allows one writer anyway, and
 * two handles on one file in one thread would block each other). SIGTERM or SIGINT drains every
 * server, then closes the database.
 */
import { backendChoice, loadConfig } from '@spendstream/core/config';
import {
  onShutdownSignal,
  startService,
  type ServiceApp,
  type ServiceServer,
} from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createAnalyticsApp } from '../analytics-api/src/app.js';
import { createIngestApp } from '../ingest-api/src/app.js';
import { createStreamJobsApp } from '../stream-jobs/src/app.js';
import { createWalletApp } from '../wallet-api/src/app.js';
import { allInOneConfigSchema } from './all-in-one-config.js';

const config = loadConfig(allInOneConfigSchema);
const logFor = (service: string) => createLogger({ service, level: config.LOG_LEVEL });
const log = logFor('spendstream');
const backends = backendChoice(config);
const sql = createSql(config);

const services: [ServiceApp, number][] = [
  [createWalletApp({ log: logFor('wallet-api'), sql }), config.WALLET_API_PORT],
  [createIngestApp({ log: logFor('ingest-api'), sql }), config.INGEST_API_PORT],
  [createAnalyticsApp({ log: logFor('analytics-api'), sql }), config.ANALYTICS_API_PORT],
  [createStreamJobsApp({ log: logFor('stream-jobs'), sql }), config.STREAM_JOBS_PORT],
];

const servers: ServiceServer[] = [];
const shutdown = async () => {
  await Promise.all(servers.map((server) => server.close()));
  await sql.destroy();
};

try {
  for (const [app, port] of services) {
    servers.push(
      await startService(app, {
        port,
        host: config.HOST,
        shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
        logFields: { backends },
      }),
    );
  }
} catch (error) {
  // A port in use, say: stop what did start and say which service could not.
  log.error('could not start every service', { err: error, started: servers.length });
  await shutdown();
  process.exit(1);
}

log.info('all services up', {
  backends,
  dataDir: backends.sql === 'sqlite' ? config.DATA_DIR : undefined,
  services: Object.fromEntries(services.map(([app], i) => [app.name, servers[i]!.url])),
});
onShutdownSignal(shutdown, log);
