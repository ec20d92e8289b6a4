/**
 * ingest-api configuration: the shared service settings plus its port. Every key is documented in
 * docs/configuration.md.
 */
import type { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  portSetting,
  serviceConfigShape,
} from '@spendstream/core/config';

/** The keys ingest-api reads; the all-in-one entry merges this shape with the other services'. */
export const ingestConfigShape = {
  ...serviceConfigShape,
  /** Port of the ingest API. */
  INGEST_API_PORT: portSetting(defaultPorts['ingest-api']),
};

export const ingestConfigSchema = defineConfig(ingestConfigShape);
export type IngestConfig = z.infer<typeof ingestConfigSchema>;
