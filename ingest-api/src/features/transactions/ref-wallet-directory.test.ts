import test from 'ava';
import { createEmbeddedEventLog, type EventLog } from '@spendstream/core/event-log';
import { encodeEvent, topics, type WalletsSnapshotV1 } from '@spendstream/core/events';
import { createServiceServer } from '@spendstream/core/http';
import { createMemoryLogger } from '@spendstream/core/log';
import { createSql } from '@spendstream/core/sql';
import { uniqueName } from '@spendstream/core/testing/servers';
import { createTestIssuer } from '@spendstream/core/testing/tokens';
import { createIngestApp, migrateIngest, type IngestApp } from '../../app.js';
import { postJson } from '../../testing/harness.js';
import { readRawTopic } from '../../testing/read-topic.js';
import { createMemoryDedupeStore, type DedupeStore } from '../dedupe/dedupe-store.js';
import { createIngestService } from './ingest-service.js';
import { createRefWalletDirectory, walletViewQuietMs } from './ref-wallet-directory.js';

type OwnedWallet = WalletsSnapshotV1['wallets'][number];

const wallet = (walletId: string, extra: Partial<OwnedWallet> = {}): OwnedWallet => ({
  walletId,
  name: 'Joint account',
  kind: 'bank',
  currency: 'EUR',
  status: 'active',
  allowNegative: false,
  ...extra,
});

const snapshot = (userId: string, revision: number, wallets: OwnedWallet[]): WalletsSnapshotV1 => ({
  userId,
  revision,
  wallets,
  shared: [],
});

/** Publish snapshots the way wallet-api's relay does: encoded events keyed by user id. */
async function publish(log: EventLog, topic: string, ...snapshots: WalletsSnapshotV1[]) {
  await log.send(
    topic,
    snapshots.map((payload) => ({
      key: payload.userId,
      value: Buffer.from(
        encodeEvent(topics.refWallets, {
          id: `${payload.userId}:wallets:${payload.revision}`,
          type: 'wallets.snapshot',
          version: 1,
          key: payload.userId,
          occurredAt: new Date().toISOString(),
          producedAt: new Date().toISOString(),
          source: 'wallet-api',
          payload,
        }),
      ),
    })),
  );
}

/** Until the view shows `walletId` with exactly these writers (or gone, for undefined). */
async function viewShows(app: IngestApp, walletId: string, writers: string[] | undefined) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await app.wallets.lookup([walletId])).get(walletId);
    const now = found && !found.archived ? [...found.writers].sort() : undefined;
    if (JSON.stringify(now) === JSON.stringify(writers?.sort())) return;
    if (Date.now() > deadline) throw new Error(`the view never showed ${walletId} as ${writers}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const item = (externalId: string, walletId: string, userId: string) => ({
  externalId,
  walletId,
  userId,
  amount: '-4.20',
  currency: 'EUR',
  occurredAt: '2026-11-24T08:15:00+01:00',
  merchant: 'SQ *BLUE BOTTLE COFFEE',
});

/** ingest-api over HTTP with its default wallet directory: the view of a ref.wallets topic. */
async function startApp(options: { walletWaitMs: number; dedupe?: DedupeStore }) {
  const sql = createSql({}, { sqliteFilename: ':memory:' });
  await migrateIngest(sql);
  const eventLog = createEmbeddedEventLog({ path: ':memory:' });
  const topic = uniqueName('raw').replace(/_/g, '-');
  const walletsTopic = uniqueName('ref-wallets').replace(/_/g, '-');
  await eventLog.createTopic(topic, { partitions: 3 });
  // One partition: snapshots of different users stay in the order they were sent.
  await eventLog.createTopic(walletsTopic, { partitions: 1 });
  const issuer = await createTestIssuer();
  const app = createIngestApp({
    log: createMemoryLogger('ingest-api').log,
    sql,
    eventLog,
    verifier: issuer.verifier,
    topic,
    walletsTopic,
    walletWaitMs: options.walletWaitMs,
    ...(options.dedupe ? { dedupe: options.dedupe } : {}),
  });
  await app.started;
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  const token = await issuer.clientToken(
    'acme-bank',
    ['u_owner', 'u_editor', 'u_viewer'],
    ['transactions:write'],
  );
  return {
    app,
    eventLog,
    topic,
    walletsTopic,
    token,
    url: `${server.url}/v1/transactions`,
    async close() {
      await server.close();
      await app.close();
      await eventLog.close();
      await sql.destroy();
    },
  };
}

test('writes are checked against ref.wallets: owner and editor accepted; viewer, removed member, archived and unknown wallets refused', async (t) => {
  const h = await startApp({ walletWaitMs: 300 });
  t.teardown(() => h.close());
  await publish(
    h.eventLog,
    h.walletsTopic,
    snapshot('u_owner', 1, [
      wallet('w_joint', {
        members: [
          { userId: 'u_editor', role: 'editor' },
          { userId: 'u_viewer', role: 'viewer' },
        ],
      }),
    ]),
  );
  const send = (externalId: string, walletId: string, userId: string) =>
    postJson(h.url, h.token, item(externalId, walletId, userId));

  t.is((await send('o1', 'w_joint', 'u_owner')).status, 202, 'owner');
  t.is((await send('e1', 'w_joint', 'u_editor')).status, 202, 'editor');
  const viewer = await send('v1', 'w_joint', 'u_viewer');
  t.is(viewer.status, 403, 'viewer');
  t.like(viewer.body, { code: 'forbidden', field: 'walletId' });
  const unknown = await send('x1', 'w_nobody', 'u_owner');
  t.is(unknown.status, 403, 'unknown wallet: the same answer as a foreign one');
  t.like(unknown.body, { code: 'forbidden' });

  // The owner removes the editor: their next snapshot no longer lists them.
  await publish(
    h.eventLog,
    h.walletsTopic,
    snapshot('u_owner', 2, [
      wallet('w_joint', { members: [{ userId: 'u_viewer', role: 'viewer' }] }),
    ]),
  );
  await viewShows(h.app, 'w_joint', ['u_owner']);
  t.is((await send('e2', 'w_joint', 'u_editor')).status, 403, 'removed member');
  // A replayed older snapshot (compaction, redelivery) does not bring the editor back.
  await publish(
    h.eventLog,
    h.walletsTopic,
    snapshot('u_owner', 1, [
      wallet('w_joint', { members: [{ userId: 'u_editor', role: 'editor' }] }),
    ]),
  );
  // The replay is applied (or skipped) in order before this later snapshot of another user.
  await publish(h.eventLog, h.walletsTopic, snapshot('u_other', 1, [wallet('w_marker')]));
  await viewShows(h.app, 'w_marker', ['u_other']);
  await viewShows(h.app, 'w_joint', ['u_owner']);
  t.is((await send('e3', 'w_joint', 'u_editor')).status, 403, 'older revision ignored');
  // Archived (closed): not even the owner may write.
  await publish(
    h.eventLog,
    h.walletsTopic,
    snapshot('u_owner', 3, [wallet('w_joint', { status: 'closed' })]),
  );
  await viewShows(h.app, 'w_joint', undefined);
  t.is((await send('o2', 'w_joint', 'u_owner')).status, 403, 'archived wallet');

  // Only the two accepted writes were published.
  const events = await readRawTopic(h.eventLog, h.topic, { expected: 2, quietMs: 300 });
  t.deepEqual(events.map((e) => e.payload.externalId).sort(), ['e1', 'o1']);
});

test('a wallet opened a moment ago: the write waits for its snapshot and is accepted; past the wait it is 403', async (t) => {
  const h = await startApp({ walletWaitMs: 3_000 });
  t.teardown(() => h.close());
  const started = Date.now();
  const pending = postJson(h.url, h.token, item('n1', 'w_new', 'u_owner'));
  // wallet-api's relay publishes the owner's snapshot a little after the wallet was opened.
  setTimeout(
    () => void publish(h.eventLog, h.walletsTopic, snapshot('u_owner', 1, [wallet('w_new')])),
    400,
  );
  const answer = await pending;
  t.is(answer.status, 202);
  t.true(Date.now() - started >= 400, 'it waited for the snapshot');

  const shortWait = await startApp({ walletWaitMs: 200 });
  t.teardown(() => shortWait.close());
  await new Promise((resolve) => setTimeout(resolve, walletViewQuietMs + 50));
  const t0 = Date.now();
  const refused = await postJson(shortWait.url, shortWait.token, item('n2', 'w_late', 'u_owner'));
  t.is(refused.status, 403);
  t.true(Date.now() - t0 >= 200, 'it waited walletWaitMs before refusing');
});

test('a file import into a wallet opened a moment ago waits for its snapshot too; an unknown wallet is 403', async (t) => {
  const h = await startApp({ walletWaitMs: 3_000 });
  t.teardown(() => h.close());
  const base = h.url.replace('/v1/transactions', '');
  const mapping = JSON.stringify({
    columns: { date: 'Date', description: 'Description', amount: 'Amount' },
    dateFormat: 'MM/dd/yyyy',
  });
  const upload = (walletId: string) =>
    fetch(
      `${base}/v1/wallets/${walletId}/imports?format=csv&userId=u_owner&mapping=${encodeURIComponent(mapping)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${h.token}` },
        body: 'Date,Description,Amount\n03/01/2026,Coffee,-3.50\n',
      },
    );
  const pending = upload('w_fresh');
  setTimeout(
    () => void publish(h.eventLog, h.walletsTopic, snapshot('u_owner', 1, [wallet('w_fresh')])),
    300,
  );
  const answer = await pending;
  t.is(answer.status, 202, await answer.clone().text());
  t.like(await answer.json(), { accepted: 1 });
  const t0 = Date.now();
  const refused = await upload('w_unknown');
  t.is(refused.status, 403);
  // The app's walletWaitMs (3 s here), not the default walletViewWaitMs (2 s).
  t.true(Date.now() - t0 >= 3_000, `refused after ${Date.now() - t0} ms`);
});

test('while the view has not replayed ref.wallets since start, a wallet it does not know gets 503 with Retry-After, not 403', async (t) => {
  const log = createEmbeddedEventLog({ path: ':memory:' });
  t.teardown(() => log.close());
  await log.createTopic('raw', { partitions: 1 });
  const wallets = createRefWalletDirectory();
  t.true(wallets.loading?.(), 'a view not started is loading');
  const service = createIngestService({
    log,
    dedupe: createMemoryDedupeStore(),
    wallets,
    topic: 'raw',
    walletWaitMs: 50,
  });
  const caller = {
    kind: 'client' as const,
    clientId: 'acme-bank',
    userIds: ['u_owner'],
    scopes: ['transactions:write'],
  };
  const [result] = await service.ingest(caller, [item('l1', 'w_new', 'u_owner')], {
    channel: 'api',
  });
  t.like(result, { status: 'rejected', error: { code: 'unavailable' } });

  // Through HTTP: 503 with Retry-After while loading. The view's clock is the test's: it stays
  // loading however slow the box is, until the test moves the clock past the quiet time.
  await log.createTopic('ref', { partitions: 1 });
  let clock = Date.now();
  const view = createRefWalletDirectory(() => clock);
  await view.start(log, 'ref');
  t.teardown(() => view.close());
  const sql = createSql({}, { sqliteFilename: ':memory:' });
  t.teardown(() => sql.destroy());
  await migrateIngest(sql);
  const issuer = await createTestIssuer();
  const app = createIngestApp({
    log: createMemoryLogger('ingest-api').log,
    sql,
    eventLog: log,
    verifier: issuer.verifier,
    wallets: view,
    topic: 'raw',
    walletWaitMs: 50,
  });
  await app.started;
  const server = createServiceServer(app);
  await server.listen(0, '127.0.0.1');
  t.teardown(async () => {
    await server.close();
    await app.close();
  });
  const token = await issuer.clientToken('acme-bank', ['u_owner'], ['transactions:write']);
  const answer = await postJson(
    `${server.url}/v1/transactions`,
    token,
    item('l2', 'w_x', 'u_owner'),
  );
  t.is(answer.status, 503);
  t.is(answer.headers.get('retry-after'), '1');
  t.like(answer.body, { code: 'unavailable', field: 'walletId' });
  // Once the (empty) topic has been replayed and delivery has paused, the same request is an
  // ordinary 403.
  clock += walletViewQuietMs;
  t.is(
    (await postJson(`${server.url}/v1/transactions`, token, item('l3', 'w_x', 'u_owner'))).status,
    403,
  );
});

test('close() waits for acknowledged work: a confirm still running after the 202 finishes before close resolves', async (t) => {
  const memory = createMemoryDedupeStore();
  let confirmsDone = 0;
  const slowConfirm: DedupeStore = {
    ...memory,
    async confirm(token) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await memory.confirm(token);
      confirmsDone++;
    },
  };
  const h = await startApp({ walletWaitMs: 0, dedupe: slowConfirm });
  let closed = false;
  t.teardown(() => (closed ? undefined : h.close()));
  await publish(h.eventLog, h.walletsTopic, snapshot('u_owner', 1, [wallet('w_own')]));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const answer = await postJson(h.url, h.token, item('c1', 'w_own', 'u_owner'));
  t.is(answer.status, 202);
  t.is(confirmsDone, 0, 'the 202 went out before the confirm finished');
  await h.close();
  closed = true;
  t.is(confirmsDone, 1, 'close waited for it');
});
