/**
 * Must show: stopping the Kafka broker during a load run. Every 202 ever returned is in the topic
 * once the broker is back, and the requests made during the outage got 503 (never a 2xx for
 * something not stored). Uses a real broker of its own (a private KRaft node from the jars
 * infra:up downloaded, infra/src/private-kafka.ts), stopped and started by the test, so the shared
 * broker and the tests using it are never touched.
 */
import test from 'ava';
import { createKafkaEventLog } from '@spendstream/core/event-log';
import { uniqueName } from '@spendstream/core/testing/servers';
import { createPrivateKafka } from '../../../infra/src/private-kafka.js';
import { postJson, startHarness } from '../../src/testing/harness.js';
import { readRawTopic } from '../../src/testing/read-topic.js';

/** Concurrent load clients. */
const clients = 4;
/** Load before the broker stops, while it is down, and after it is back, in ms. */
const loadBeforeMs = 2_000;
const outageMs = 6_000;
/** After the restart: load goes on until this many more are accepted, or the limit passes. */
const acceptedAfterRestartMin = 50;
const recoveryLimitMs = 60_000;
const started = Date.now();
/** Phases on stderr with the time since start, so a slow restart shows where the time went. */
const progress = (message: string) =>
  console.error(`[outage ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

test('stopping the Kafka broker during load: every 202 is in the topic afterwards, outage requests got 503', async (t) => {
  const kafka = await createPrivateKafka('ingest-outage');
  t.teardown(() => kafka.destroy());
  progress('starting a private kafka');
  await kafka.start();
  const eventLog = createKafkaEventLog({
    brokers: kafka.brokers.split(','),
    clientId: 'ingest-outage-test',
  });
  const topic = uniqueName('ingest_outage').replace(/_/g, '-');
  const h = await startHarness({
    eventLog,
    topic,
    publishTimeoutMs: 2_000,
    wallets: [{ walletId: 'w_load', writers: ['u_load'], currency: 'EUR', archived: false }],
  });
  t.teardown(async () => {
    await h.close();
    await eventLog.close();
  });
  const token = await h.issuer.clientToken('load-bank', ['u_load'], ['transactions:write']);

  const accepted = new Set<string>();
  const refused = new Set<string>();
  const statuses = new Map<number, number>();
  const phaseOf503: string[] = [];
  let phase: 'before' | 'outage' | 'restarting' | 'after' = 'before';
  let stop = false;
  let counter = 0;

  const client = async (n: number) => {
    while (!stop) {
      const externalId = `load-${n}-${counter++}`;
      const response = await postJson(`${h.url}/v1/transactions`, token, {
        externalId,
        walletId: 'w_load',
        amount: '-1.00',
        currency: 'EUR',
        occurredAt: '2026-11-25T12:00:00Z',
      }).catch(() => ({ status: 0, headers: new Headers(), body: undefined }));
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 202) accepted.add(externalId);
      else if (response.status === 503) {
        refused.add(externalId);
        phaseOf503.push(phase);
        t.truthy(response.headers.get('retry-after'), 'a 503 says when to retry');
        await new Promise((resolve) => setTimeout(resolve, 100));
      } else t.fail(`unexpected status ${response.status}: ${JSON.stringify(response.body)}`);
    }
  };

  const load = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  await new Promise((resolve) => setTimeout(resolve, loadBeforeMs));
  const acceptedBefore = accepted.size;
  phase = 'outage';
  progress('stopping kafka');
  await kafka.kill('SIGTERM');
  progress('kafka stopped');
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  const acceptedDuringOutageWindow = accepted.size;
  phase = 'restarting';
  progress('starting kafka');
  await kafka.start();
  progress('kafka started');
  phase = 'after';
  const acceptedAtRestart = accepted.size;
  const recoveryStart = Date.now();
  while (
    accepted.size < acceptedAtRestart + acceptedAfterRestartMin &&
    Date.now() - recoveryStart < recoveryLimitMs
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  progress(`accepting again after ${Date.now() - recoveryStart} ms`);
  stop = true;
  await load;
  progress(`load stopped: ${JSON.stringify(Object.fromEntries(statuses))}`);

  // The client's side of the bargain: what was refused is sent again until it is stored.
  const retryDeadline = Date.now() + recoveryLimitMs;
  let toRetry = [...refused];
  while (toRetry.length > 0 && Date.now() < retryDeadline) {
    const retry = await postJson(`${h.url}/v1/transactions:batch`, token, {
      items: toRetry.slice(0, 500).map((externalId) => ({
        externalId,
        walletId: 'w_load',
        amount: '-1.00',
        currency: 'EUR',
        occurredAt: '2026-11-25T12:00:00Z',
      })),
    });
    if (retry.status === 202) {
      for (const item of retry.body.items as { externalId: string; status: string }[]) {
        if (item.status === 'accepted' || item.status === 'duplicate')
          accepted.add(item.externalId);
      }
      toRetry = toRetry.filter((id) => !accepted.has(id));
    } else await new Promise((resolve) => setTimeout(resolve, 500));
  }

  t.log(
    `statuses ${JSON.stringify(Object.fromEntries(statuses))}, accepted before outage ${acceptedBefore}, by end of outage window ${acceptedDuringOutageWindow}`,
  );
  t.true(acceptedBefore > 0, 'load ran before the outage');
  t.true(phaseOf503.includes('outage'), 'requests during the outage got 503');
  t.is(statuses.get(0) ?? 0, 0, 'the API never dropped a connection');
  t.true(
    accepted.size >= acceptedAtRestart + acceptedAfterRestartMin,
    'load was accepted again after the broker came back',
  );

  progress('retries done; reading the topic');
  const events = await readRawTopic(eventLog, topic, {
    expected: accepted.size,
    timeoutMs: 60_000,
    quietMs: 1_000,
  });
  const inTopic = new Set(events.map((e) => e.payload.externalId));
  const missing = [...accepted].filter((id) => !inTopic.has(id));
  t.deepEqual(missing, [], 'every 202 is in the topic');
  const refusedAndNeverStored = [...refused].filter((id) => !accepted.has(id));
  t.deepEqual(refusedAndNeverStored, [], 'every refused request was stored on retry');
  t.log(
    `${events.length} events for ${accepted.size} accepted transactions (${events.length - inTopic.size} republished copies, same event id)`,
  );
});
