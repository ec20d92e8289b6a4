/**
 * Chaos, run alone (`npm run test:serial -w @spendstream/stream-jobs`): the documents store
 * (FerretDB) stopped for 10 s, the search index (OpenSearch) stopped for 30 s. Each scenario starts
 * its own private server (never the shared ones of infra:up, which other test files use meanwhile)
 * and really stops it (SIGSTOP, then SIGCONT); the jobs hold their batch with back-pressure,
 * resume without loss, and reconcile ends clean. Kafka and the other store are the shared servers,
 * under the test's own names.
 */
import test, { type ExecutionContext } from 'ava';
import {
  startPrivateFerretDb,
  startPrivateOpenSearch,
  type PrivateServer,
} from '../../../infra/src/private-servers.js';
import {
  assertReconcileClean,
  freezeProcess,
  realSetup,
  sendWorkload,
  waitForFinals,
  workload,
} from '../real-harness.js';

/** How long a stopped server must fail to answer a probe for the stop to count as real. */
const probeTimeoutMs = 1_500;
const started = Date.now();
const progress = (message: string) =>
  console.error(`[sink-outages ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** Whether the server answers a plain request within probeTimeoutMs (TCP for FerretDB, HTTP for OpenSearch). */
async function answers(server: PrivateServer): Promise<boolean> {
  if (server.url.startsWith('http')) {
    return fetch(server.url, { signal: AbortSignal.timeout(probeTimeoutMs) }).then(
      (response) => response.ok,
      () => false,
    );
  }
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(server.url, {
    serverSelectionTimeoutMS: probeTimeoutMs,
    socketTimeoutMS: probeTimeoutMs,
    connectTimeoutMS: probeTimeoutMs,
  });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close(true).catch(() => undefined);
  }
}

/**
 * Sends the first part of the workload, stops `server` for `ms` while the rest arrives, then
 * checks that every transaction reaches its final version in the store and the index, and that
 * reconcile is clean.
 */
async function outageScenario(
  t: ExecutionContext,
  name: string,
  server: PrivateServer,
  setupOptions: { mongoUrl?: string; openSearchUrl?: string },
  ms: number,
  seed: number,
): Promise<void> {
  const setup = await realSetup(t, name, setupOptions);
  const load = workload(60, seed, 2);
  await setup.start();
  t.true(await answers(server), 'the private server answers before the stop');
  await sendWorkload(setup, load, 0, 40);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  progress(`${name}: stopping the private server for ${ms / 1000} s`);
  const stopping = freezeProcess(server.pid(), ms);
  await stopping.frozen;
  t.false(await answers(server), 'the stopped server does not answer');
  await sendWorkload(setup, load, 40);
  await stopping.thawed;
  progress(`${name}: server continued`);
  t.true(await answers(server), 'the server answers again');
  t.true(await waitForFinals(setup, load, 300_000), 'every transaction at its final version');
  progress(`${name}: every transaction at its final version`);
  await assertReconcileClean(t, setup);
  progress(`${name}: reconcile clean`);
}

test.serial(
  'FerretDB stopped for 10 s: the jobs hold their batch and resume without loss',
  async (t) => {
    t.timeout(600_000);
    const ferret = await startPrivateFerretDb('sj_ferret');
    t.teardown(() => ferret.destroy());
    progress(`private ferretdb at ${ferret.url}`);
    await outageScenario(t, 'chaos_ferret', ferret, { mongoUrl: ferret.url }, 10_000, 3);
  },
);

test.serial(
  'OpenSearch stopped for 30 s: indexing retries with back-pressure and catches up',
  async (t) => {
    t.timeout(600_000);
    const search = await startPrivateOpenSearch('sj_search');
    t.teardown(() => search.destroy());
    progress(`private opensearch at ${search.url}`);
    await outageScenario(t, 'chaos_search', search, { openSearchUrl: search.url }, 30_000, 4);
  },
);
