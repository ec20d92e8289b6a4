import test from 'ava';
import {
  ConfigError,
  backendChoice,
  defineConfig,
  parseConfig,
  portSetting,
  serviceConfigSchema,
  serviceConfigShape,
} from './config.js';

const schema = defineConfig({ ...serviceConfigShape, WALLET_API_PORT: portSetting(3001) });

test('an empty environment gives the embedded defaults', (t) => {
  const config = parseConfig(schema, {});
  t.like(config, {
    WALLET_API_PORT: 3001,
    DATA_DIR: '.data',
    LOG_LEVEL: 'info',
    HOST: '0.0.0.0',
    SHUTDOWN_TIMEOUT_MS: 10_000,
    DATABASE_URL: undefined,
  });
  t.deepEqual(backendChoice(config), {
    sql: 'sqlite',
    eventLog: 'embedded',
    documents: 'embedded',
    search: 'embedded',
  });
});

test('set variables are parsed and pick the server adapters', (t) => {
  const config = parseConfig(schema, {
    WALLET_API_PORT: '8080',
    DATABASE_URL: 'mysql://u:p@db:3306/spendstream',
    KAFKA_BROKERS: 'k1:9092, k2:9093',
    MONGODB_URL: 'mongodb://mongo:27017/spendstream',
    OPENSEARCH_URL: 'http://search:9200',
    LOG_LEVEL: 'debug',
  });
  t.is(config.WALLET_API_PORT, 8080);
  t.deepEqual(config.KAFKA_BROKERS, ['k1:9092', 'k2:9093']);
  t.deepEqual(backendChoice(config), {
    sql: 'mysql',
    eventLog: 'kafka',
    documents: 'mongodb',
    search: 'opensearch',
  });
});

test('an empty variable counts as unset', (t) => {
  t.is(parseConfig(schema, { WALLET_API_PORT: '', DATABASE_URL: ' ' }).WALLET_API_PORT, 3001);
});

test('each bad variable is named in the ConfigError, without its value', (t) => {
  const error = t.throws(
    () =>
      parseConfig(schema, {
        WALLET_API_PORT: '70000',
        DATABASE_URL: 'postgres://u:secretpw@db/x',
        KAFKA_BROKERS: 'no-port',
        LOG_LEVEL: 'loud',
        SHUTDOWN_TIMEOUT_MS: '1.5',
      }),
    { instanceOf: ConfigError },
  );
  t.deepEqual(error.problems.map((p) => p.variable).sort(), [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'LOG_LEVEL',
    'SHUTDOWN_TIMEOUT_MS',
    'WALLET_API_PORT',
  ]);
  t.regex(error.message, /^invalid configuration: WALLET_API_PORT: expected a port number/m);
  t.regex(
    error.message,
    /^invalid configuration: DATABASE_URL: expected a URL starting with mysql:\/\//m,
  );
  t.false(error.message.includes('secretpw'));
});

test('Elasticsearch and OpenSearch together are refused', (t) => {
  const error = t.throws(
    () =>
      parseConfig(serviceConfigSchema, {
        ELASTICSEARCH_URL: 'http://es:9200',
        OPENSEARCH_URL: 'http://os:9200',
      }),
    { instanceOf: ConfigError },
  );
  t.deepEqual(error.problems, [
    {
      variable: 'OPENSEARCH_URL',
      message: 'set either ELASTICSEARCH_URL or OPENSEARCH_URL, not both',
    },
  ]);
});
