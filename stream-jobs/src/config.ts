/**
 * stream-jobs configuration: the shared service settings plus its port. Every key is documented in
 * docs/configuration.md.
 */
import type { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  portSetting,
  serviceConfigShape,
} from '@spendstream/core/config';

/** The keys stream-jobs reads; the all-in-one entry merges this shape with the other services'. */
export const streamJobsConfigShape = {
  ...serviceConfigShape,
  /** Port of the stream jobs' health and metrics endpoints. */
  STREAM_JOBS_PORT: portSetting(defaultPorts['stream-jobs']),
};

export const streamJobsConfigSchema = defineConfig(streamJobsConfigShape);
export type StreamJobsConfig = z.infer<typeof streamJobsConfigSchema>;
