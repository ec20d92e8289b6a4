/**
 * analytics-api configuration: the shared service settings plus its port, how it verifies tokens,
 * the search index it reads, and the defaults for users whose settings have not arrived yet. Every
 * key is documented in docs/configuration.md and docs/analytics-api.md.
 */
import type { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  portSetting,
  serviceConfigShape,
  textSetting,
  urlSetting,
} from '@spendstream/core/config';
import { baseDatabaseNameLengthMax } from './query/mongo-spread.js';

/** The keys analytics-api reads; the all-in-one entry merges this shape with the other services'. */
export const analyticsConfigShape = {
  ...serviceConfigShape,
  /** Port of the analytics API. */
  ANALYTICS_API_PORT: portSetting(defaultPorts['analytics-api']),
  /** Expected `iss` of access tokens: wallet-api's public URL. */
  AUTH_ISSUER: textSetting('http://localhost:3001', /^https?:\/\/\S+$/, 'expected an http(s) URL'),
  /** Expected `aud` of access tokens. */
  AUTH_AUDIENCE: textSetting(
    'spendstream',
    /^[\x21-\x7e]{1,200}$/,
    'expected a non-empty audience',
  ),
  /** Where the public keys are; default `<AUTH_ISSUER>/.well-known/jwks.json`. */
  AUTH_JWKS_URL: urlSetting(['http:', 'https:'], 'http://localhost:3001/.well-known/jwks.json'),
  /**
   * analytics-api's own search index of transaction documents (its projector writes it with the
   * analytics mapping; stream-jobs' `spendstream-transactions` has another one).
   */
  ANALYTICS_SEARCH_INDEX: textSetting(
    'spendstream-analytics',
    /^[a-z0-9][a-z0-9_.-]{0,199}$/,
    'expected a lower-case index name',
  ),
  /**
   * MongoDB database of the read model (when MONGODB_URL names none): the yearly sums and ledgers
   * go to the databases `<name>_r<k>` beside it, so the name leaves room for that suffix.
   */
  ANALYTICS_MONGODB_DATABASE: textSetting(
    'spendstream',
    new RegExp(`^[A-Za-z0-9_-]{1,${baseDatabaseNameLengthMax}}$`),
    `expected a database name of at most ${baseDatabaseNameLengthMax} characters`,
  ),
  /** Time zone for a user whose settings have not arrived on ref.user-settings yet. */
  ANALYTICS_DEFAULT_TIME_ZONE: textSetting(
    'UTC',
    /^[A-Za-z0-9_+\-/]{1,64}$/,
    'expected an IANA zone such as Europe/Paris',
  ),
  /** Home currency for a user whose settings have not arrived yet. */
  ANALYTICS_DEFAULT_CURRENCY: textSetting(
    'EUR',
    /^[A-Z]{3}$/,
    'expected an ISO 4217 code such as EUR',
  ),
};

export const analyticsConfigSchema = defineConfig(analyticsConfigShape);
export type AnalyticsConfig = z.infer<typeof analyticsConfigSchema>;
