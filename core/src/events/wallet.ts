/**
 * Wallet events (topic `wallet.events`), written by wallet-api through its transactional outbox in the
 * same SQL transaction as the change. The money movements themselves also go to `transactions.raw`;
 * these events carry the wallet's state (balance after each posting, lifecycle) for low-balance alerts
 * and dashboards.
 */
import { z } from 'zod';
import { idSchema, isoDateTimeSchema, moneySchema } from './common.js';
import { walletRefSchema } from './reference.js';

/** wallet.events, type `wallet.opened`, version 1. */
export const walletOpenedV1Schema = z.object({
  userId: idSchema,
  wallet: walletRefSchema,
  openedAt: isoDateTimeSchema,
});
export type WalletOpenedV1 = z.infer<typeof walletOpenedV1Schema>;

/** wallet.events, type `wallet.updated`, version 1 (name, threshold, status changed). */
export const walletUpdatedV1Schema = z.object({
  userId: idSchema,
  wallet: walletRefSchema,
  updatedAt: isoDateTimeSchema,
});
export type WalletUpdatedV1 = z.infer<typeof walletUpdatedV1Schema>;

/** wallet.events, type `wallet.balance_changed`, version 1: one per posting. */
export const walletBalanceChangedV1Schema = z.object({
  userId: idSchema,
  walletId: idSchema,
  /** The wallet's posting sequence number: strictly increasing per wallet, no gaps. */
  sequence: z.int().min(1),
  /** The signed change (negative when money left). */
  delta: moneySchema,
  /** The balance after this posting. */
  balance: moneySchema,
  /** The transaction that caused it. */
  transactionId: idSchema,
  postedAt: isoDateTimeSchema,
});
export type WalletBalanceChangedV1 = z.infer<typeof walletBalanceChangedV1Schema>;
