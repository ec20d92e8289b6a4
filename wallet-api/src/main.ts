/**
 * Run wallet-api alone: configuration checked first (a bad value exits naming the variable), then
 * the SQL store, the event log, the app (migrations and keys load behind readiness), the outbox
 * relay and the server; SIGTERM or SIGINT drains HTTP, stops the relay, then closes the log and pool.
 */
import { backendChoice, loadConfig } from '@spendstream/core/config';
import { createEventLog } from '@spendstream/core/event-log';
import { topicSpecs } from '@spendstream/core/events';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createWalletApp, serviceName, walletEventTopics } from './app.js';
import { walletConfigSchema, walletSettings } from './config.js';

const config = loadConfig(walletConfigSchema);
const log = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const sql = createSql(config);
const eventLog = await createEventLog({
  kafkaBrokers: config.KAFKA_BROKERS,
  dataDir: config.DATA_DIR,
  clientId: serviceName,
});
// The topics the outbox relays to; creating an existing one with the same partitions does nothing.
for (const topic of walletEventTopics) {
  await eventLog.createTopic(topic, { partitions: topicSpecs[topic].partitions });
}
const app = createWalletApp({
  log,
  sql,
  ...walletSettings(config),
});
const relay = app.startRelay(eventLog);
const server = await startService(app, {
  port: config.WALLET_API_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closeHooks: [() => relay.stop(), () => eventLog.close(), () => sql.destroy()],
  logFields: { backends: backendChoice(config) },
});
onShutdownSignal(() => server.close(), log);
