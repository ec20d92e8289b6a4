/**
 * analytics-api configuration: the shared service settings plus its port. Every key is documented in
 * docs/configuration.md.
 */
import type { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  portSetting,
  serviceConfigShape,
} from '@spendstream/core/config';

/** The keys analytics-api reads; the all-in-one entry merges this shape with the other services'. */
export const analyticsConfigShape = {
  ...serviceConfigShape,
  /** Port of the analytics API. */
  ANALYTICS_API_PORT: portSetting(defaultPorts['analytics-api']),
};

export const analyticsConfigSchema = defineConfig(analyticsConfigShape);
export type AnalyticsConfig = z.infer<typeof analyticsConfigSchema>;
