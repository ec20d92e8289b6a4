/**
 * Run analytics-api alone: configuration checked first (a bad value exits naming the variable), then
 * the backends, the app and the server; SIGTERM or SIGINT drains it and closes everything.
 */
import { backendChoice, ConfigError, configExitCode, loadConfig } from '@spendstream/core/config';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createAnalyticsApp, serviceName } from './app.js';
import { analyticsConfigSchema } from './config.js';
import { openAnalyticsRuntime } from './runtime.js';

const config = loadConfig(analyticsConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const runtime = await openAnalyticsRuntime(config, log).catch((error: unknown) => {
  // A combination of keys only the runtime can judge (MONGODB_URL without a search URL).
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(configExitCode);
});
const server = await startService(createAnalyticsApp(runtime.deps), {
  port: config.ANALYTICS_API_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closeHooks: [() => runtime.close()],
  logFields: { backends: backendChoice(config) },
});
onShutdownSignal(() => server.close(), log);
