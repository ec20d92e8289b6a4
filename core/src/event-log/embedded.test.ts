import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import Database from 'better-sqlite3';
import { eventLogContract } from '../testing/event-log-contract.js';
import { createEmbeddedEventLog, embeddedPageSizeBytes } from './embedded.js';

const dir = mkdtempSync(join(tmpdir(), 'event-log-'));
const path = join(dir, 'log.sqlite');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// Every call opens the same file again, which is how the contract proves a restart loses nothing.
eventLogContract(test, {
  open: async () => createEmbeddedEventLog({ path }),
  sessionTimeoutMs: 500,
  rebalanceSettleMs: 50,
});

test('partitions of a member that died without leaving go to a live member after the session timeout', async (t) => {
  const log = createEmbeddedEventLog({ path });
  t.teardown(() => log.close());
  const topic = 'embedded.session';
  const groupId = 'embedded.session.g';
  await log.createTopic(topic, { partitions: 2 });
  // A process that died mid-run leaves its member row and partition ownership behind.
  const raw = new Database(path);
  raw
    .prepare(
      `INSERT INTO event_log_group_members (group_id, member_id, topics, session_timeout_ms, heartbeat_at)
       VALUES (?, 'dead-member', ?, 300, ?)`,
    )
    .run(groupId, JSON.stringify([topic]), Date.now());
  const own = raw.prepare(
    `INSERT INTO event_log_partition_owners (group_id, topic, partition, member_id) VALUES (?, ?, ?, 'dead-member')`,
  );
  own.run(groupId, topic, 0);
  own.run(groupId, topic, 1);
  raw.close();
  const seen: string[] = [];
  const live = await log.subscribe({
    groupId,
    topics: [topic],
    sessionTimeoutMs: 300,
    handler: async (batch) => {
      seen.push(...batch.messages.map((m) => m.value.toString()));
    },
  });
  t.is(live.assignment().length, 0, 'the dead member still holds both partitions at first');
  await log.send(topic, [
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
    { key: 'c', value: '3' },
  ]);
  const deadline = Date.now() + 5_000;
  while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(seen.sort(), ['1', '2', '3'], 'the live member took over every partition');
  t.is(live.assignment().length, 2);
});

test('a new group reading from latest skips what was sent before it joined', async (t) => {
  const log = createEmbeddedEventLog({ path });
  t.teardown(() => log.close());
  const topic = 'embedded.latest';
  await log.createTopic(topic, { partitions: 2 });
  await log.send(topic, [{ key: 'a', value: 'old' }]);
  const seen: string[] = [];
  await log.subscribe({
    groupId: 'embedded.latest.g',
    topics: [topic],
    from: 'latest',
    handler: async (batch) => {
      seen.push(...batch.messages.map((m) => m.value.toString()));
    },
  });
  await log.send(topic, [
    { key: 'a', value: 'new-a' },
    { key: 'b', value: 'new-b' },
  ]);
  const deadline = Date.now() + 5_000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(seen.sort(), ['new-a', 'new-b']);
});

/** Bytes of an event like the stream jobs' enriched ones (1-2 KB). */
const eventLikeValueBytes = 1_500;

/** The overflow pages of the messages table: a row too large for its B-tree leaf spills into them. */
function messageOverflowPages(file: string): number {
  const raw = new Database(file, { readonly: true });
  try {
    return raw
      .prepare<[], { pages: number }>(
        `SELECT count(*) AS pages FROM dbstat WHERE name = 'event_log_messages' AND pagetype = 'overflow'`,
      )
      .get()!.pages;
  } finally {
    raw.close();
  }
}

test('a new file has pages large enough that a 1.5 KB message sits in its leaf, with no overflow page', async (t) => {
  const file = join(dir, 'pages-new.sqlite');
  const log = createEmbeddedEventLog({ path: file });
  const topic = 'embedded.pages';
  await log.createTopic(topic, { partitions: 1 });
  const value = 'v'.repeat(eventLikeValueBytes);
  await log.send(
    topic,
    Array.from({ length: 50 }, (_, i) => ({ key: `user-${i}`, value })),
  );
  await log.close();
  const raw = new Database(file, { readonly: true });
  t.is(raw.pragma('page_size', { simple: true }), embeddedPageSizeBytes);
  raw.close();
  t.is(messageOverflowPages(file), 0);
});

test('a file created with 4 KiB pages keeps them, and its messages are read and appended to as before', async (t) => {
  const file = join(dir, 'pages-old.sqlite');
  const old = new Database(file);
  old.pragma('page_size = 4096');
  old.pragma('journal_mode = WAL');
  old.exec('CREATE TABLE placeholder (x INTEGER)');
  old.close();
  const topic = 'embedded.pages-old';
  const value = 'o'.repeat(eventLikeValueBytes);
  const first = createEmbeddedEventLog({ path: file });
  await first.createTopic(topic, { partitions: 1 });
  await first.send(topic, [{ key: 'a', value: `${value}1` }]);
  await first.close();
  const log = createEmbeddedEventLog({ path: file });
  t.teardown(() => log.close());
  await log.send(topic, [{ key: 'a', value: `${value}2` }]);
  const seen: string[] = [];
  await log.subscribe({
    groupId: 'embedded.pages-old.g',
    topics: [topic],
    handler: async (batch) => {
      seen.push(...batch.messages.map((m) => m.value.toString()));
    },
  });
  const deadline = Date.now() + 5_000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(seen, [`${value}1`, `${value}2`]);
  const raw = new Database(file, { readonly: true });
  t.is(raw.pragma('page_size', { simple: true }), 4096, 'an existing file keeps its page size');
  raw.close();
  t.true(messageOverflowPages(file) > 0, 'with 4 KiB pages such a message spills');
});

test('sending to a topic that was never created is a not-found error', async (t) => {
  const log = createEmbeddedEventLog({ path });
  t.teardown(() => log.close());
  await t.throwsAsync(log.send('embedded.missing', [{ key: 'k', value: 'v' }]), {
    message: /does not exist/,
  });
});

test('members in two processes share one group on the same file and handle each message once', async (t) => {
  const topic = 'embedded.processes';
  const groupId = 'embedded.processes.g';
  const log = createEmbeddedEventLog({ path, pollIntervalMs: 20 });
  t.teardown(() => log.close());
  await log.createTopic(topic, { partitions: 4 });
  const child = fork(
    fileURLToPath(new URL('./embedded-child-member.ts', import.meta.url)),
    [path, topic, groupId],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  const childHandled: string[] = [];
  let childOwns: number[] = [];
  child.on('message', (message: { handled?: string[]; owns?: number[] }) => {
    if (message.handled) childHandled.push(...message.handled);
    if (message.owns) childOwns = message.owns;
  });
  const parentHandled: string[] = [];
  const parent = await log.subscribe({
    groupId,
    topics: [topic],
    sessionTimeoutMs: 1_000,
    handler: async (batch) => {
      parentHandled.push(...batch.messages.map((m) => `${m.partition}:${m.offset}`));
    },
  });
  const until = async (condition: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until(() => childOwns.length === 2 && parent.assignment().length === 2, 'a 2 + 2 split');
  t.deepEqual([...childOwns, ...parent.assignment().map((p) => p.partition)].sort(), [0, 1, 2, 3]);
  await log.send(
    topic,
    Array.from({ length: 400 }, (_, i) => ({ key: `user-${i % 40}`, value: String(i) })),
  );
  await until(() => childHandled.length + parentHandled.length >= 400, '400 messages');
  await new Promise((r) => setTimeout(r, 100));
  t.true(childHandled.length > 0 && parentHandled.length > 0, 'both processes handled messages');
  const all = [...childHandled, ...parentHandled];
  t.is(all.length, 400, 'no message handled twice');
  t.is(new Set(all).size, 400);
  child.send('close');
  await new Promise((r) => child.once('exit', r));
  await until(
    () => parent.assignment().length === 4,
    'the parent to take over after the child left',
  );
  t.is(parent.assignment().length, 4);
});

test('an append wakes only the groups that read its topic; its own topic still wakes a member at once', async (t) => {
  // A poll interval far longer than the test: only in-process wake-ups can move the consumer.
  const log = createEmbeddedEventLog({ path, pollIntervalMs: 60_000 });
  t.teardown(() => log.close());
  const [mine, other] = ['embedded.wake.mine', 'embedded.wake.other'];
  await log.createTopic(mine, { partitions: 2 });
  await log.createTopic(other, { partitions: 2 });
  // Count the member's fetches of its own topic: each wake-up fetches every partition it owns.
  const fetch = (
    log as unknown as { statements: { fetch: { all(...args: unknown[]): unknown[] } } }
  ).statements.fetch;
  const fetchAll = fetch.all.bind(fetch);
  let fetchesOfMine = 0;
  fetch.all = (...args: unknown[]) => {
    if (args[0] === mine) fetchesOfMine += 1;
    return fetchAll(...args);
  };
  const seen: string[] = [];
  await log.subscribe({
    groupId: 'embedded.wake.g',
    topics: [mine],
    handler: async (batch) => {
      seen.push(...batch.messages.map((m) => m.value.toString()));
    },
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  await settle();
  const before = fetchesOfMine;
  for (let i = 0; i < 20; i++) await log.send(other, [{ key: `k${i}`, value: `o${i}` }]);
  await settle();
  t.is(fetchesOfMine, before, 'appends to another topic did not make the member fetch');
  const sentAt = Date.now();
  await log.send(mine, [{ key: 'a', value: 'm1' }]);
  while (seen.length < 1 && Date.now() - sentAt < 5_000) await settle();
  t.deepEqual(seen, ['m1']);
  t.true(Date.now() - sentAt < 5_000, 'woken by the append, not by its poll interval');
});

test('a member in another process joining and leaving takes partitions over at once, reading what the other committed', async (t) => {
  const topic = 'embedded.handover';
  const groupId = 'embedded.handover.g';
  // Heartbeats every 20 s: within this test only the group generation can tell the members of a
  // join or a leave in the other process.
  const sessionTimeoutMs = 60_000;
  const log = createEmbeddedEventLog({ path, pollIntervalMs: 20 });
  t.teardown(() => log.close());
  await log.createTopic(topic, { partitions: 4 });
  const handled: string[] = [];
  const parent = await log.subscribe({
    groupId,
    topics: [topic],
    sessionTimeoutMs,
    handler: async (batch) => {
      handled.push(...batch.messages.map((m) => `${m.partition}:${m.offset}`));
    },
  });
  const until = async (condition: () => boolean, what: string, ms = 5_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  let sent = 0;
  const sendMore = async (): Promise<void> => {
    await log.send(
      topic,
      Array.from({ length: 200 }, (_, i) => ({ key: `user-${i % 40}`, value: String(sent + i) })),
    );
    sent += 200;
  };
  await sendMore();
  // The parent has read (and keeps in memory) an offset on every partition before the child joins.
  await until(() => handled.length >= 200, 'the parent alone to handle the first 200');
  const child = fork(
    fileURLToPath(new URL('./embedded-child-member.ts', import.meta.url)),
    [path, topic, groupId, String(sessionTimeoutMs)],
    { execArgv: ['--import', 'tsx'] },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  let childOwns: number[] = [];
  child.on('message', (message: { handled?: string[]; owns?: number[] }) => {
    if (message.handled) handled.push(...message.handled);
    if (message.owns) childOwns = message.owns;
  });
  await until(
    () => childOwns.length === 2 && parent.assignment().length === 2,
    'a 2 + 2 split after the child joined',
    15_000,
  );
  await sendMore();
  await until(() => handled.length >= 400, 'the second 200, split over both');
  child.send('close');
  await new Promise((r) => child.once('exit', r));
  await until(() => parent.assignment().length === 4, 'the parent to take back every partition');
  // The parent reads the partitions it took back from where the child committed, not from where
  // it had been itself.
  await sendMore();
  await until(() => handled.length >= 600, 'the last 200, by the parent alone');
  await new Promise((r) => setTimeout(r, 200));
  t.is(handled.length, 600, 'no message handled twice');
  t.is(new Set(handled).size, 600, 'every message handled');
});

test('a consumer with messages always waiting lets timers run between its batches', async (t) => {
  const log = createEmbeddedEventLog({ path });
  t.teardown(() => log.close());
  const topic = 'embedded.fair';
  await log.createTopic(topic, { partitions: 1 });
  await log.send(
    topic,
    Array.from({ length: 400 }, (_, i) => ({ key: 'one-key', value: String(i) })),
  );
  let handled = 0;
  let handledWhenTimerFired: number | undefined;
  // A handler that never waits on I/O or a timer: the loop must still hand the event loop over.
  await log.subscribe({
    groupId: 'embedded.fair.g',
    topics: [topic],
    batchSizeMax: 10,
    handler: async (batch) => {
      handled += batch.messages.length;
    },
  });
  await new Promise<void>((resolve) =>
    setTimeout(() => {
      handledWhenTimerFired = handled;
      resolve();
    }, 0),
  );
  const deadline = Date.now() + 5_000;
  while (handled < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(handled, 400);
  t.true(
    handledWhenTimerFired !== undefined && handledWhenTimerFired < 400,
    `a timer due at once fired only after ${handledWhenTimerFired} of 400 messages`,
  );
});

/** The committed next offset of each partition of `topic` for `groupId`, read from the file. */
