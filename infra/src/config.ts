// Where everything lives and which ports it uses. Every port can be moved by an environment
// variable; the defaults sit away from the servers' usual ports so that a developer's own Kafka,
// OpenSearch or MongoDB on this machine does not clash with ours.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: infra/src/config.ts sits two folders below it. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The infra sources (POMs, the OpenSearch launcher). */
export const infraSourceDir = join(repoRoot, 'infra');
/** Everything we download, build, store and log: git-ignored, deleting it resets everything. */
export const stateDir = join(repoRoot, '.infra');
/** Written after `up`: the URLs of the servers that are up, read by tests through realServers(). */
export const envFilePath = join(stateDir, 'env.json');
/** Binaries we build (ferretdb). */
export const binDir = join(stateDir, 'bin');
/** Maven's repository, kept under .infra so that deleting .infra really starts from nothing. */
export const mavenRepoDir = join(stateDir, 'm2');
/** Go's module and build caches, for the same reason. */
export const goPathDir = join(stateDir, 'go');

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

function heapFromEnv(name: string, fallback: string): string {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+[mMgG]$/.test(raw)) {
    throw new Error(
      `${name} must be a JVM heap size such as 512m or 1g, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** Everything configurable, read once from the environment. */
export interface InfraConfig {
  kafkaPort: number;
  kafkaControllerPort: number;
  kafkaHeap: string;
  openSearchHttpPort: number;
  openSearchTransportPort: number;
  openSearchHeap: string;
  ferretDbPort: number;
  mariaDbPort: number;
  mariaDbUser: string;
  mariaDbPassword: string;
  mariaDbDatabase: string;
}

export function readConfig(): InfraConfig {
  return {
    kafkaPort: portFromEnv('INFRA_KAFKA_PORT', 19092),
    kafkaControllerPort: portFromEnv('INFRA_KAFKA_CONTROLLER_PORT', 19093),
    kafkaHeap: heapFromEnv('INFRA_KAFKA_HEAP', '768m'),
    openSearchHttpPort: portFromEnv('INFRA_OPENSEARCH_PORT', 19200),
    openSearchTransportPort: portFromEnv('INFRA_OPENSEARCH_TRANSPORT_PORT', 19300),
    openSearchHeap: heapFromEnv('INFRA_OPENSEARCH_HEAP', '768m'),
    ferretDbPort: portFromEnv('INFRA_FERRETDB_PORT', 27018),
    // MariaDB is the machine's own server (Debian's package): we reuse it where it already runs.
    mariaDbPort: portFromEnv('INFRA_MARIADB_PORT', 3306),
    mariaDbUser: process.env['INFRA_MARIADB_USER'] || 'spendstream',
    mariaDbPassword: process.env['INFRA_MARIADB_PASSWORD'] || 'spendstream',
    mariaDbDatabase: process.env['INFRA_MARIADB_DATABASE'] || 'spendstream',
  };
}
