/**
 * Run wallet-api alone: configuration checked first (a bad value exits naming the variable), then
 * the SQL store, the app and the server; SIGTERM or SIGINT drains it and closes the pool.
 */
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createWalletApp, serviceName } from './app.js';
import { walletConfigSchema } from './config.js';

const config = loadConfig(walletConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const sql = createSql(config);
const server = await startService(createWalletApp({ log, sql }), {
  port: config.WALLET_API_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closeHooks: [() => sql.destroy()],
  logFields: { backends: backendChoice(config) },
});
onShutdownSignal(() => server.close(), log);
