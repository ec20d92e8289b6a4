/** analytics-api's public entry points, for the all-in-one process and other workspaces' tests. */
export { createAnalyticsApp, serviceName, serviceVersion, type AnalyticsAppDeps } from './app.js';
export { analyticsConfigSchema, analyticsConfigShape, type AnalyticsConfig } from './config.js';
export { openAnalyticsRuntime, ensureAnalyticsTopics, type AnalyticsRuntime } from './runtime.js';
export { analyticsMigrations } from './migrations.js';
export type { AnalyticsStore, TransactionDoc } from './query/analytics-store.js';
