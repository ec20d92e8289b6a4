// The real servers started by `npm run infra:up`, for integration and contract tests. infra:up
// writes their URLs to .infra/env.json at the repository root; only servers that are up appear.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The connection strings of the live servers, in the variables the services read. */
export interface RealServers {
  DATABASE_URL: string;
  KAFKA_BROKERS: string;
  MONGODB_URL: string;
  OPENSEARCH_URL: string;
}

/** core/src/testing/servers.ts sits three folders below the repository root. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where infra:up writes the URLs of the servers that are up. */
export const envFilePath = join(repoRoot, '.infra', 'env.json');

const serverKeys = ['DATABASE_URL', 'KAFKA_BROKERS', 'MONGODB_URL', 'OPENSEARCH_URL'] as const;
/** Resource names are cut to this (Kafka topics allow 249, MySQL database names 64). */
const nameLengthMax = 64;

/**
 * The URLs of the live servers. Throws, telling what to run, when infra:up has not run or when a
 * server the caller needs is not up; pass the keys you need to check only those.
 */
export function realServers(required: readonly (keyof RealServers)[] = serverKeys): RealServers {
  if (!existsSync(envFilePath)) {
    throw new Error(
      `The real servers are not up (${envFilePath} is missing): run \`npm run infra:up\` first.`,
    );
  }
  const parsed = JSON.parse(readFileSync(envFilePath, 'utf8')) as Partial<Record<string, unknown>>;
  const missing = required.filter((key) => typeof parsed[key] !== 'string' || parsed[key] === '');
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} missing from ${envFilePath}: that server is not up; run \`npm run infra:up\` (and \`npm run infra:status\` to see which is down).`,
    );
  }
  const value = (key: keyof RealServers): string =>
    typeof parsed[key] === 'string' ? parsed[key] : '';
  return {
    DATABASE_URL: value('DATABASE_URL'),
    KAFKA_BROKERS: value('KAFKA_BROKERS'),
    MONGODB_URL: value('MONGODB_URL'),
    OPENSEARCH_URL: value('OPENSEARCH_URL'),
  };
}

/**
 * A name no other test run uses, for a topic, group, index or database: lowercase letters, digits
 * and underscores only, so it is valid for Kafka, OpenSearch (lowercase), MongoDB and MySQL alike.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  return `${clean.slice(0, nameLengthMax - suffix.length - 1)}_${suffix}`;
}
