/**
 * The ingest-api process the benchmark drives: the real app in its own process (as in production),
 * logging only warnings. Event log: real Kafka (BENCH_LOG=kafka, KAFKA_BROKERS) or the embedded log
 * (BENCH_LOG=embedded, under DATA_DIR). Dedupe and idempotency: MariaDB (DATABASE_URL) or SQLite
 * (DATA_DIR). Tokens are verified against the JWKS in BENCH_JWKS; wallets are the generator's users'
 * (BENCH_USERS, BENCH_SEED), registered in the in-memory directory.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createTokenVerifier } from '@spendstream/core/auth';
import { createEventLog, createKafkaEventLog } from '@spendstream/core/event-log';
import { startService } from '@spendstream/core/http';
import { createLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { createIngestApp, migrateIngest } from '../src/app.js';
import { onPrimaryShutdown, reportListening, startWorkers } from '../src/cluster.js';
import { generateUsers } from '../src/features/generator/generate.js';
import { createMemoryWalletDirectory } from '../src/features/transactions/wallet-directory.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bench server needs ${name}`);
  return value;
};
const logKind = env('BENCH_LOG');
// BENCH_WORKERS > 1: this process is a node:cluster primary forking that many servers (as
// INGEST_WORKERS does in main.ts); each worker writes its own CPU profile (<path>-<pid>).
const workers = Number(process.env.BENCH_WORKERS ?? 1);
const primaryOfWorkers = workers > 1 && cluster.isPrimary;
const profilePath =
  process.env.BENCH_CPU_PROFILE && !primaryOfWorkers
    ? cluster.isWorker
      ? `${process.env.BENCH_CPU_PROFILE}-${process.pid}`
      : process.env.BENCH_CPU_PROFILE
    : undefined;
const profiler = profilePath ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const topic = env('BENCH_TOPIC');
const log = createLogger({ service: 'ingest-api', level: 'warn' });
const sql = createSql(
  process.env.DATABASE_URL
    ? { DATABASE_URL: process.env.DATABASE_URL }
    : { DATA_DIR: env('DATA_DIR') },
  {
    poolSizeMax: 8,
  },
);
if (!cluster.isWorker) await migrateIngest(sql);
// BENCH_PRODUCER_LANES and BENCH_SENDS_IN_FLIGHT override the defaults, to compare settings.
const lanes = process.env.BENCH_PRODUCER_LANES
  ? Number(process.env.BENCH_PRODUCER_LANES)
  : undefined;
const sendsInFlightMax = process.env.BENCH_SENDS_IN_FLIGHT
  ? Number(process.env.BENCH_SENDS_IN_FLIGHT)
  : undefined;
const eventLog =
  logKind === 'kafka'
    ? createKafkaEventLog({
        brokers: env('KAFKA_BROKERS').split(','),
        clientId: 'ingest-bench',
        ...(lanes ? { producerLanes: lanes } : {}),
      })
    : await createEventLog({ dataDir: env('DATA_DIR') });
if (!cluster.isWorker) await eventLog.createTopic(topic, { partitions: 6 });
if (primaryOfWorkers) {
  await eventLog.close();
  await sql.destroy();
  const pool = startWorkers(workers, log);
  console.log(JSON.stringify({ msg: 'bench-listening', port: await pool.listening }));
  process.on('SIGTERM', () => void pool.stop().then(() => process.exit(0)));
  await new Promise(() => undefined);
}
const wallets = createMemoryWalletDirectory();
for (const user of generateUsers({
  seed: env('BENCH_SEED'),
  users: Number(env('BENCH_USERS')),
  days: 1,
})) {
  for (const w of user.wallets)
    wallets.register({
      walletId: w.walletId,
      writers: [user.userId],
      currency: w.currency,
      archived: false,
    });
}
const verifier = createTokenVerifier({
  issuer: env('BENCH_ISSUER'),
  audience: 'spendstream',
  jwks: JSON.parse(env('BENCH_JWKS')) as { keys: [] },
});
const app = createIngestApp({
  log,
  sql,
  eventLog,
  verifier,
  wallets,
  topic,
  rateLimit: { itemsPerSecond: 10_000_000, burstItems: 10_000_000 },
  publishTimeoutMs: 30_000,
  ...(sendsInFlightMax ? { sendsInFlightMax } : {}),
});
const server = await startService(app, { port: 0, host: '127.0.0.1' });
const port = Number(new URL(server.url).port);
if (cluster.isWorker) reportListening(port);
else console.log(JSON.stringify({ msg: 'bench-listening', port }));
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await server.close();
    await app.close();
    if (profiler && profilePath) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(profilePath, JSON.stringify(profile));
    }
    await eventLog.close();
    await sql.destroy();
    process.exit(0);
  })();
};
process.on('SIGTERM', stop);
onPrimaryShutdown(async () => stop(), log);
