/**
 * The all-in-one configuration: the union of every service's keys (one port per service), so one
 * process can be configured with one environment.
 */
import type { z } from 'zod';
import { defineConfig } from '@spendstream/core/config';
import { analyticsConfigShape } from '../analytics-api/src/config.js';
import { dashboardConfigShape } from '../dashboard/src/server/config.js';
import { ingestConfigShape } from '../ingest-api/src/config.js';
import { streamJobsConfigShape } from '../stream-jobs/src/config.js';
import { walletConfigShape } from '../wallet-api/src/config.js';

export const allInOneConfigShape = {
  ...walletConfigShape,
  ...ingestConfigShape,
  ...analyticsConfigShape,
  ...streamJobsConfigShape,
  ...dashboardConfigShape,
};

export const allInOneConfigSchema = defineConfig(allInOneConfigShape);
export type AllInOneConfig = z.infer<typeof allInOneConfigSchema>;
