/**
 * One relay per database: several relays on one database (SQLite and the real MariaDB) publish
 * through a lease, so each event goes out once and in outbox order; when the holder stops the other
 * takes over at once, and when the holder's process is SIGKILLed the other takes over after the
 * lease expires, publishing everything (at most the killed holder's last unmarked batch again).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { EventLog } from '@spendstream/core/event-log';
import { eventHeaders } from '@spendstream/core/events';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { recordMovement, recordTransfer } from '../src/features/ledger/service.js';
import { createOutboxRelay, relayLeaseName } from '../src/features/outbox/relay.js';
import { createSqlUnitOfWork } from '../src/stores.js';
import type { UnitOfWork } from '../src/stores.js';
import { makeUser, makeWallet } from './factories.js';
import { openTestDb } from './test-db.js';
import type { TestDb } from './test-db.js';

const childPath = fileURLToPath(new URL('./relay-lease-child.ts', import.meta.url));
/** Long enough that a loaded CI machine does not stall a holder past it. */
const leaseTtlMs = 3_000;
const drainWaitMs = 30_000;

interface Sent {
  by: string;
  topic: string;
  id: string;
}

/** An event-log sink that records what a relay sent, and under which name. */
function recordingLog(by: string, sent: Sent[]): Pick<EventLog, 'send'> {
  return {
    async send(topic, messages) {
      for (const m of messages)
        sent.push({ by, topic, id: String(m.headers?.[eventHeaders.id] ?? '') });
    },
  };
}

/** Writes `count` movements and transfers between two users (several events each). */
async function writeMovements(uow: UnitOfWork, count: number) {
  const alice = await makeUser(uow);
  const bob = await makeUser(uow);
  const a = await makeWallet(uow, alice, { balance: 1_000_000n });
  const b = await makeWallet(uow, bob, { balance: 1_000_000n });
  return async () => {
    for (let i = 0; i < count; i += 1) {
      await uow.transaction((s) =>
        recordMovement(
          s,
          { userId: alice.id },
          { kind: 'expense', walletId: a.id, amount: 5n, tags: [] },
        ),
      );
      await uow.transaction((s) =>
        recordTransfer(
          s,
          { userId: bob.id },
          {
            fromWalletId: b.id,
            to: { walletId: a.id },
            amount: 2n,
            rounding: 'half-even',
            tags: [],
          },
        ),
      );
    }
  };
}

async function waitDrained(t: ExecutionContext, db: TestDb): Promise<void> {
  const deadline = Date.now() + drainWaitMs;
  for (;;) {
    const row = (await db.knex('outbox').whereNull('published_at').count({ n: '*' }).first()) as {
      n: unknown;
    };
    if (Number(row.n) === 0) return;
    if (Date.now() > deadline) t.fail(`${String(row.n)} outbox rows still unpublished`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The outbox's event ids per topic, in sequence order. */
async function outboxOrder(db: TestDb): Promise<Map<string, string[]>> {
  const rows = (await db.knex('outbox').select('topic', 'event_id').orderBy('id')) as Array<{
    topic: string;
    event_id: string;
  }>;
  const byTopic = new Map<string, string[]>();
  for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.event_id]);
  return byTopic;
}

for (const kind of ['sqlite', 'mariadb'] as const) {
  test(`${kind}: two relays on one database publish each event once, in order, and hand over on stop`, async (t) => {
    const db = await openTestDb(kind);
    t.teardown(() => db.close());
    const uow = createSqlUnitOfWork(db.knex);
    const sent: Sent[] = [];
    const relays = ['A', 'B'].map((name) => ({
      name,
      relay: createOutboxRelay({
        uow,
        eventLog: recordingLog(name, sent),
        lease: { owner: `relay-${name}`, ttlMs: leaseTtlMs },
      }),
    }));
    for (const r of relays) r.relay.start();
    t.teardown(async () => {
      for (const r of relays) await r.relay.stop();
    });
    const write = await writeMovements(uow, 30);
    await write();
    await waitDrained(t, db);

    const order = await outboxOrder(db);
    for (const [topic, ids] of order)
      t.deepEqual(
        sent.filter((s) => s.topic === topic).map((s) => s.id),
        ids,
        `${topic}: every event once, in outbox order`,
      );
    const senders = new Set(sent.map((s) => s.by));
    t.is(senders.size, 1, 'only the lease holder published');
    const holder = relays.find((r) => senders.has(r.name))!;
    const other = relays.find((r) => r !== holder)!;
    t.is((await uow.read.leases.get(relayLeaseName))?.owner, `relay-${holder.name}`);

    // The holder stops and releases the lease: the other publishes what comes next.
    await holder.relay.stop();
    const before = sent.length;
    await write();
    await waitDrained(t, db);
    const after = sent.slice(before);
    t.true(after.length > 0);
    t.true(
      after.every((s) => s.by === other.name),
      'the other relay took over',
    );
    t.is((await uow.read.leases.get(relayLeaseName))?.owner, `relay-${other.name}`);
    t.is(new Set(sent.map((s) => s.id)).size, sent.length, 'still no event twice');
  });
}

test('mariadb: the lease holder SIGKILLed, the other relay takes over once the lease expired and publishes everything', async (t) => {
  const db = await openTestDb('mariadb');
  t.teardown(() => db.close());
  const uow = createSqlUnitOfWork(db.knex);
  const write = await writeMovements(uow, 20);
  await write();

  const child = spawnTsx(childPath, {
    DATABASE_URL: db.config.DATABASE_URL ?? '',
    OWNER: 'relay-child',
    TTL_MS: String(leaseTtlMs),
  });
  t.teardown(() => child.stop('SIGKILL').then(() => undefined));
  await child.waitForRecord((r) => r.msg === 'sent', 60_000);
  // A second relay in this process: on standby while the child holds the lease.
  const sent: Sent[] = [];
  const standby = createOutboxRelay({
    uow,
    eventLog: recordingLog('standby', sent),
    lease: { owner: 'relay-standby', ttlMs: leaseTtlMs },
  });
  standby.start();
  t.teardown(() => standby.stop());
  await write();
  await waitDrained(t, db);
  t.is(sent.length, 0, 'the standby published nothing while the child held the lease');
  t.is((await uow.read.leases.get(relayLeaseName))?.owner, 'relay-child');

  await child.stop('SIGKILL');
  const killedAt = Date.now();
  await write();
  await waitDrained(t, db);
  t.true(sent.length > 0, 'the standby took over');
  t.true(Date.now() - killedAt >= leaseTtlMs / 2, 'not before the dead holder’s lease ran out');
  t.is((await uow.read.leases.get(relayLeaseName))?.owner, 'relay-standby');

  const childSent: Sent[] = child.records
    .filter((r) => r.msg === 'sent')
    .flatMap((r) => (r.ids as string[]).map((id) => ({ by: 'child', topic: String(r.topic), id })));
  const all = [...childSent, ...sent];
  const order = await outboxOrder(db);
  for (const [topic, ids] of order) {
    const seen = new Set<string>();
    const deduped = all
      .filter((s) => s.topic === topic)
      .filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)))
      .map((s) => s.id);
    t.deepEqual(deduped, ids, `${topic}: everything published, in order once deduplicated`);
  }
  // Only the child's last batch (sent, not yet marked when it died) may go out twice.
  t.true(all.length - new Set(all.map((s) => s.id)).size <= 10);
});
