/**
 * The outbox relay killed for real: a relay process is SIGKILLed in the middle of relaying (most
 * likely after the log accepted a batch and before the rows were marked). A new relay then
 * finishes the job; a consumer that dedupes on the event id sees every event exactly once and in
 * commit order per user.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import type { IncomingMessage } from '@spendstream/core/event-log';
import { eventHeaders } from '@spendstream/core/events';
import { spawnTsx } from '@spendstream/core/http/test-process';
import { createSql } from '@spendstream/core/sql';
import { recordMovement, recordTransfer } from '../src/features/ledger/service.js';
import { createOutboxRelay } from '../src/features/outbox/relay.js';
import { migrateWalletDb } from '../src/migrations/index.js';
import { walletEventTopics } from '../src/app.js';
import { createSqlUnitOfWork } from '../src/stores.js';
import { makeUser, makeWallet } from './factories.js';

const childPath = fileURLToPath(new URL('./relay-child.ts', import.meta.url));

test('a relay SIGKILLed mid-stream loses nothing and, deduplicated by id, publishes nothing twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wallet-relay-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sql = createSql({ DATA_DIR: dir });
  t.teardown(() => sql.destroy());
  await migrateWalletDb(sql);
  const uow = createSqlUnitOfWork(sql);
  const logPath = join(dir, 'event-log.sqlite');
  const eventLog = createEmbeddedEventLog({ path: logPath, pollIntervalMs: 10 });
  t.teardown(() => eventLog.close());
  for (const topic of walletEventTopics) await eventLog.createTopic(topic, { partitions: 3 });

  const alice = await makeUser(uow);
  const bob = await makeUser(uow);
  const a = await makeWallet(uow, alice, { balance: 100_000n });
  const b = await makeWallet(uow, bob, { balance: 100_000n });
  for (let i = 0; i < 40; i += 1) {
    await uow.transaction((s) =>
      recordMovement(
        s,
        { userId: alice.id },
        { kind: 'expense', walletId: a.id, amount: 7n, tags: [] },
      ),
    );
    await uow.transaction((s) =>
      recordTransfer(
        s,
        { userId: bob.id },
        { fromWalletId: b.id, to: { walletId: a.id }, amount: 3n, rounding: 'half-even', tags: [] },
      ),
    );
  }
  const outbox = (await sql('outbox').select('event_id').orderBy('id')) as Array<{
    event_id: string;
  }>;

  const child = spawnTsx(childPath, { DATA_DIR: dir, EVENT_LOG_PATH: logPath });
  await child.waitForRecord((r) => r.msg === 'sent' && Number(r.sends) >= 6, 60_000);
  await child.stop('SIGKILL');
  t.falsy(
    child.records.find((r) => r.msg === 'drained'),
    'killed before it finished',
  );
  const unmarked = (await sql('outbox').whereNull('published_at').count({ n: '*' }).first()) as {
    n: unknown;
  };
  t.true(Number(unmarked.n) > 0);

  await createOutboxRelay({ uow, eventLog }).drain();
  const left = (await sql('outbox').whereNull('published_at').count({ n: '*' }).first()) as {
    n: unknown;
  };
  t.is(Number(left.n), 0);

  const received: IncomingMessage[] = [];
  const consumer = await eventLog.subscribe({
    groupId: 'kill-check',
    topics: [...walletEventTopics],
    from: 'earliest',
    handler: async (batch) => {
      received.push(...batch.messages);
    },
  });
  const deadline = Date.now() + 20_000;
  while (
    Date.now() < deadline &&
    new Set(received.map((m) => m.headers[eventHeaders.id]?.toString())).size < outbox.length
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await consumer.close();
  const seen = new Set<string>();
  const deduped = received.filter((m) => {
    const id = m.headers[eventHeaders.id]?.toString() ?? '';
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  t.deepEqual([...seen].sort(), outbox.map((o) => o.event_id).sort());
  for (const key of [alice.id, bob.id]) {
    for (const topic of walletEventTopics) {
      const expected = (await sql('outbox')
        .select('event_id')
        .where({ msg_key: key, topic })
        .orderBy('id')) as Array<{ event_id: string }>;
      t.deepEqual(
        deduped
          .filter((m) => m.key === key && m.topic === topic)
          .map((m) => m.headers[eventHeaders.id]?.toString()),
        expected.map((e) => e.event_id),
      );
    }
  }
  t.log(
    `${received.length} messages received for ${outbox.length} events (${received.length - outbox.length} redelivered after the kill)`,
  );
});
