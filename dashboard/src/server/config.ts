/**
 * Dashboard server configuration. Every key is documented in docs/configuration.md and
 * docs/dashboard.md.
 */
import type { z } from 'zod';
import {
  defineConfig,
  portSetting,
  serviceConfigShape,
  urlSetting,
} from '@spendstream/core/config';

/** Where the dashboard listens by default (the APIs take 3001 to 3004). */
export const dashboardPortDefault = 3000;

/** The key the all-in-one process reads: there the APIs' URLs are the ports it bound. */
export const dashboardConfigShape = {
  /** Port of the dashboard: the static app and the same-origin proxy to the APIs. */
  DASHBOARD_PORT: portSetting(dashboardPortDefault),
};

/** The dashboard server run alone (`npm start -w dashboard`) also needs to know the APIs. */
export const dashboardStandaloneConfigShape = {
  ...serviceConfigShape,
  ...dashboardConfigShape,
  /** wallet-api's base URL, proxied at `/api/wallet/`. */
  DASHBOARD_WALLET_API_URL: urlSetting(['http:', 'https:'], 'http://localhost:3001'),
  /** ingest-api's base URL, proxied at `/api/ingest/`. */
  DASHBOARD_INGEST_API_URL: urlSetting(['http:', 'https:'], 'http://localhost:3002'),
  /** analytics-api's base URL, proxied at `/api/analytics/`. */
  DASHBOARD_ANALYTICS_API_URL: urlSetting(['http:', 'https:'], 'http://localhost:3003'),
};

export const dashboardStandaloneConfigSchema = defineConfig(dashboardStandaloneConfigShape);
export type DashboardStandaloneConfig = z.infer<typeof dashboardStandaloneConfigSchema>;
