/**
 * Run the dashboard server alone (`npm start -w dashboard`): builds the app when needed, serves it
 * and proxies the APIs named by DASHBOARD_*_API_URL. SIGTERM or SIGINT drains it.
 */
import { loadConfig } from '@spendstream/core/config';
import { onShutdownSignal, startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { ensureDashboardBuilt, staticDirDefault } from './build.js';
import { dashboardStandaloneConfigSchema } from './config.js';
import { createDashboardApp } from './server.js';

const config = loadConfig(dashboardStandaloneConfigSchema);
const log = createLogger({ service: 'dashboard', level: config.LOG_LEVEL });
await ensureDashboardBuilt();
const app = createDashboardApp({
  log,
  staticDir: staticDirDefault,
  upstreams: {
    wallet: config.DASHBOARD_WALLET_API_URL ?? 'http://localhost:3001',
    ingest: config.DASHBOARD_INGEST_API_URL ?? 'http://localhost:3002',
    analytics: config.DASHBOARD_ANALYTICS_API_URL ?? 'http://localhost:3003',
  },
});
const server = await startService(app, {
  port: config.DASHBOARD_PORT,
  host: config.HOST,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
onShutdownSignal(async () => {
  app.endStreams();
  await server.close();
}, log);
