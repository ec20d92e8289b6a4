// The broker-outage test stops and restarts the shared Kafka broker, so it runs on its own, after
// the parallel suite (`npm run test:outage -w ingest-api`), never beside other tests that use Kafka.
export default {
  files: ['test/outage/**/*.outage.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '300s',
  environmentVariables: { TZ: 'UTC' },
};
