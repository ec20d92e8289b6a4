/**
 * Run stream-jobs alone: configuration checked first (a bad value exits naming the variable), then
 * the SQL store, the app and the server; SIGTERM or SIGINT drains it and closes the pool.
 */
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createStreamJobsApp, serviceName } from './app.js';
import { streamJobsConfigSchema } from './config.js';

const config = loadConfig(streamJobsConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const sql = createSql(config);
const server = await startService(createStreamJobsApp({ log, sql }), {
  port: config.STREAM_JOBS_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closeHooks: [() => sql.destroy()],
  logFields: { backends: backendChoice(config) },
});
onShutdownSignal(() => server.close(), log);
