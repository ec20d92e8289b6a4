// Chaos scenarios that stop and restart a server of their own (a private Kafka broker): heavy
// (a JVM) and timing-sensitive, so they run alone after the parallel suite
// (`npm run test:serial -w @spendstream/stream-jobs`, part of the root `npm run test:serial`).
export default {
  files: ['test/serial/**/*.serial.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '600s',
  environmentVariables: { TZ: 'UTC' },
};
