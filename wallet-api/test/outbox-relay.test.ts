/**
 * The outbox relay under a crash: the relay dies after the log accepted a batch but before the rows
 * were marked (the worst spot), and separately midway through a batch. After a restart every event
 * reaches the log, in commit order per user, and a consumer that dedupes on the event id sees each
 * exactly once.
 */
import test from 'ava';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import type { EventLog, IncomingMessage } from '@spendstream/core/event-log';
import { eventHeaders } from '@spendstream/core/events';
import { walletEventTopics } from '../src/app.js';
import { createSqlUnitOfWork } from '../src/stores.js';
import { recordMovement, recordTransfer } from '../src/features/ledger/service.js';
import { createOutboxRelay } from '../src/features/outbox/relay.js';
import { makeUser, makeWallet } from './factories.js';
import { openTestDb } from './test-db.js';
import type { TestDbKind } from './test-db.js';

class RelayKilled extends Error {}

/** An event log that lets `sendsBeforeKill` sends through, then dies: after or before the send. */
function dyingLog(
  log: EventLog,
  sendsBeforeKill: number,
  when: 'after-send' | 'before-send',
): Pick<EventLog, 'send'> {
  let sends = 0;
  return {
    async send(topic, messages) {
      sends += 1;
      if (sends > sendsBeforeKill) {
        if (when === 'after-send') await log.send(topic, messages);
        throw new RelayKilled(`relay killed at send ${sends}`);
      }
      await log.send(topic, messages);
    },
  };
}

async function readAll(log: EventLog, expected: number): Promise<IncomingMessage[]> {
  const received: IncomingMessage[] = [];
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (done = resolve));
  const consumer = await log.subscribe({
    groupId: `check-${Date.now()}`,
    topics: [...walletEventTopics],
    from: 'earliest',
    handler: async (batch) => {
      received.push(...batch.messages);
      if (received.length >= expected) done();
    },
  });
  await Promise.race([enough, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  // Give a straggling duplicate batch the chance to show up too.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await consumer.close();
  return received;
}

for (const kind of ['sqlite', 'mariadb'] as TestDbKind[]) {
  for (const when of ['after-send', 'before-send'] as const) {
    test.serial(
      `${kind}: relay killed ${when === 'after-send' ? 'between publish and mark' : 'before publishing'}: after restart every event is published, none twice to a deduping consumer`,
      async (t) => {
        const db = await openTestDb(kind);
        t.teardown(() => db.close());
        const eventLog = createEmbeddedEventLog({ path: ':memory:', pollIntervalMs: 10 });
        t.teardown(() => eventLog.close());
        for (const topic of walletEventTopics) await eventLog.createTopic(topic, { partitions: 3 });
        const uow = createSqlUnitOfWork(db.knex);
        const alice = await makeUser(uow);
        const bob = await makeUser(uow);
        const a = await makeWallet(uow, alice, { balance: 10_000n });
        const b = await makeWallet(uow, bob, { balance: 10_000n });
        for (let i = 0; i < 30; i += 1) {
          await uow.transaction((s) =>
            recordMovement(
              s,
              { userId: alice.id },
              { kind: 'expense', walletId: a.id, amount: 10n, tags: [] },
            ),
          );
          await uow.transaction((s) =>
            recordTransfer(
              s,
              { userId: bob.id },
              {
                fromWalletId: b.id,
                to: { walletId: a.id },
                amount: 5n,
                rounding: 'half-even',
                tags: [],
              },
            ),
          );
        }
        const outbox = (await db
          .knex('outbox')
          .select('event_id', 'msg_key')
          .orderBy('id')) as Array<{ event_id: string; msg_key: string }>;
        t.true(outbox.length > 100);

        // Small batches so the kill lands in the middle of the outbox, not after everything.
        const crashing = createOutboxRelay({
          uow,
          eventLog: dyingLog(eventLog, 3, when),
          batchSize: 20,
        });
        await t.throwsAsync(() => crashing.drain(), { instanceOf: RelayKilled });
        const unmarked = (await db
          .knex('outbox')
          .whereNull('published_at')
          .count({ n: '*' })
          .first()) as { n: unknown };
        t.true(Number(unmarked.n) > 0, 'the crash left events unpublished');

        const restarted = createOutboxRelay({ uow, eventLog, batchSize: 20 });
        await restarted.drain();
        const left = (await db
          .knex('outbox')
          .whereNull('published_at')
          .count({ n: '*' })
          .first()) as { n: unknown };
        t.is(Number(left.n), 0);

        const messages = await readAll(eventLog, outbox.length);
        const ids = messages.map((m) => m.headers[eventHeaders.id]?.toString('utf8') ?? '');
        if (when === 'after-send')
          t.true(
            messages.length > outbox.length,
            'the killed batch went out twice: dedupe is what saves the consumer',
          );
        // The deduping consumer: first sight of each id wins.
        const seen = new Set<string>();
        const deduped = messages.filter((_, i) =>
          seen.has(ids[i]!) ? false : (seen.add(ids[i]!), true),
        );
        t.deepEqual([...seen].sort(), outbox.map((o) => o.event_id).sort());
        t.is(deduped.length, outbox.length);
        // Per user (message key) and topic, the deduped events arrive in commit order.
        for (const topic of walletEventTopics) {
          for (const key of [alice.id, bob.id]) {
            const expectedOrder = (await db
              .knex('outbox')
              .select('event_id')
              .where({ msg_key: key, topic })
              .orderBy('id')) as Array<{ event_id: string }>;
            const got = deduped
              .filter((m) => m.topic === topic && m.key === key)
              .map((m) => m.headers[eventHeaders.id]?.toString('utf8'));
            t.deepEqual(
              got,
              expectedOrder.map((r) => r.event_id),
              `order of ${topic} for one user`,
            );
          }
        }
      },
    );
  }
}
