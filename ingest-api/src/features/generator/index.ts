/**
 * The generator's public API (`@spendstream/ingest-api/generator`): stable for the stream-jobs and
 * analytics tests that build their data with it.
 */
export {
  defaultAnomalyRates,
  finalTransactions,
  generateTransactions,
  generateUsers,
  generatorDaysAfterPeriodMax,
  generatorDaysMax,
  generatorUsersMax,
  iterateTransactions,
  startOfPastPeriod,
  type AnomalyRates,
  type DeliveryKind,
  type GeneratedDataset,
  type GeneratedTransaction,
  type GeneratedUser,
  type GeneratedWallet,
  type GenerateOptions,
  type WalletType,
} from './generate.js';
export { brands, generatorCategories, type Brand, type GeneratorCategory } from './merchants.js';
export { createRandom, type Random } from './random.js';
export { transactionIdFor } from '../transactions/transaction-id.js';
export { toIngestBody } from './ingest-body.js';
