import test from 'ava';
import {
  ConfigError,
  backendChoice,
  defineConfig,
  integerSetting,
  parseConfig,
  portSetting,
  serviceConfigSchema,
  serviceConfigShape,
  textSetting,
  urlSetting,
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

test('the setting helpers give defaults, parse values and name what they expect', (t) => {
  const extra = defineConfig({
    BATCH_ITEMS_MAX: integerSetting(500, 1, 10_000),
    TOPIC: textSetting('alerts', /^[a-z.]+$/, 'expected a topic name'),
    JWKS_URL: urlSetting(['http:', 'https:'], 'http://localhost:3001/.well-known/jwks.json'),
  });
  t.deepEqual(parseConfig(extra, {}), { BATCH_ITEMS_MAX: 500, TOPIC: 'alerts' });
  t.deepEqual(
    parseConfig(extra, { BATCH_ITEMS_MAX: '20', TOPIC: 'a.b', JWKS_URL: 'https://x/j' }),
    {
      BATCH_ITEMS_MAX: 20,
      TOPIC: 'a.b',
      JWKS_URL: 'https://x/j',
    },
  );
  const error = t.throws(
    () => parseConfig(extra, { BATCH_ITEMS_MAX: '0', TOPIC: 'A B', JWKS_URL: 'ftp://x' }),
    { instanceOf: ConfigError },
  );
  t.deepEqual(error.problems, [
    { variable: 'BATCH_ITEMS_MAX', message: 'expected a whole number from 1 to 10000' },
    { variable: 'TOPIC', message: 'expected a topic name' },
    {
      variable: 'JWKS_URL',
      message:
        'expected a URL starting with http:// or https:// (for example http://localhost:3001/.well-known/jwks.json)',
    },
  ]);
});
