/**
 * The wallet-api process the benchmark drives: the real app on MariaDB, served in its own process
 * (as in production), logging only warnings so the access log does not dominate the measurement.
 * The outbox relay runs when KAFKA_BROKERS is set (publishing to the real Kafka), or on the embedded
 * log when BENCH_RELAY=embedded; BENCH_RELAY=off leaves events in the outbox. BENCH_BATCH=off
 * turns group commit off (one transaction per movement), for comparison.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createEventLog } from '@spendstream/core/event-log';
import { topicSpecs } from '@spendstream/core/events';
import { startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createWalletApp, walletEventTopics } from '../src/app.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('bench server needs DATABASE_URL');
const relayMode = process.env.BENCH_RELAY ?? (process.env.KAFKA_BROKERS ? 'kafka' : 'off');
const poolSize = Number(process.env.BENCH_POOL_SIZE ?? '16');
const log = createLogger({ service: 'wallet-api', level: 'warn' });
const sql = createSql({ DATABASE_URL: databaseUrl }, { poolSizeMax: poolSize });
const app = createWalletApp({
  log,
  sql,
  accessTokenTtlSeconds: 3600,
  keyEncryptionSecret: randomBytes(32).toString('base64'),
  batchWrites: process.env.BENCH_BATCH !== 'off',
  ...(process.env.BENCH_LANES ? { batchLanes: Number(process.env.BENCH_LANES) } : {}),
  ...(process.env.BENCH_BATCH_SIZE ? { batchSizeMax: Number(process.env.BENCH_BATCH_SIZE) } : {}),
  ...(process.env.BENCH_BUSY_START
    ? { batchBusyStartMin: Number(process.env.BENCH_BUSY_START) }
    : {}),
});
await app.ready;
let stopRelay: () => Promise<void> = async () => undefined;
if (relayMode !== 'off') {
  const eventLog = await createEventLog(
    relayMode === 'kafka'
      ? { kafkaBrokers: process.env.KAFKA_BROKERS, clientId: 'wallet-api-bench' }
      : { dataDir: process.env.DATA_DIR ?? '.data/bench' },
  );
  for (const topic of walletEventTopics) {
    await eventLog.createTopic(topic, { partitions: topicSpecs[topic].partitions });
  }
  const relay = app.startRelay(eventLog);
  stopRelay = async () => {
    await relay.stop();
    await eventLog.close();
  };
}
// BENCH_PROFILE=<file>: a V8 CPU profile of the measured window. The client sends SIGUSR2 before
// its first measurement (start) and after its last (stop and write).
const profilePath = process.env.BENCH_PROFILE;
const profiler = profilePath ? new Session() : undefined;
let profiling = false;
if (profiler && profilePath) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!profiling) {
        profiling = true;
        await profiler.post('Profiler.start');
        return;
      }
      profiling = false;
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(profilePath, JSON.stringify(profile));
    })();
  });
}
const server = await startService(app, { port: 0, host: '127.0.0.1' });
console.log(
  JSON.stringify({
    msg: 'bench-listening',
    port: Number(new URL(server.url).port),
    relay: relayMode,
  }),
);
process.on('SIGTERM', () => {
  void (async () => {
    await server.close();
    await stopRelay();
    await sql.destroy();
    process.exit(0);
  })();
});
