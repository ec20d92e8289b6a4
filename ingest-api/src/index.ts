/**
 * ingest-api as a library: the app factory (for the all-in-one entry and tests), its migrations,
 * configuration shape, and the generator (also at `@spendstream/ingest-api/generator`).
 */
export {
  createIngestApp,
  migrateIngest,
  serviceName,
  type IngestApp,
  type IngestAppDeps,
} from './app.js';
export { ingestConfigSchema, ingestConfigShape, type IngestConfig } from './config.js';
export * from './features/generator/index.js';
