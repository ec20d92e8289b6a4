/**
 * The embedded event log: a durable log in one SQLite file (better-sqlite3, WAL), so Spendstream
 * runs with no servers. Topics have partitions, messages get per-partition offsets, consumer groups
 * keep committed offsets, and members of a group (in one process or several sharing the file) split
 * the partitions through heartbeats, a session timeout and fenced partition ownership.
 * The schema and the protocol are described in docs/event-log.md.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { ConflictError, NotFoundError, ValidationError, invariant } from '../errors.js';
import {
  consumeBatchSizeDefault,
  encodeMessages,
  encodeSends,
  partitionForKey,
  validatePartitionCount,
  validateSubscribeOptions,
  validateTopicName,
  type Consumer,
  type EncodedSend,
  type EventLog,
  type IncomingMessage,
  type MessageBatch,
  type OutgoingMessage,
  type SubscribeOptions,
  type TopicSend,
} from './port.js';

/** Default session timeout: a member that has not heartbeated for this long is dropped. */
export const embeddedSessionTimeoutMsDefault = 10_000;
/** Shortest session timeout accepted (tests use short ones to keep rebalances quick). */
export const embeddedSessionTimeoutMsMin = 100;
/** How often a consumer looks for new messages written by another process (in-process appends wake
 * it at once). */
export const embeddedPollIntervalMsDefault = 200;
/** How long a writer waits for another process's lock on the file before failing. */
export const embeddedBusyTimeoutMs = 5_000;
/**
 * Page size of a newly created log file. The messages table is WITHOUT ROWID: its rows are the keys
 * of one B-tree, whose interior pages hold whole rows as dividers and whose leaves keep at most
 * about a quarter of a page of a row inline. With SQLite's default 4 KiB pages the stream jobs'
 * 0.5-0.9 KB events made interior pages of a few rows each (2,239 of a 20,000-backlog bench file's
 * 12,565 pages; with 16 KiB pages 152 of 2,932: a shallower tree for every append), and an event
 * over 1,002 bytes spilled into an overflow page of its own (about 4 KB inline with 16 KiB). A file
 * created before keeps its page size (SQLite changes it only on a VACUUM).
 */
export const embeddedPageSizeBytes = 16_384;

export interface EmbeddedEventLogOptions {
  /** Path of the SQLite file (created with its folder if missing), or `:memory:` for tests that
   * do not need durability. */
  path: string;
  pollIntervalMs?: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS event_log_topics (
  name TEXT PRIMARY KEY,
  partitions INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_log_partitions (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_log_messages (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  headers TEXT,
  appended_at INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_log_group_offsets (
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_log_group_members (
  group_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  topics TEXT NOT NULL,
  session_timeout_ms INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_log_partition_owners (
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  member_id TEXT NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_log_group_generations (
  group_id TEXT PRIMARY KEY,
  generation INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** In-process wake-ups, shared by every log opened on the same file so a consumer hears of an
 * append (or a member joining or leaving) without waiting for its poll interval. */
const signals = new Map<string, { emitter: EventEmitter; users: number }>();

function acquireSignal(path: string): EventEmitter {
  let entry = signals.get(path);
  if (!entry) {
    entry = { emitter: new EventEmitter(), users: 0 };
    entry.emitter.setMaxListeners(0);
    signals.set(path, entry);
  }
  entry.users += 1;
  return entry.emitter;
}

function releaseSignal(path: string): void {
  const entry = signals.get(path);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users === 0) signals.delete(path);
}

interface PartitionRef {
  topic: string;
  partition: number;
}

interface MessageRow {
  offset: number | bigint;
  key: Buffer;
  value: Buffer;
  headers: string | null;
}

/** Opens (and creates if needed) an embedded event log in a SQLite file. */
export function createEmbeddedEventLog(options: EmbeddedEventLogOptions): EventLog {
  return new EmbeddedEventLog(options);
}

class EmbeddedEventLog implements EventLog {
  readonly kind = 'embedded' as const;
  readonly db: Database.Database;
  readonly signal: EventEmitter;
  readonly pollIntervalMs: number;
  private readonly signalKey: string;
  private readonly consumers = new Set<EmbeddedConsumer>();
  private readonly partitionCounts = new Map<string, number>();
  private closed = false;

  readonly statements;

  constructor(options: EmbeddedEventLogOptions) {
    const memory = options.path === ':memory:';
    if (!memory) mkdirSync(dirname(resolve(options.path)), { recursive: true });
    this.db = new Database(options.path);
    // Before WAL: a new file takes its page size when its first page is written.
    this.db.pragma(`page_size = ${embeddedPageSizeBytes}`);
    this.db.pragma('journal_mode = WAL');
    // FULL: a send resolves only after its transaction is fsynced, which is what "durable" promises.
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${embeddedBusyTimeoutMs}`);
    this.db.exec(schema);
    this.signalKey = memory ? `:memory:${randomUUID()}` : resolve(options.path);
    this.signal = acquireSignal(this.signalKey);
    this.pollIntervalMs = options.pollIntervalMs ?? embeddedPollIntervalMsDefault;
    const db = this.db;
    this.statements = {
      topic: db.prepare<[string], { partitions: number }>(
        'SELECT partitions FROM event_log_topics WHERE name = ?',
      ),
      insertTopic: db.prepare(
        'INSERT INTO event_log_topics (name, partitions, created_at) VALUES (?, ?, ?)',
      ),
      insertPartition: db.prepare(
        'INSERT INTO event_log_partitions (topic, partition, next_offset) VALUES (?, ?, 0)',
      ),
      nextOffset: db.prepare<[string, number], { next_offset: number }>(
        'SELECT next_offset FROM event_log_partitions WHERE topic = ? AND partition = ?',
      ),
      setNextOffset: db.prepare(
        'UPDATE event_log_partitions SET next_offset = ? WHERE topic = ? AND partition = ?',
      ),
      insertMessage: db.prepare(
        `INSERT INTO event_log_messages (topic, partition, offset, key, value, headers, appended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      fetch: db
        .prepare<[string, number, bigint, number], MessageRow>(
          `SELECT offset, key, value, headers FROM event_log_messages
           WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?`,
        )
        .safeIntegers(true),
      committed: db
        .prepare<[string, string, number], { next_offset: bigint }>(
          'SELECT next_offset FROM event_log_group_offsets WHERE group_id = ? AND topic = ? AND partition = ?',
        )
        .safeIntegers(true),
      commit: db.prepare(
        `INSERT INTO event_log_group_offsets (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
      ),
      owner: db.prepare<[string, string, number], { member_id: string }>(
        'SELECT member_id FROM event_log_partition_owners WHERE group_id = ? AND topic = ? AND partition = ?',
      ),
      owned: db.prepare<[string, string], { topic: string; partition: number }>(
        'SELECT topic, partition FROM event_log_partition_owners WHERE group_id = ? AND member_id = ?',
      ),
      claim: db.prepare(
        `INSERT INTO event_log_partition_owners (group_id, topic, partition, member_id) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id, topic, partition) DO NOTHING`,
      ),
      release: db.prepare(
        'DELETE FROM event_log_partition_owners WHERE group_id = ? AND topic = ? AND partition = ? AND member_id = ?',
      ),
      releaseAll: db.prepare(
        'DELETE FROM event_log_partition_owners WHERE group_id = ? AND member_id = ?',
      ),
      heartbeat: db.prepare(
        'UPDATE event_log_group_members SET heartbeat_at = ? WHERE group_id = ? AND member_id = ?',
      ),
      join: db.prepare(
        `INSERT INTO event_log_group_members (group_id, member_id, topics, session_timeout_ms, heartbeat_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      leave: db.prepare('DELETE FROM event_log_group_members WHERE group_id = ? AND member_id = ?'),
      expired: db.prepare<[string, number], { member_id: string }>(
        'SELECT member_id FROM event_log_group_members WHERE group_id = ? AND heartbeat_at + session_timeout_ms < ?',
      ),
      members: db.prepare<[string], { member_id: string; topics: string }>(
        'SELECT member_id, topics FROM event_log_group_members WHERE group_id = ? ORDER BY member_id',
      ),
      generation: db.prepare<[string], { generation: number }>(
        'SELECT generation FROM event_log_group_generations WHERE group_id = ?',
      ),
      bumpGeneration: db.prepare(
        `INSERT INTO event_log_group_generations (group_id, generation) VALUES (?, 1)
         ON CONFLICT (group_id) DO UPDATE SET generation = generation + 1`,
      ),
    };
  }

  private ensureOpen(): void {
    if (this.closed) throw new ConflictError('the event log is closed');
  }

  async createTopic(name: string, options: { partitions: number }): Promise<void> {
    this.ensureOpen();
    validateTopicName(name);
    validatePartitionCount(options.partitions);
    this.db
      .transaction(() => {
        const existing = this.statements.topic.get(name);
        if (existing) {
          if (existing.partitions !== options.partitions) {
            throw new ConflictError(
              `topic ${name} exists with ${existing.partitions} partitions, not ${options.partitions}`,
              { field: 'partitions' },
            );
          }
          return;
        }
        this.statements.insertTopic.run(name, options.partitions, Date.now());
        for (let p = 0; p < options.partitions; p++) this.statements.insertPartition.run(name, p);
      })
      .immediate();
    this.partitionCounts.set(name, options.partitions);
  }

  partitionCount(topic: string): number {
    const cached = this.partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    const row = this.statements.topic.get(topic);
    if (!row) throw new NotFoundError(`topic ${topic} does not exist`, { field: 'topic' });
    this.partitionCounts.set(topic, row.partitions);
    return row.partitions;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.ensureOpen();
    validateTopicName(topic);
    this.append([{ topic, encoded: encodeMessages(messages) }]);
  }

  async sendTopics(sends: TopicSend[]): Promise<void> {
    this.ensureOpen();
    this.append(encodeSends(sends));
  }

  /** Appends checked messages to their topics, all in one transaction. */
  private append(sends: EncodedSend[]): void {
    if (sends.length === 0) return;
    const checked = sends.map(({ topic, encoded }) => ({
      topic,
      encoded,
      partitions: this.partitionCount(topic),
    }));
    const now = Date.now();
    const s = this.statements;
    // One transaction for the whole batch: one fsync, and readers see all of it or none of it.
    // IMMEDIATE: take the write lock up front (waiting up to busy_timeout) instead of failing when
    // another process appends between our read of next_offset and our insert.
    this.db
      .transaction(() => {
        for (const { topic, encoded, partitions } of checked) {
          const next = new Map<number, number>();
          for (const message of encoded) {
            const partition = partitionForKey(message.key, partitions);
            let offset = next.get(partition);
            if (offset === undefined) {
              const row = s.nextOffset.get(topic, partition);
              invariant(row, `partition ${topic}/${partition} has a row in event_log_partitions`);
              offset = row.next_offset;
            }
            const headers =
              message.headers.length === 0
                ? null
                : JSON.stringify(message.headers.map(([k, v]) => [k, v.toString('base64')]));
            s.insertMessage.run(topic, partition, offset, message.key, message.value, headers, now);
            next.set(partition, offset + 1);
          }
          for (const [partition, offset] of next) s.setNextOffset.run(offset, topic, partition);
        }
      })
      .immediate();
    for (const topic of new Set(checked.map((c) => c.topic))) this.signal.emit('append', topic);
  }

  async subscribe(options: SubscribeOptions): Promise<Consumer> {
    this.ensureOpen();
    validateSubscribeOptions(options);
    for (const topic of options.topics) this.partitionCount(topic);
    const sessionTimeoutMs = options.sessionTimeoutMs ?? embeddedSessionTimeoutMsDefault;
    if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < embeddedSessionTimeoutMsMin) {
      throw new ValidationError(
        `sessionTimeoutMs must be an integer of at least ${embeddedSessionTimeoutMsMin}`,
        { field: 'sessionTimeoutMs' },
      );
    }
    const consumer = new EmbeddedConsumer(this, options, sessionTimeoutMs);
    this.consumers.add(consumer);
    void consumer.stopped.then(() => this.consumers.delete(consumer));
    consumer.start();
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    releaseSignal(this.signalKey);
    this.db.close();
  }
}

/**
 * A partition the member owns, with the offset it reads next once known: read from the group's
 * committed offsets when the partition is newly assigned, then moved by the member's own commits
 * (while the member owns the partition nobody else can commit it: commits are fenced on the owner).
 */
interface OwnedPartition extends PartitionRef {
  next: bigint | undefined;
}

/** A fetched batch and the owned partition it came from. */
interface Fetched {
  batch: MessageBatch;
  from: OwnedPartition;
}

class EmbeddedConsumer implements Consumer {
  readonly memberId = randomUUID();
  readonly stopped: Promise<unknown>;
  private resolveStopped!: (reason: unknown) => void;
  private readonly groupId: string;
  private readonly topics: string[];
  private readonly from: 'earliest' | 'latest';
  private readonly batchSizeMax: number;
  /** The log ends of every partition of the member's topics, in one query. */
  private readonly ends: Database.Statement<
    string[],
    { topic: string; partition: bigint; next_offset: bigint }
  >;
  private owned: OwnedPartition[] = [];
  /**
   * The group generation (`event_log_group_generations`, moved by every join, leave, expiry,
   * release and claim in any process) the assignment was planned at; undefined: plan again at the
   * next loop. A settled member reads only this one row per loop instead of planning again.
   */
  private plannedGeneration: number | undefined;
  private nextPartitionIndex = 0;
  private closing = false;
  private wake: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();
  private readonly onSignal = (): void => this.wake?.();
  /** An append wakes only a member of a group that reads its topic (others would fetch nothing). */
  private readonly onAppend = (topic: string): void => {
    if (this.topics.includes(topic)) this.wake?.();
  };

  constructor(
    private readonly log: EmbeddedEventLog,
    private readonly options: SubscribeOptions,
    private readonly sessionTimeoutMs: number,
  ) {
    this.groupId = options.groupId;
    this.topics = [...new Set(options.topics)];
    this.from = options.from ?? 'earliest';
    this.batchSizeMax = options.batchSizeMax ?? consumeBatchSizeDefault;
    this.ends = log.db
      .prepare<string[], { topic: string; partition: bigint; next_offset: bigint }>(
        `SELECT topic, partition, next_offset FROM event_log_partitions
         WHERE topic IN (${this.topics.map(() => '?').join(', ')})`,
      )
      .safeIntegers(true);
    this.stopped = new Promise((resolveStopped) => (this.resolveStopped = resolveStopped));
  }

  assignment(): { topic: string; partition: number }[] {
    return this.owned.map(({ topic, partition }) => ({ topic, partition }));
  }

  start(): void {
    const s = this.log.statements;
    this.log.db
      .transaction(() => {
        s.join.run(
          this.groupId,
          this.memberId,
          JSON.stringify(this.topics),
          this.sessionTimeoutMs,
          Date.now(),
        );
        s.bumpGeneration.run(this.groupId);
      })
      .immediate();
    this.rebalance();
    this.log.signal.on('append', this.onAppend);
    this.log.signal.on(`group:${this.groupId}`, this.onSignal);
    this.log.signal.emit(`group:${this.groupId}`);
    // Heartbeats run on a timer, apart from the fetch loop, so a slow handler does not lose the
    // member its partitions.
    this.heartbeatTimer = setInterval(
      () => this.heartbeat(),
      Math.max(10, Math.floor(this.sessionTimeoutMs / 3)),
    );
    this.heartbeatTimer.unref();
    this.loop = this.run();
  }

  private heartbeat(): void {
    if (this.closing) return;
    try {
      const s = this.log.statements;
      const now = Date.now();
      const changed = this.log.db
        .transaction(() => {
          let membershipChanged = false;
          if (s.heartbeat.run(now, this.groupId, this.memberId).changes === 0) {
            // Dropped after a long pause: rejoin; the fence on commit kept our late work harmless.
            s.join.run(
              this.groupId,
              this.memberId,
              JSON.stringify(this.topics),
              this.sessionTimeoutMs,
              now,
            );
            membershipChanged = true;
          }
          for (const { member_id } of s.expired.all(this.groupId, now)) {
            s.releaseAll.run(this.groupId, member_id);
            s.leave.run(this.groupId, member_id);
            membershipChanged = true;
          }
          if (membershipChanged) s.bumpGeneration.run(this.groupId);
          return membershipChanged;
        })
        .immediate();
      // Plan again at the next loop whatever the generation says: a safety net for a file shared
      // with a process whose log does not move the generation.
      this.plannedGeneration = undefined;
      if (changed) this.log.signal.emit(`group:${this.groupId}`);
      else this.wake?.();
    } catch (error) {
      this.stop(error);
    }
  }

  /** Plans again when the group's generation moved since the last plan (or a plan is due). */
  private refreshAssignment(): void {
    if (this.plannedGeneration !== undefined) {
      const row = this.log.statements.generation.get(this.groupId);
      if ((row?.generation ?? 0) === this.plannedGeneration) return;
    }
    this.rebalance();
  }

  /** Releases partitions that are no longer ours and claims those that are, by a deterministic
   * round-robin over the live members sorted by id; every member computes the same plan. */
  private rebalance(): void {
    const s = this.log.statements;
    const plan = () => {
      const generation = s.generation.get(this.groupId)?.generation ?? 0;
      const members = s.members.all(this.groupId).map((m) => ({
        id: m.member_id,
        topics: new Set(JSON.parse(m.topics) as string[]),
      }));
      const release: PartitionRef[] = [];
      const claim: PartitionRef[] = [];
      const owned: PartitionRef[] = [];
      for (const topic of this.topics) {
        const subscribers = members.filter((m) => m.topics.has(topic));
        const partitions = this.log.partitionCount(topic);
        for (let partition = 0; partition < partitions; partition++) {
          const wanted =
            subscribers.length > 0 &&
            subscribers[partition % subscribers.length]!.id === this.memberId;
          const owner = s.owner.get(this.groupId, topic, partition)?.member_id;
          if (owner === this.memberId) (wanted ? owned : release).push({ topic, partition });
          else if (wanted && owner === undefined) claim.push({ topic, partition });
        }
      }
      return { generation, release, claim, owned };
    };
    // A settled member only reads. Changes run in an IMMEDIATE transaction: a deferred one that
    // read first would fail with SQLITE_BUSY when another process wrote in between.
    const first = this.log.db.transaction(plan)();
    if (first.release.length === 0 && first.claim.length === 0) {
      this.adopt(first.owned, []);
      this.plannedGeneration = first.generation;
      return;
    }
    const changed = this.log.db
      .transaction(() => {
        const { release, claim, owned } = plan();
        for (const { topic, partition } of release)
          s.release.run(this.groupId, topic, partition, this.memberId);
        for (const { topic, partition } of claim) {
          s.claim.run(this.groupId, topic, partition, this.memberId);
          this.initOffset(topic, partition);
        }
        if (release.length > 0 || claim.length > 0) s.bumpGeneration.run(this.groupId);
        const generation = s.generation.get(this.groupId)?.generation ?? 0;
        return { released: release.length > 0, claim, owned, generation };
      })
      .immediate();
    this.adopt(changed.owned, changed.claim);
    this.plannedGeneration = changed.generation;
    if (changed.released) this.log.signal.emit(`group:${this.groupId}`);
  }

  /**
   * The new assignment: partitions the member kept (its row in the owners table stayed its own
   * since the last plan: only its own claims write its id there) keep their known next offset;
   * claimed ones read theirs from the group's committed offsets at their first fetch, so what
   * another member committed while it owned them is honoured.
   */
  private adopt(kept: PartitionRef[], claimed: PartitionRef[]): void {
    const known = new Map<string, bigint | undefined>();
    for (const p of this.owned) known.set(`${p.topic}\u0000${p.partition}`, p.next);
    this.owned = [
      ...kept.map(({ topic, partition }) => ({
        topic,
        partition,
        next: known.get(`${topic}\u0000${partition}`),
      })),
      ...claimed.map(({ topic, partition }) => ({ topic, partition, next: undefined })),
    ];
  }

  /** A group with no committed offset starts at the beginning or at the current end. */
  private initOffset(topic: string, partition: number): void {
    const s = this.log.statements;
    if (s.committed.get(this.groupId, topic, partition)) return;
    if (this.from === 'latest') {
      const end = s.nextOffset.get(topic, partition);
      invariant(end, `partition ${topic}/${partition} exists`);
      s.commit.run(this.groupId, topic, partition, end.next_offset);
    }
  }

  /**
   * The next batch of one owned partition, round-robin so one busy partition does not starve the
   * others; with a `partitionBatchesHandler`, also the batches of the other owned partitions of
   * its topic that have messages, up to `batchSizeMax` messages in all. The ends of all the
   * member's partitions are read in one query, and only partitions with messages past the
   * member's next offset are read.
   */
  private fetch(): Fetched[] | undefined {
    if (this.owned.length === 0) return undefined;
    const s = this.log.statements;
    const ends = new Map<string, bigint[]>();
    for (const row of this.ends.all(...this.topics)) {
      let ofTopic = ends.get(row.topic);
      if (ofTopic === undefined) ends.set(row.topic, (ofTopic = []));
      ofTopic[Number(row.partition)] = row.next_offset;
    }
    const fetched: Fetched[] = [];
    let room = this.batchSizeMax;
    const start = this.nextPartitionIndex;
    for (let tried = 0; tried < this.owned.length && room > 0; tried++) {
      const index = (start + tried) % this.owned.length;
      const owned = this.owned[index]!;
      const { topic, partition } = owned;
      // Once one partition is taken, only more of its topic (and only for a handler of several).
      if (fetched.length > 0 && topic !== fetched[0]!.batch.topic) continue;
      owned.next ??= s.committed.get(this.groupId, topic, partition)?.next_offset ?? 0n;
      const end = ends.get(topic)?.[partition];
      if (end !== undefined && end <= owned.next) continue;
      const rows = s.fetch.all(topic, partition, owned.next, room);
      if (rows.length === 0) continue;
      if (fetched.length === 0) this.nextPartitionIndex = index + 1;
      const messages: IncomingMessage[] = rows.map((row) => ({
        topic,
        partition,
        offset: BigInt(row.offset),
        key: row.key.toString('utf8'),
        value: row.value,
        headers: decodeHeaders(row.headers),
      }));
      fetched.push({ batch: { topic, partition, messages }, from: owned });
      if (this.options.partitionBatchesHandler === undefined) break;
      room -= rows.length;
    }
    return fetched.length === 0 ? undefined : fetched;
  }

  /** Commits past each batch (in one transaction) the partitions this member still owns; a
   * member that lost one (dropped for silence) must not move the new owner's offset, so that batch
   * will simply be seen again. */
  private commit(fetched: Fetched[]): void {
    const s = this.log.statements;
    const committed = this.log.db
      .transaction(() =>
        fetched.map(({ batch }) => {
          const last = batch.messages[batch.messages.length - 1];
          invariant(last, 'a committed batch is not empty');
          const owner = s.owner.get(this.groupId, batch.topic, batch.partition);
          if (owner?.member_id !== this.memberId) return undefined;
          s.commit.run(this.groupId, batch.topic, batch.partition, last.offset + 1n);
          return last.offset + 1n;
        }),
      )
      .immediate();
    fetched.forEach(({ from }, i) => {
      from.next = committed[i];
      // Lost the partition: forget its offset and plan again.
      if (from.next === undefined) this.plannedGeneration = undefined;
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.closing) {
        this.refreshAssignment();
        const fetched = this.fetch();
        if (!fetched) {
          await this.waitForSignal();
          continue;
        }
        const { handler, partitionBatchesHandler } = this.options;
        if (handler !== undefined) await handler(fetched[0]!.batch);
        else await partitionBatchesHandler(fetched.map(({ batch }) => batch));
        this.commit(fetched);
        // better-sqlite3 answers synchronously, so a handler on the embedded stores resolves in
        // microtasks alone and, with messages waiting, the next batch would follow at once: timers
        // and I/O of the whole process (HTTP, heartbeats, a producer on a timer) waited until
        // the backlog was drained. A macrotask turn between batches lets them run.
        await new Promise((resolveTurn) => setImmediate(resolveTurn));
      }
      this.stop(undefined);
    } catch (error) {
      this.stop(error);
    }
  }

  /** Waits for an in-process append or group change, or the poll interval for other processes. */
  private waitForSignal(): Promise<void> {
    return new Promise((resolveWait) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolveWait();
      };
      const timer = setTimeout(done, this.log.pollIntervalMs);
      this.wake = done;
    });
  }

  /** Leaves the group without committing anything further; partitions go back to the others. */
  private stop(reason: unknown): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.closing = true;
    this.log.signal.off('append', this.onAppend);
    this.log.signal.off(`group:${this.groupId}`, this.onSignal);
    try {
      if (this.log.db.open) {
        const s = this.log.statements;
        this.log.db
          .transaction(() => {
            s.releaseAll.run(this.groupId, this.memberId);
            s.leave.run(this.groupId, this.memberId);
            s.bumpGeneration.run(this.groupId);
          })
          .immediate();
        this.log.signal.emit(`group:${this.groupId}`);
      }
    } finally {
      this.owned = [];
      this.resolveStopped(reason);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    await this.loop;
    await this.stopped;
  }
}

function decodeHeaders(json: string | null): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  if (json === null) return headers;
  for (const [name, value] of JSON.parse(json) as [string, string][]) {
    headers[name] = Buffer.from(value, 'base64');
  }
  return headers;
}
