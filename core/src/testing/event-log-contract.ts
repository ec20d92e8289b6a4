/**
 * The event-log contract: one suite every adapter must pass (embedded SQLite and Kafka). Call it
 * from an adapter's test file with a factory that opens the log; calling the factory again must
 * reopen the same storage (the same SQLite file, the same brokers), which is how "restart" is
 * proven. Every test uses its own topic and group names so tests run concurrently.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionContext, TestFn } from 'ava';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import {
  messageBytesMax,
  sendBatchSizeMax,
  type BatchHandler,
  type Consumer,
  type EventLog,
  type IncomingMessage,
  type MessageBatch,
  type OutgoingMessage,
} from '../event-log/port.js';

export interface EventLogContractOptions {
  /** Opens the log; each call opens the same underlying storage again. */
  open: () => Promise<EventLog>;
  /** Session timeout given to consumers, short so a crashed member's partitions move quickly. */
  sessionTimeoutMs: number;
  /** How long a group takes to settle after a member joins (a heartbeat interval or so). */
  rebalanceSettleMs: number;
  /** How long a test waits for messages to arrive before failing. */
  waitMs?: number;
}

/** Names unique to one test run: the adapter name keeps parallel test files apart. */
function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 12)}`;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function seqOf(message: IncomingMessage): number {
  return Number(message.value.toString('utf8').split(':')[1]);
}

/** Messages `key:seq`, round-robin over `keys` keys, seq increasing per key. */
function numbered(count: number, keys: number, start = 0): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    const key = `user-${n % keys}`;
    return { key, value: `${key}:${Math.floor(n / keys)}` };
  });
}

/** Records everything a consumer is handed. */
function recorder(): {
  messages: IncomingMessage[];
  batches: MessageBatch[];
  handler: BatchHandler;
} {
  const messages: IncomingMessage[] = [];
  const batches: MessageBatch[] = [];
  return {
    messages,
    batches,
    handler: async (batch) => {
      batches.push(batch);
      messages.push(...batch.messages);
    },
  };
}

/** Every key's sequence numbers arrive complete and increasing, and each key stays on one
 * partition. */
function assertOrderedPerKey(
  t: ExecutionContext,
  messages: IncomingMessage[],
  keys: number,
  perKey: number,
): void {
  const seen = new Map<string, { partition: number; seqs: number[] }>();
  for (const m of messages) {
    const entry = seen.get(m.key) ?? { partition: m.partition, seqs: [] };
    if (entry.partition !== m.partition)
      t.fail(`key ${m.key} is on partitions ${entry.partition} and ${m.partition}`);
    entry.seqs.push(seqOf(m));
    seen.set(m.key, entry);
  }
  t.is(seen.size, keys, 'every key arrived');
  const expected = Array.from({ length: perKey }, (_, i) => i);
  for (const [key, entry] of seen)
    t.deepEqual(entry.seqs, expected, `key ${key} complete and in order`);
}

export function eventLogContract(test: TestFn, options: EventLogContractOptions): void {
  const waitMs = options.waitMs ?? 30_000;
  const { sessionTimeoutMs, rebalanceSettleMs } = options;

  /** Opens a log for one test and closes it (and its consumers) when the test ends. */
  async function openForTest(t: ExecutionContext): Promise<EventLog> {
    const log = await options.open();
    t.teardown(() => log.close());
    return log;
  }

  /** Joins `groupId` (a new group by default) with a recorder and waits until it holds at least
   * `count` messages; returns the recorder's messages, which keep growing if more arrive. */
  async function readInGroup(
    log: EventLog,
    topics: string[],
    count: number,
    what: string,
    groupId = uniqueName('g'),
  ): Promise<IncomingMessage[]> {
    const r = recorder();
    await log.subscribe({ groupId, topics, handler: r.handler, sessionTimeoutMs });
    await waitFor(() => r.messages.length >= count, waitMs, what);
    return r.messages;
  }

  /** Reads `topic` from its start in a new group and checks it holds exactly `values` (in the
   * order read, so one partition's or one key's). */
  async function assertTopicHolds(
    t: ExecutionContext,
    log: EventLog,
    topic: string,
    values: string[],
    why: string,
  ): Promise<void> {
    const messages = await readInGroup(log, [topic], values.length, `${values.length} messages`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    t.deepEqual(
      messages.map((m) => m.value.toString()),
      values,
      why,
    );
  }

  test('messages with one key arrive in the order they were sent, on one partition', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('order');
    await log.createTopic(topic, { partitions: 4 });
    for (let i = 0; i < 5; i++) await log.send(topic, numbered(40, 8, i * 40));
    const r = recorder();
    await log.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: r.handler,
      sessionTimeoutMs,
      batchSizeMax: 7,
    });
    await waitFor(() => r.messages.length >= 200, waitMs, '200 messages');
    t.is(r.messages.length, 200, 'each message once');
    assertOrderedPerKey(t, r.messages, 8, 25);
    for (const batch of r.batches) {
      t.true(batch.messages.length <= 7, 'batchSizeMax is respected');
      const offsets = batch.messages.map((m) => m.offset);
      t.deepEqual(
        offsets,
        [...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        'a batch is in offset order',
      );
      t.true(batch.messages.every((m) => m.topic === topic && m.partition === batch.partition));
      t.is(typeof batch.messages[0]!.offset, 'bigint');
    }
  });

  test('a consumer that crashes mid-batch gets nothing committed and the group redelivers that batch', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('crash');
    const groupId = uniqueName('g');
    await log.createTopic(topic, { partitions: 1 });
    await log.send(topic, numbered(20, 1));
    const firstSeen: IncomingMessage[] = [];
    let batches = 0;
    const crashing = await log.subscribe({
      groupId,
      topics: [topic],
      sessionTimeoutMs,
      batchSizeMax: 5,
      handler: async (batch) => {
        batches += 1;
        firstSeen.push(...batch.messages);
        // The first batch succeeds and commits; the second dies half-way through its messages.
        if (batches === 2) throw new Error('crash in the middle of a batch');
      },
    });
    const reason = await crashing.stopped;
    t.is(
      (reason as Error).message,
      'crash in the middle of a batch',
      'stopped reports the handler error',
    );
    t.true(firstSeen.length >= 10, 'the crashing consumer saw two batches');
    const r = await readInGroup(log, [topic], 15, 'the 15 uncommitted messages', groupId);
    t.deepEqual(
      r.map(seqOf),
      Array.from({ length: 15 }, (_, i) => i + 5),
      'the committed first batch is not redelivered; the crashed batch and the rest are',
    );
  });

  test('a consumer closed while its handler is stuck does not commit, and the batch comes back', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('abort');
    const groupId = uniqueName('g');
    await log.createTopic(topic, { partitions: 1 });
    await log.send(topic, numbered(6, 2));
    let release: (() => void) | undefined;
    let started = false;
    const stuck = await log.subscribe({
      groupId,
      topics: [topic],
      sessionTimeoutMs,
      handler: async () => {
        started = true;
        await new Promise<void>((r) => (release = r));
        throw new Error('aborted before finishing');
      },
    });
    await waitFor(() => started, waitMs, 'the stuck handler to start');
    const closing = stuck.close();
    release?.();
    await closing;
    const r = await readInGroup(log, [topic], 6, 'all 6 messages again', groupId);
    t.deepEqual(
      r.map((m) => m.value.toString()).sort(),
      numbered(6, 2)
        .map((m) => String(m.value))
        .sort(),
    );
  });

  test('two consumers in one group split the partitions and the group handles each message once', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('share');
    const groupId = uniqueName('g');
    await log.createTopic(topic, { partitions: 4 });
    const a = recorder();
    const b = recorder();
    const ca: Consumer = await log.subscribe({
      groupId,
      topics: [topic],
      handler: a.handler,
      sessionTimeoutMs,
    });
    const cb: Consumer = await log.subscribe({
      groupId,
      topics: [topic],
      handler: b.handler,
      sessionTimeoutMs,
    });
    await waitFor(
      () =>
        ca.assignment().length > 0 &&
        cb.assignment().length > 0 &&
        ca.assignment().length + cb.assignment().length === 4,
      waitMs,
      'both members to own partitions',
    );
    // A member learns of a rebalance at its next heartbeat; until then (eager protocol) two members
    // may both read a partition, which at-least-once allows. The claim here is for a settled group.
    await new Promise((r) => setTimeout(r, rebalanceSettleMs));
    const owned = [...ca.assignment(), ...cb.assignment()].map((p) => p.partition).sort();
    t.deepEqual(owned, [0, 1, 2, 3], 'the partitions are split with no overlap');
    await log.send(topic, numbered(400, 40));
    await waitFor(
      () => a.messages.length + b.messages.length >= 400,
      waitMs,
      '400 messages across the group',
    );
    await new Promise((r) => setTimeout(r, 200));
    t.true(a.messages.length > 0 && b.messages.length > 0, 'both members handled messages');
    const ids = [...a.messages, ...b.messages].map((m) => `${m.partition}:${m.offset}`);
    t.is(new Set(ids).size, 400, 'no message handled twice');
    t.is(ids.length, 400);
    const partitionsOfA = new Set(a.messages.map((m) => m.partition));
    t.true(
      b.messages.every((m) => !partitionsOfA.has(m.partition)),
      'each partition went to one member',
    );
  });

  test('a second group sees every message the first group sees', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('groups');
    await log.createTopic(topic, { partitions: 3 });
    await log.send(topic, numbered(60, 6));
    const one = recorder();
    const two = recorder();
    await log.subscribe({
      groupId: uniqueName('g1'),
      topics: [topic],
      handler: one.handler,
      sessionTimeoutMs,
    });
    await log.subscribe({
      groupId: uniqueName('g2'),
      topics: [topic],
      handler: two.handler,
      sessionTimeoutMs,
    });
    await waitFor(
      () => one.messages.length >= 60 && two.messages.length >= 60,
      waitMs,
      '60 messages in both groups',
    );
    assertOrderedPerKey(t, one.messages, 6, 10);
    assertOrderedPerKey(t, two.messages, 6, 10);
  });

  test('nothing sent or committed is lost when the log is closed and opened again', async (t) => {
    const topic = uniqueName('restart');
    const groupId = uniqueName('g');
    const first = await options.open();
    await first.createTopic(topic, { partitions: 2 });
    await first.send(topic, numbered(30, 3));
    const before = await readInGroup(first, [topic], 30, '30 messages before the restart', groupId);
    await first.close();

    const second = await openForTest(t);
    await second.send(topic, numbered(12, 3, 30));
    const after = await readInGroup(
      second,
      [topic],
      12,
      '12 new messages after the restart',
      groupId,
    );
    await new Promise((r) => setTimeout(r, 200));
    t.is(after.length, 12, 'committed offsets survived: only the new messages come');
    assertOrderedPerKey(t, [...before, ...after], 3, 14);
    const everything = recorder();
    await second.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: everything.handler,
      sessionTimeoutMs,
    });
    await waitFor(
      () => everything.messages.length >= 42,
      waitMs,
      'all 42 messages for a new group',
    );
    assertOrderedPerKey(t, everything.messages, 3, 14);
  });

  test('headers and binary values round-trip', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('headers');
    await log.createTopic(topic, { partitions: 1 });
    const binary = Buffer.from([0, 255, 1, 254, 10, 13]);
    await log.send(topic, [
      {
        key: 'k1',
        value: binary,
        headers: { 'event-type': 'transaction.raw', version: '2', raw: Buffer.from([0, 1, 2]) },
      },
      { key: 'k1', value: 'plain text é', headers: {} },
    ]);
    const r = recorder();
    await log.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: r.handler,
      sessionTimeoutMs,
    });
    await waitFor(() => r.messages.length >= 2, waitMs, 'two messages');
    const [first, second] = r.messages;
    t.true(first!.value.equals(binary));
    t.is(first!.key, 'k1');
    t.is(first!.headers['event-type']!.toString(), 'transaction.raw');
    t.is(first!.headers.version!.toString(), '2');
    t.true(first!.headers.raw!.equals(Buffer.from([0, 1, 2])));
    t.is(second!.value.toString('utf8'), 'plain text é');
    t.deepEqual(Object.keys(second!.headers), []);
  });

  test('a batch of 10,000 messages arrives complete and in order per key', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('large');
    await log.createTopic(topic, { partitions: 4 });
    const padding = 'x'.repeat(200);
    const messages = numbered(10_000, 100).map((m) => ({ ...m, value: `${m.value}:${padding}` }));
    await log.send(topic, messages);
    const r = recorder();
    await log.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: r.handler,
      sessionTimeoutMs,
      batchSizeMax: 1_000,
    });
    await waitFor(() => r.messages.length >= 10_000, waitMs * 2, '10,000 messages');
    t.is(r.messages.length, 10_000);
    assertOrderedPerKey(t, r.messages, 100, 100);
  });

  test('many sends at once on one log all succeed, each message once and in order per key', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('concurrent');
    await log.createTopic(topic, { partitions: 4 });
    // 40 callers at once, each with its own key, so per-key order is each caller's own order.
    const callers = 40;
    const perCaller = 25;
    await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        for (let i = 0; i < perCaller; i += 5) {
          await log.send(
            topic,
            Array.from({ length: 5 }, (_, j) => ({
              key: `user-${c}`,
              value: `user-${c}:${i + j}`,
            })),
          );
        }
      }),
    );
    const r = recorder();
    await log.subscribe({
      groupId: uniqueName('g'),
      topics: [topic],
      handler: r.handler,
      sessionTimeoutMs,
    });
    await waitFor(() => r.messages.length >= callers * perCaller, waitMs, 'every message');
    t.is(r.messages.length, callers * perCaller, 'each message once');
    assertOrderedPerKey(t, r.messages, callers, perCaller);
  });

  test('a bad topic name is refused with a validation error', async (t) => {
    const log = await openForTest(t);
    for (const name of ['', 'has space', 'slash/name', 'é', 'x'.repeat(250), '..']) {
      const error = await t.throwsAsync(log.createTopic(name, { partitions: 1 }), {
        instanceOf: ValidationError,
      });
      t.is(error?.code, 'validation_failed');
      t.is(error?.field, 'topic');
      await t.throwsAsync(log.send(name, [{ key: 'k', value: 'v' }]), {
        instanceOf: ValidationError,
      });
    }
    await t.notThrowsAsync(log.createTopic(uniqueName('Ok_name-1'), { partitions: 1 }));
  });

  test('an oversized message or batch is refused and nothing of that send is written', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('large-message');
    await log.createTopic(topic, { partitions: 1 });
    const tooBig = Buffer.alloc(messageBytesMax + 1, 1);
    const error = await t.throwsAsync(
      log.send(topic, [
        { key: 'k', value: 'fine' },
        { key: 'k', value: tooBig },
      ]),
      { instanceOf: PayloadTooLargeError, message: /messageBytesMax/ },
    );
    t.is(error?.code, 'payload_too_large');
    t.is(error?.field, 'messages.1');
    await t.throwsAsync(log.send(topic, numbered(sendBatchSizeMax + 1, 1)), {
      instanceOf: ValidationError,
      message: /sendBatchSizeMax/,
    });
    await log.send(topic, [{ key: 'k', value: 'after' }]);
    await assertTopicHolds(t, log, topic, ['after'], 'the refused sends wrote nothing');
  });

  test("a handler of partition batches gets a topic's partitions together, each in order, and resolving commits all of them", async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('merge');
    const other = uniqueName('merge-other');
    const groupId = uniqueName('g');
    await log.createTopic(topic, { partitions: 4 });
    await log.createTopic(other, { partitions: 1 });
    await log.send(topic, numbered(40, 8));
    await log.send(other, [{ key: 'k', value: 'other:0' }]);
    const calls: MessageBatch[][] = [];
    const seen = (): number => calls.flat().reduce((n, b) => n + b.messages.length, 0);
    const merging = await log.subscribe({
      groupId,
      topics: [topic, other],
      sessionTimeoutMs,
      batchSizeMax: 30,
      partitionBatchesHandler: async (batches) => {
        calls.push(batches);
      },
    });
    await waitFor(() => seen() >= 41, waitMs, '41 messages');
    await merging.close();
    t.is(seen(), 41, 'each message once');
    for (const call of calls) {
      t.is(new Set(call.map((b) => b.topic)).size, 1, 'one topic a call');
      t.is(new Set(call.map((b) => b.partition)).size, call.length, 'one batch a partition');
      t.true(call.reduce((n, b) => n + b.messages.length, 0) <= 30, 'batchSizeMax bounds a call');
      for (const batch of call)
        t.true(
          batch.messages.every((m) => m.topic === batch.topic && m.partition === batch.partition),
        );
    }
    const first = calls.find((call) => call[0]!.topic === topic)!;
    t.true(first.length > 1, `the first call of the topic held ${first.length} partitions`);
    assertOrderedPerKey(
      t,
      calls.flat().flatMap((b) => (b.topic === topic ? b.messages : [])),
      8,
      5,
    );
    // Committed: a new member of the group gets only what is sent afterwards.
    await log.send(topic, numbered(8, 8, 40));
    const after = await readInGroup(log, [topic, other], 8, 'the 8 new messages', groupId);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    t.deepEqual(
      after.map(seqOf).sort(),
      Array.from({ length: 8 }, () => 5),
      'nothing handled before is handed out again',
    );
  });

  test('a handler of partition batches that throws commits none of the batches it was given', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('merge-fail');
    const groupId = uniqueName('g');
    await log.createTopic(topic, { partitions: 4 });
    await log.send(topic, numbered(16, 8));
    let given = 0;
    const failing = await log.subscribe({
      groupId,
      topics: [topic],
      sessionTimeoutMs,
      partitionBatchesHandler: async (batches) => {
        given = Math.max(given, batches.length);
        throw new Error('sink down');
      },
    });
    const reason = await failing.stopped;
    t.is((reason as Error).message, 'sink down', 'stopped reports the handler error');
    t.true(given > 1, `the failed call held ${given} partitions`);
    const r = await readInGroup(log, [topic], 16, 'the 16 uncommitted messages', groupId);
    t.is(r.length, 16, 'every message of the failed call is handed out again, once');
    assertOrderedPerKey(t, r, 8, 2);
  });

  test('subscribe takes exactly one of handler and partitionBatchesHandler', async (t) => {
    const log = await openForTest(t);
    const topic = uniqueName('handlers');
    await log.createTopic(topic, { partitions: 1 });
    const base = { groupId: uniqueName('g'), topics: [topic], sessionTimeoutMs };
    for (const options of [
      { ...base },
      { ...base, handler: async () => undefined, partitionBatchesHandler: async () => undefined },
    ]) {
      const error = await t.throwsAsync(log.subscribe(options as never), {
        instanceOf: ValidationError,
        message: /one handler/,
      });
      t.is(error?.field, 'handler');
    }
  });

  test('sendTopics appends to each topic its messages, one key in the order given across entries', async (t) => {
    const log = await openForTest(t);
    const a = uniqueName('multi-a');
    const b = uniqueName('multi-b');
    await log.createTopic(a, { partitions: 2 });
    await log.createTopic(b, { partitions: 1 });
    await log.sendTopics([
      {
        topic: a,
        messages: [
          { key: 'k', value: 'k:0' },
          { key: 'j', value: 'j:0' },
        ],
      },
      { topic: b, messages: [{ key: 'k', value: 'k:0' }] },
      { topic: b, messages: [] },
      { topic: a, messages: [{ key: 'k', value: 'k:1' }] },
    ]);
    await log.sendTopics([]);
    await log.sendTopics([{ topic: a, messages: [] }]);
    const ra = recorder();
    await log.subscribe({
      groupId: uniqueName('g'),
      topics: [a],
      handler: ra.handler,
      sessionTimeoutMs,
    });
    await assertTopicHolds(t, log, b, ['k:0'], 'the other topic got its message');
    await waitFor(() => ra.messages.length >= 3, waitMs, '3 messages');
    t.deepEqual(
      ra.messages.filter((m) => m.key === 'k').map((m) => m.value.toString()),
      ['k:0', 'k:1'],
      "one key's messages in the order given, across the entries",
    );
    t.is(ra.messages.length, 3, 'entries without messages add nothing');
  });

  test('sendTopics writes nothing when a topic is missing or a message is bad', async (t) => {
    const log = await openForTest(t);
    const a = uniqueName('multi-none');
    await log.createTopic(a, { partitions: 2 });
    const missing = await t.throwsAsync(
      log.sendTopics([
        { topic: a, messages: [{ key: 'k', value: 'k:lost' }] },
        { topic: uniqueName('never-created'), messages: [{ key: 'k', value: 'x' }] },
      ]),
      { instanceOf: NotFoundError },
    );
    t.is(missing?.field, 'topic');
    const tooBig = await t.throwsAsync(
      log.sendTopics([
        { topic: a, messages: [{ key: 'k', value: 'k:lost' }] },
        { topic: a, messages: [{ key: 'k', value: Buffer.alloc(messageBytesMax + 1, 1) }] },
      ]),
      { instanceOf: PayloadTooLargeError },
    );
    t.is(tooBig?.field, 'sends.1.messages.0', 'the error names the entry and the message');
    for (const bad of [
      [{ topic: 'has space', messages: [{ key: 'k', value: 'x' }] }],
      [{ topic: a, messages: [{ key: 7, value: 'x' }] }],
      'not an array',
    ]) {
      await t.throwsAsync(log.sendTopics(bad as never), { instanceOf: ValidationError });
    }
    await log.sendTopics([{ topic: a, messages: [{ key: 'k', value: 'k:after' }] }]);
    await assertTopicHolds(t, log, a, ['k:after'], 'the refused calls wrote nothing');
  });
}
