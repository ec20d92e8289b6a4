/**
 * ingest-api configuration: the shared service settings plus its port, how it verifies tokens, and
 * its limits. Every key is documented in docs/configuration.md and docs/ingest-api.md.
 */
import { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  millisecondsSetting,
  portSetting,
  serviceConfigShape,
} from '@spendstream/core/config';
import { workersMax } from './cluster.js';

const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** A whole number within bounds, with a default. */
function countSetting(defaultValue: number, min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+$/, { error: message })
      .transform(Number)
      .refine((n) => n >= min && n <= max, { error: message })
      .optional()
      .transform((n) => n ?? defaultValue),
  );
}

function textSetting(defaultValue: string, pattern: RegExp, message: string) {
  return z.preprocess(
    unsetIfEmpty,
    z.string().regex(pattern, { error: message }).optional().default(defaultValue),
  );
}

const urlMessage = 'expected an http(s) URL';
const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, urlMessage);

/** The keys ingest-api reads; the all-in-one entry merges this shape with the other services'. */
export const ingestConfigShape = {
  ...serviceConfigShape,
  /** Port of the ingest API. */
  INGEST_API_PORT: portSetting(defaultPorts['ingest-api']),
  /** Expected `iss` of access tokens: wallet-api's public URL. */
  AUTH_ISSUER: z.preprocess(unsetIfEmpty, httpUrl.optional().default('http://localhost:3001')),
  /** Expected `aud` of access tokens. */
  AUTH_AUDIENCE: textSetting(
    'spendstream',
    /^[\x21-\x7e]{1,200}$/,
    'expected a non-empty audience',
  ),
  /** Where the public keys are; default `<AUTH_ISSUER>/.well-known/jwks.json`. */
  AUTH_JWKS_URL: z.preprocess(unsetIfEmpty, httpUrl.optional()),
  /** Topic raw transactions go to (tests and staging use their own names). */
  INGEST_TOPIC: textSetting(
    'transactions.raw',
    /^[a-zA-Z0-9._-]{1,249}$/,
    'expected a Kafka topic name',
  ),
  /** Per-client rate limit, in transactions per second (a batch of n costs n). */
  INGEST_RATE_ITEMS_PER_SECOND: countSetting(50_000, 1, 10_000_000),
  /** Per-client burst, in transactions. */
  INGEST_RATE_BURST_ITEMS: countSetting(100_000, 1, 100_000_000),
  /** How long to wait for the event log to acknowledge before answering 503. */
  INGEST_PUBLISH_TIMEOUT_MS: millisecondsSetting(5_000, 120_000),
  /**
   * Processes serving the API (node:cluster on one port); 1 runs it in this process. Each worker
   * has its own producers, pools and rate limiter, so per-client limits apply per worker.
   */
  INGEST_WORKERS: countSetting(1, 1, workersMax),
  /** Largest JSON body in bytes (a full batch of 1,000 transactions fits in about 1 MiB). */
  INGEST_BODY_BYTES_MAX: countSetting(4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
};

export const ingestConfigSchema = defineConfig(ingestConfigShape);
export type IngestConfig = z.infer<typeof ingestConfigSchema>;

/** The app settings these keys give (for `createIngestApp`, in main.ts and the all-in-one entry). */
export function ingestSettings(
  config: Pick<
    IngestConfig,
    | 'INGEST_TOPIC'
    | 'INGEST_RATE_ITEMS_PER_SECOND'
    | 'INGEST_RATE_BURST_ITEMS'
    | 'INGEST_PUBLISH_TIMEOUT_MS'
    | 'INGEST_BODY_BYTES_MAX'
  >,
) {
  return {
    topic: config.INGEST_TOPIC,
    rateLimit: {
      itemsPerSecond: config.INGEST_RATE_ITEMS_PER_SECOND,
      burstItems: config.INGEST_RATE_BURST_ITEMS,
    },
    publishTimeoutMs: config.INGEST_PUBLISH_TIMEOUT_MS,
    bodyBytesMax: config.INGEST_BODY_BYTES_MAX,
  };
}
