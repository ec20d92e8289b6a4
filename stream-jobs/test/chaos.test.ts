/**
 * The chaos suite, against the real servers (Kafka, FerretDB, OpenSearch): each scenario ends with
 * `reconcile` clean. The scenarios that stop a server (the broker restart, FerretDB and OpenSearch
 * outages) start private servers and run alone: `test/serial/`.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { eventually } from '../src/features/pipeline/test-harness.js';
import {
  assertReconcileClean,
  realSetup,
  sendCorrections,
  sendWorkload,
  waitForFinals,
  workload,
} from './real-harness.js';

/**
 * Each scenario waits for the jobs on the shared servers: more than ava's 120 s inactivity timeout
 * when the box is busy, so each sets its own.
 */
const scenarioTimeoutMs = 600_000;
const workerPath = fileURLToPath(new URL('./chaos-worker.ts', import.meta.url));

test.serial(
  'three deliveries of every event, shuffled, 5% 30 days late, corrections, reversals, recategorizations and annotations, then a replay from offset 0',
  async (t) => {
    t.timeout(scenarioTimeoutMs);
    const setup = await realSetup(t, 'chaos_disorder');
    const load = workload(60, 1);
    await sendWorkload(setup, load);
    const first = await setup.start();
    t.true(await waitForFinals(setup, load), 'every transaction reached its final version');
    await sendCorrections(setup, load);
    t.true(await waitForFinals(setup, load, 240_000, true), 'every recategorization applied');
    await assertReconcileClean(t, setup);
    // Replay: a new group reads every topic from offset 0 through the same stores.
    await first.stop();
    const before = await setup.store.scanRollups({ limit: 5_000 });
    const { createStreamJobs } = await import('../src/features/pipeline/stream-jobs.js');
    const { createMemoryLogger } = await import('@spendstream/core/log');
    const replay = createStreamJobs({
      ...setup,
      log: createMemoryLogger('replay', 'silent').log,
      topicPrefix: setup.prefix,
      groupId: `${setup.prefix}replay`,
      batchSizeMax: 200,
    });
    await replay.start();
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    await replay.stop(2_000);
    const after = await setup.store.scanRollups({ limit: 5_000 });
    t.deepEqual(
      after.map((r) => [r.cellKey, r.amounts]),
      before.map((r) => [r.cellKey, r.amounts]),
    );
    await assertReconcileClean(t, setup);
  },
);

test.serial('two workers and a rebalance as one joins and the other leaves', async (t) => {
  t.timeout(scenarioTimeoutMs);
  const setup = await realSetup(t, 'chaos_rebalance');
  const load = workload(60, 2, 2);
  const half = Math.floor(load.messages.length / 2);
  const first = await setup.start();
  await sendWorkload(setup, load, 0, half);
  await setup.start();
  await sendWorkload(setup, load, half);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await first.stop(5_000);
  t.true(await waitForFinals(setup, load));
  await assertReconcileClean(t, setup);
});

test.serial(
  'kill -9 of a worker mid-batch: a new worker finishes the uncommitted work exactly',
  async (t) => {
    t.timeout(scenarioTimeoutMs);
    const setup = await realSetup(t, 'chaos_kill');
    const load = workload(120, 5, 2);
    await sendWorkload(setup, load);
    const worker = spawnTsx(workerPath, setup.env);
    t.teardown(() => void worker.child.kill('SIGKILL'));
    await worker.waitForRecord((r) => r.msg === 'ready', 60_000);
    // Let it get some way in, then kill it without warning.
    t.true(
      await eventually(
        async () => (await setup.store.scanTransactions({ limit: 5_000 })).length >= 20,
        120_000,
        200,
      ),
    );
    worker.child.kill('SIGKILL');
    await worker.exited;
    t.false(await waitForFinals(setup, load, 1_000), 'the killed worker had not finished');
    const next = spawnTsx(workerPath, setup.env);
    t.teardown(() => void next.child.kill('SIGKILL'));
    await next.waitForRecord((r) => r.msg === 'ready', 60_000);
    t.true(await waitForFinals(setup, load));
    await next.stop('SIGTERM', 30_000);
    await assertReconcileClean(t, setup);
  },
);
