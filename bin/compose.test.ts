import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendChoice, parseConfig } from '@spendstream/core/config';
import { allInOneConfigSchema, allInOneConfigShape } from './all-in-one-config.js';

// Compose cannot run on these machines (no Docker engine), so this test keeps docker/ honest
// against the configuration the code reads. The file is read as text: the project has no YAML
// dependency and the parts checked here are flat.
const root = new URL('../', import.meta.url);
const compose = readFileSync(new URL('docker/compose.yaml', root), 'utf8');
const dockerfile = readFileSync(new URL('docker/Dockerfile', root), 'utf8');

function sharedEnvironment(): Record<string, string> {
  const lines = compose.split('\n');
  const start = lines.findIndex((line) => line.startsWith('x-spendstream-env: &spendstream-env'));
  const env: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    const match = /^ {2}([A-Z_]+): (.+)$/.exec(line);
    if (!match) break;
    env[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

test('the services in Compose get only known variables, and they parse to the real servers', (t) => {
  const env = sharedEnvironment();
  t.true(Object.keys(env).length >= 10);
  const unknown = Object.keys(env).filter((key) => !(key in allInOneConfigShape));
  t.deepEqual(unknown, []);
  const config = parseConfig(allInOneConfigSchema, env);
  t.deepEqual(backendChoice(config), {
    sql: 'mysql',
    eventLog: 'kafka',
    documents: 'mongodb',
    search: 'elasticsearch',
  });
});

test('each Compose service runs an entry that exists and publishes the port it listens on', (t) => {
  const env = sharedEnvironment();
  const services = [
    ['wallet-api', 'WALLET_API_PORT'],
    ['ingest-api', 'INGEST_API_PORT'],
    ['analytics-api', 'ANALYTICS_API_PORT'],
    ['stream-jobs', 'STREAM_JOBS_PORT'],
  ] as const;
  for (const [service, portKey] of services) {
    const block = new RegExp(
      `^ {2}${service}:\\n {4}<<: \\*service\\n {4}command: \\['([^']+)'\\]\\n {4}ports: \\['(\\d+):(\\d+)'\\]`,
      'm',
    ).exec(compose);
    t.truthy(block, `${service} block`);
    const [, entry, published, target] = block!;
    t.true(existsSync(fileURLToPath(new URL(entry!, root))), `${entry} exists`);
    t.is(target, env[portKey]);
    t.is(published, env[portKey]);
    t.true(
      compose.includes(`http://127.0.0.1:${env[portKey]}/healthz`),
      `${service} healthcheck port`,
    );
  }
  const cmd = /^CMD \["([^"]+)"\]$/m.exec(dockerfile);
  t.true(existsSync(fileURLToPath(new URL(cmd![1]!, root))));
});

test('Compose uses the genuine images: MySQL 8, Kafka 4 in KRaft mode, MongoDB, Elasticsearch 8', (t) => {
  t.regex(compose, /image: mysql:8\./);
  t.regex(compose, /image: apache\/kafka:4\./);
  t.regex(compose, /KAFKA_PROCESS_ROLES: broker,controller/);
  t.regex(compose, /image: mongo:/);
  t.regex(compose, /image: docker\.elastic\.co\/elasticsearch\/elasticsearch:8\./);
  t.regex(compose, /xpack\.security\.enabled: 'false'/);
  // The MySQL credentials the services use are the ones the server is created with.
  const url = new URL(sharedEnvironment().DATABASE_URL!);
  t.regex(compose, new RegExp(`MYSQL_USER: ${url.username}\\n`));
  t.regex(compose, new RegExp(`MYSQL_PASSWORD: ${url.password}\\n`));
  t.regex(compose, new RegExp(`MYSQL_DATABASE: ${url.pathname.slice(1)}\\n`));
});
