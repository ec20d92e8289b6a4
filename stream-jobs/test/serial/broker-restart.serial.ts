/**
 * Chaos, run alone (`npm run test:serial -w @spendstream/stream-jobs`): the Kafka broker is killed
 * (SIGKILL) while the jobs work through a batch, stays down, and restarts on the same data. The
 * broker is a private one started by the test (never the shared one of infra:up); documents,
 * rollups and the index are on the shared FerretDB and OpenSearch under the test's own names. The
 * jobs hold their batch while the broker is gone, join the group again once it is back, and
 * reconcile ends clean.
 */
import test from 'ava';
import { eventually } from '../../src/features/pipeline/test-harness.js';
import {
  assertReconcileClean,
  realSetup,
  sendCorrections,
  sendWorkload,
  waitForFinals,
  workload,
} from '../real-harness.js';
import { createPrivateKafka } from '../../../infra/src/private-kafka.js';

/** How long the broker stays down. */
const outageMs = 8_000;
const started = Date.now();
/** Phases on stderr with the time since start, so a slow phase shows where the time went. */
const progress = (message: string) =>
  console.error(`[broker-restart ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

test('the Kafka broker killed mid-run and restarted: the jobs rejoin, nothing is lost or counted twice', async (t) => {
  t.timeout(600_000);
  const kafka = await createPrivateKafka('sj_broker');
  t.teardown(() => kafka.destroy());
  progress('starting the private broker');
  await kafka.start();
  progress(`broker up at ${kafka.brokers}`);
  const setup = await realSetup(t, 'chaos_broker', { kafkaBrokers: kafka.brokers, logs: true });
  const load = workload(60, 7, 2);
  const half = Math.floor(load.messages.length / 2);
  await sendWorkload(setup, load, 0, half);
  progress('first half sent');
  await setup.start();
  progress('jobs started');
  t.true(
    await eventually(
      async () => (await setup.store.scanTransactions({ limit: 5_000 })).length >= 10,
      120_000,
      100,
    ),
    'the jobs got going',
  );
  await kafka.kill();
  progress('broker killed');
  const during = (await setup.store.scanTransactions({ limit: 5_000 })).length;
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  await kafka.start();
  progress(`broker restarted; documents when it died: ${during} of ${load.finals.size}`);
  await sendWorkload(setup, load, half);
  progress('second half sent');
  const counting = setInterval(() => {
    void setup.store
      .scanTransactions({ limit: 5_000 })
      .then((docs) => progress(`documents: ${docs.length} of ${load.finals.size}`));
  }, 10_000);
  t.teardown(() => clearInterval(counting));
  t.true(await waitForFinals(setup, load, 300_000), 'every transaction at its final version');
  progress('every transaction at its final version');
  await sendCorrections(setup, load);
  t.true(await waitForFinals(setup, load, 300_000, true), 'every correction applied');
  progress('every correction applied');
  await assertReconcileClean(t, setup);
  progress('reconcile clean');
});
