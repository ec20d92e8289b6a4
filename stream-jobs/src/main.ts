/**
 * Run stream-jobs alone: configuration checked first (a bad value exits naming the variable), then
 * the SQL store, the app and the server; SIGTERM or SIGINT drains it and closes the pool.
 */
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { Registry } from '@spendstream/core/http';
import { createStreamJobsApp, serviceName } from './app.js';
import { streamJobsConfigSchema } from './config.js';
import { startStreamJobs } from './runtime.js';

const config = loadConfig(streamJobsConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const sql = createSql(config);
const registry = new Registry();
// The jobs first: a backend that cannot be reached stops the process before it reports healthy.
const running = await startStreamJobs(config, log, registry);
const readiness = {
  documents: () => running.backends.store.ping(),
  search: () => running.backends.index.ping(),
};
const server = await startService(createStreamJobsApp({ log, sql, registry, readiness }), {
  port: config.STREAM_JOBS_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  // Stop consuming first (the batch in flight finishes and commits), then close the pools.
  closeHooks: [() => running.stop(), () => sql.destroy()],
  logFields: { backends: backendChoice(config) },
});
onShutdownSignal(() => server.close(), log);
void running.jobs.stopped.then((reason) => {
  if (reason === undefined) return;
  // The consumer died on an unexpected error: exit so the supervisor restarts us.
  log.error('stream jobs stopped; exiting', {
    error: reason instanceof Error ? reason.message : String(reason),
  });
  process.exitCode = 1;
  void server.close();
});
