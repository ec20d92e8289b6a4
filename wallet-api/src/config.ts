/**
 * wallet-api configuration: the shared service settings plus its port. Every key is documented in
 * docs/configuration.md.
 */
import type { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  portSetting,
  serviceConfigShape,
} from '@spendstream/core/config';

/** The keys wallet-api reads; the all-in-one entry merges this shape with the other services'. */
export const walletConfigShape = {
  ...serviceConfigShape,
  /** Port of the wallet API. */
  WALLET_API_PORT: portSetting(defaultPorts['wallet-api']),
};

export const walletConfigSchema = defineConfig(walletConfigShape);
export type WalletConfig = z.infer<typeof walletConfigSchema>;
