// The broker-outage test stops and restarts a private Kafka broker of its own (a JVM, so it runs
// after the parallel suite, in `npm run test:serial`, rather than beside it).
export default {
  files: ['test/outage/**/*.outage.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '300s',
  environmentVariables: { TZ: 'UTC' },
};
