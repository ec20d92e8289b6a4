/**
 * The Kafka event log, on @platformatic/kafka 1.x. Partitions are chosen here with Kafka's own
 * murmur2 partitioner (the same code as the embedded log), writes wait for acks=all, and each
 * batch's offset is committed only after its handler resolves (at-least-once).
 */
import {
  Admin,
  Consumer as KafkaConsumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors.js';
import {
  RecordBatchProducer,
  closeClientWithin,
  refuseRetriesOnceClosed,
  type PartitionMessages,
} from './kafka-batch-producer.js';
import { headerNameBytes } from './kafka-produce-request.js';
import {
  consumeBatchSizeDefault,
  encodeMessages,
  encodeSends,
  partitionForKey,
  validatePartitionCount,
  validateSubscribeOptions,
  validateTopicName,
  type Consumer,
  type EncodedMessage,
  type EncodedSend,
  type EventLog,
  type IncomingMessage,
  type OutgoingMessage,
  type MessageBatch,
  type SubscribeOptions,
  type TopicSend,
} from './port.js';

/** Most bytes of messages in one produce request; keeps every per-partition record batch under the
 * broker's default `message.max.bytes` (1 MiB). */
export const kafkaProduceRequestBytesMax = 800_000;
/** Messages the client may buffer ahead of the handler (the client's own default). */
export const kafkaStreamBufferMessagesMin = 1_024;
/** Default consumer session timeout (Kafka's classic-protocol default is 45 s; 10 s moves a dead
 * member's partitions sooner and is within the broker's allowed range). */
export const kafkaSessionTimeoutMsDefault = 10_000;
/** Longest one broker request may take before it is retried. */
export const kafkaRequestTimeoutMs = 30_000;
/** Longest a fetch waits on the broker for new data before returning empty. */
export const kafkaFetchMaxWaitMs = 100;
/**
 * Produce requests in flight at once per log: one idempotent producer per lane, each partition on
 * its lane (`partition mod lanes`; a small send while every lane is idle goes whole to the first,
 * see kafkaOneLaneSendMessagesMax), one request at a time per lane.
 */
export const kafkaProducerLanes = 4;
/** Most producer lanes one log may be given (each is a producer with its own connection). */
export const kafkaProducerLanesMax = 16;
/**
 * A send of at most this many messages, made while every lane is idle, goes whole to one lane: one
 * produce request instead of one per lane. ingest-api's cycle of single requests (a few dozen
 * messages over most partitions, one send at a time) made about 3.5 produce requests a cycle, each
 * a request for the broker and for the client. Larger sends, and any send while a lane is busy,
 * spread over the lanes by partition as before, so batches still overlap.
 */
export const kafkaOneLaneSendMessagesMax = 256;
/** A consumer whose close failed (broker down) is closed again this often, for at most the max. */
export const kafkaCloseRetryDelayMs = 1_000;
export const kafkaCloseRetryMsMax = 300_000;

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  /** Replication factor for topics this log creates; 1 on a single-node broker. */
  replicationFactor?: number;
  /** Produce requests in flight at once (producer lanes); kafkaProducerLanes by default. */
  producerLanes?: number;
}

/** Connects to Kafka through @platformatic/kafka. Connections open lazily on first use. */
export function createKafkaEventLog(options: KafkaEventLogOptions): EventLog {
  return new KafkaEventLog(options);
}

class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  private readonly admin: Admin;
  private readonly lanes: ProducerLane[];
  private readonly partitionCounts = new Map<string, number>();
  private readonly consumers = new Set<PlatformaticConsumer>();
  private closed = false;
  /**
   * While a send that went whole to one lane (kafkaOneLaneSendMessagesMax) is unacknowledged: that
   * lane, and the sends queued on it since, not yet settled. Every send goes whole to it meanwhile.
   */
  private oneLane: { lane: ProducerLane; unsettled: number } | undefined;

  constructor(private readonly options: KafkaEventLogOptions) {
    const base = {
      clientId: options.clientId,
      bootstrapBrokers: options.brokers,
      autocreateTopics: false,
    };
    this.admin = refuseRetriesOnceClosed(new Admin(base));
    // Idempotent: a produce request retried after a timeout is not written twice (without it a
    // slow broker turns one send into duplicates). One producer (own producer id, own connection)
    // per lane; producers connect on their first send. Their record batches are written by
    // kafka-produce-request.ts into one buffer per request, not by the client's encoder.
    const lanes = options.producerLanes ?? kafkaProducerLanes;
    if (!Number.isInteger(lanes) || lanes < 1 || lanes > kafkaProducerLanesMax) {
      throw new ValidationError(
        `producerLanes must be an integer from 1 to ${kafkaProducerLanesMax}`,
        {
          field: 'producerLanes',
        },
      );
    }
    this.lanes = Array.from({ length: lanes }, () => ({
      producer: new RecordBatchProducer({
        ...base,
        idempotent: true,
        timeout: kafkaRequestTimeoutMs,
      }),
      queue: [],
      sending: false,
      closed: false,
    }));
  }

  private ensureOpen(): void {
    if (this.closed) throw new ConflictError('the event log is closed');
  }

  async createTopic(name: string, options: { partitions: number }): Promise<void> {
    this.ensureOpen();
    validateTopicName(name);
    validatePartitionCount(options.partitions);
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions: options.partitions,
        replicas: this.options.replicationFactor ?? 1,
      });
    } catch (error) {
      if (!/already exists/i.test(describe(error))) throw unavailable('create topic', error);
      const existing = await this.partitionCount(name, true);
      if (existing !== options.partitions) {
        throw new ConflictError(
          `topic ${name} exists with ${existing} partitions, not ${options.partitions}`,
          {
            field: 'partitions',
          },
        );
      }
    }
    this.partitionCounts.set(name, options.partitions);
  }

  private async partitionCount(topic: string, forceUpdate = false): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached !== undefined && !forceUpdate) return cached;
    let count: number | undefined;
    try {
      const metadata = await this.admin.metadata({
        topics: [topic],
        autocreateTopics: false,
        forceUpdate: true,
      });
      count = metadata.topics.get(topic)?.partitionsCount;
    } catch (error) {
      if (!/unknown topic|does not exist/i.test(describe(error)))
        throw unavailable('read topic metadata', error);
    }
    if (count === undefined)
      throw new NotFoundError(`topic ${topic} does not exist`, { field: 'topic' });
    this.partitionCounts.set(topic, count);
    return count;
  }

  /**
   * Why lanes. An idempotent producer (@platformatic/kafka's, and our RecordBatchProducer) reads a
   * partition's next sequence number when it encodes a request but moves it on only when the
   * broker's answer comes back (a request that may be retried keeps its sequence), so two
   * requests in flight on one producer carry the same first sequence: the broker refuses the
   * second as out of order, or, when both hold as many records, takes it for a retry of the first
   * and drops it while answering success (the lost messages seen with concurrent sends). Each lane
   * is therefore one idempotent producer with one request in flight; a partition always goes
   * through the same lane, so one partition's records reach the broker in the order `send` was
   * called, while the lanes' requests overlap. Sends that queue on a lane while its request is in
   * flight go out together in its next request: concurrent callers share round trips.
   *
   * A small send made while every lane is idle (nothing queued, nothing in flight: no record of
   * any partition unacknowledged) goes whole to the first lane, one produce request; until it
   * and every send queued behind it are settled, every send goes whole to that lane too, so no
   * partition's records are ever on two lanes at once and the order per partition holds. (Each
   * producer keeps its own sequence per partition, so a partition may change lanes between sends.)
   */
  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.ensureOpen();
    validateTopicName(topic);
    return this.append([{ topic, encoded: encodeMessages(messages) }]);
  }

  async sendTopics(sends: TopicSend[]): Promise<void> {
    this.ensureOpen();
    return this.append(encodeSends(sends));
  }

  /** Queues checked messages on their lanes, once every topic's partition count is known (a
   * missing topic fails the call before anything is queued), and resolves when all are acked. */
  private async append(sends: EncodedSend[]): Promise<void> {
    if (sends.length === 0) return;
    const partitionCounts: number[] = [];
    for (const { topic } of sends) partitionCounts.push(await this.partitionCount(topic));
    // From here to the queueing below nothing awaits: the lanes' state read here is the one the
    // pieces are queued into.
    const only = this.oneLane?.lane ?? this.idleLaneForSmallSend(sends);
    const pieces = new Map<ProducerLane, PendingSend>();
    sends.forEach(({ topic, encoded }, index) => {
      const partitions = partitionCounts[index]!;
      for (const message of encoded) {
        const partition = partitionForKey(message.key, partitions);
        const lane = only ?? this.lanes[partition % this.lanes.length]!;
        let piece = pieces.get(lane);
        if (!piece) {
          piece = { records: [], sizes: [], bytes: 0, resolve: noop, reject: noop };
          pieces.set(lane, piece);
        }
        let size = message.key.length + message.value.length;
        for (const [name, value] of message.headers) {
          size += headerNameBytes(name).length + value.length;
        }
        piece.records.push({ topic, partition, message });
        piece.sizes.push(size);
        piece.bytes += size;
      }
    });
    // Every lane's piece is queued before any is awaited, in this call's order on every lane.
    await Promise.all(
      [...pieces].map(
        ([lane, piece]) =>
          new Promise<void>((resolve, reject) => {
            piece.resolve = resolve;
            piece.reject = reject;
            if (only !== undefined) this.holdOneLane(only, piece);
            lane.queue.push(piece);
            if (!lane.sending) void drainLane(lane);
          }),
      ),
    );
  }

  /** The lane a small send goes to whole when every lane is idle; undefined otherwise. */
  private idleLaneForSmallSend(sends: EncodedSend[]): ProducerLane | undefined {
    if (this.lanes.length === 1) return undefined;
    let messages = 0;
    for (const { encoded } of sends) messages += encoded.length;
    if (messages > kafkaOneLaneSendMessagesMax) return undefined;
    for (const lane of this.lanes) if (lane.sending || lane.queue.length > 0) return undefined;
    return this.lanes[0];
  }

  /** Counts `piece` as queued on the one lane until it settles (acknowledged or failed). */
  private holdOneLane(lane: ProducerLane, piece: PendingSend): void {
    const held = (this.oneLane ??= { lane, unsettled: 0 });
    held.unsettled++;
    const { resolve, reject } = piece;
    const release = () => {
      if (--held.unsettled === 0 && this.oneLane === held) this.oneLane = undefined;
    };
    piece.resolve = () => {
      release();
      resolve();
    };
    piece.reject = (error) => {
      release();
      reject(error);
    };
  }

  async subscribe(options: SubscribeOptions): Promise<Consumer> {
    this.ensureOpen();
    validateSubscribeOptions(options);
    for (const topic of options.topics) await this.partitionCount(topic);
    const consumer = new PlatformaticConsumer(this.options, options);
    this.consumers.add(consumer);
    void consumer.stopped.then(() => this.consumers.delete(consumer));
    await consumer.start();
    return consumer;
  }

  /**
   * Closes the consumers, then the producers and the admin client. A send not yet acknowledged
   * rejects with an UnavailableError saying the log closed (never resolves: nothing unacknowledged
   * is reported written); no client retry or socket outlives the returned promise (each client's
   * close is bounded by kafkaClientCloseMsMax, after which its sockets are destroyed).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    for (const lane of this.lanes) {
      lane.closed = true;
      for (const caller of lane.queue.splice(0)) caller.reject(closedBeforeAck());
    }
    await Promise.all([
      ...this.lanes.map((lane) => closeClientWithin(lane.producer)),
      closeClientWithin(this.admin),
    ]);
  }
}

/** What a send gets when the log closed before Kafka acknowledged it. */
function closedBeforeAck(cause?: unknown): UnavailableError {
  return new UnavailableError('the event log closed before Kafka acknowledged the send', 1, {
    cause,
  });
}

class PlatformaticConsumer implements Consumer {
  readonly stopped: Promise<unknown>;
  private resolveStopped!: (reason: unknown) => void;
  private readonly client: KafkaConsumer;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private closing = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly batchSizeMax: number;

  constructor(
    log: KafkaEventLogOptions,
    private readonly options: SubscribeOptions,
  ) {
    const sessionTimeout = options.sessionTimeoutMs ?? kafkaSessionTimeoutMsDefault;
    this.batchSizeMax = options.batchSizeMax ?? consumeBatchSizeDefault;
    this.client = new KafkaConsumer({
      clientId: log.clientId,
      bootstrapBrokers: log.brokers,
      groupId: options.groupId,
      autocreateTopics: false,
      sessionTimeout,
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 3)),
      maxWaitTime: kafkaFetchMaxWaitMs,
    });
    this.stopped = new Promise((r) => (this.resolveStopped = r));
  }

  assignment(): { topic: string; partition: number }[] {
    if (this.closing) return [];
    return (this.client.assignments ?? []).flatMap((a) =>
      a.partitions.map((partition) => ({ topic: a.topic, partition })),
    );
  }

  async start(): Promise<void> {
    try {
      this.stream = await this.client.consume({
        topics: [...new Set(this.options.topics)],
        autocommit: false,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode:
          this.options.from === 'latest'
            ? MessagesStreamFallbackModes.LATEST
            : MessagesStreamFallbackModes.EARLIEST,
        highWaterMark: Math.max(kafkaStreamBufferMessagesMin, this.batchSizeMax),
      });
    } catch (error) {
      await forceClose(this.client);
      this.resolveStopped(error);
      throw unavailable('join group', error);
    }
    this.stream.on('error', (error) => this.finish(error));
    // One 'readable' listener for the stream's whole life: with none attached Node sets the stream's
    // flowing state back to null, and @platformatic/kafka then stops fetching for good.
    this.stream.on('readable', () => this.wake?.());
    this.stream.on('close', () => this.wake?.());
    this.loop = this.run(this.stream);
  }

  /** Reads what the stream has buffered (up to batchSizeMax) and hands it to the handler one
   * partition at a time (a `partitionBatchesHandler` one topic's partitions at a time), committing
   * each batch after the call that handled it resolves. */
  private async run(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    try {
      while (!this.closing) {
        const read: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
        let message: Message<Buffer, Buffer, Buffer, Buffer> | null;
        while (
          read.length < this.batchSizeMax &&
          (message = stream.read() as typeof message) !== null
        ) {
          read.push(message);
        }
        if (read.length === 0) {
          await this.readable();
          continue;
        }
        // Each topic's partitions, each partition's messages in offset order, in the order read.
        const byTopic = new Map<string, Map<number, Message<Buffer, Buffer, Buffer, Buffer>[]>>();
        for (const m of read) {
          let partitions = byTopic.get(m.topic);
          if (!partitions) byTopic.set(m.topic, (partitions = new Map()));
          const list = partitions.get(m.partition);
          if (list) list.push(m);
          else partitions.set(m.partition, [m]);
        }
        // Handlers run one after another; the commits of every batch whose handler succeeded then
        // go out together (committing a partition's last message commits its batch), also when a
        // later handler throws, so only the failed call's batches are handed out again.
        const handled: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
        const { handler, partitionBatchesHandler } = this.options;
        try {
          for (const partitions of byTopic.values()) {
            const lists = [...partitions.values()];
            if (handler !== undefined) {
              for (const list of lists) {
                await handler(toBatch(list));
                handled.push(list[list.length - 1]!);
              }
            } else {
              await partitionBatchesHandler(lists.map(toBatch));
              for (const list of lists) handled.push(list[list.length - 1]!);
            }
          }
        } finally {
          await Promise.all(handled.map((last) => this.commit(last)));
        }
      }
      await this.finish(undefined);
    } catch (error) {
      await this.finish(error);
    }
  }

  /**
   * Commits past `last`. A failed commit (typically the group rebalancing under us) is not fatal:
   * the handler already succeeded, so the worst outcome is that these messages are handed out
   * again, which at-least-once allows; stopping the member would only cause another rebalance.
   *
   * Once the member has died (its stream failed: `finish` ran), nothing is committed through it:
   * the client answers a refused commit by joining the group again, and a client whose close
   * failed (the broker was down) would come back as a member subscribed to nothing. Elected
   * leader, it hands every member, the new one included, an empty assignment, and the group
   * starves for good. The uncommitted batch is handed out again to the next member.
   */
  private async commit(last: Message<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    if (this.finishing) {
      this.commitsSkipped += 1;
      return;
    }
    try {
      await last.commit();
    } catch (error) {
      this.commitFailures += 1;
      this.lastCommitError = error;
    }
  }

  /** Commits that failed since start, and the last such error: for logs and metrics. */
  commitFailures = 0;
  /** Batches finished after the member died, left uncommitted on purpose (see `commit`). */
  commitsSkipped = 0;
  lastCommitError: unknown;

  /** Resolves at the stream's next 'readable' (or close, or `close()`). */
  private readable(): Promise<void> {
    return new Promise((resolveReadable) => {
      this.wake = (): void => {
        this.wake = undefined;
        resolveReadable();
      };
    });
  }

  private wake: (() => void) | undefined;
  private finishing: Promise<void> | undefined;

  /** Leaves the group without committing further, so uncommitted messages go to the others. */
  private finish(reason: unknown): Promise<void> {
    this.closing = true;
    this.finishing ??= (async () => {
      try {
        await this.stream?.close().catch(() => undefined);
        await forceClose(this.client);
      } finally {
        this.resolveStopped(reason);
      }
    })();
    return this.finishing;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    await this.loop;
    await this.stopped;
  }
}

/** One partition's messages, in the order read, as the handler's batch. */
function toBatch(list: Message<Buffer, Buffer, Buffer, Buffer>[]): MessageBatch {
  const first = list[0]!;
  return { topic: first.topic, partition: first.partition, messages: list.map(toIncoming) };
}

function toIncoming(m: Message<Buffer, Buffer, Buffer, Buffer>): IncomingMessage {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of m.headers) headers[k.toString('utf8')] = v;
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key === undefined || m.key === null ? '' : m.key.toString('utf8'),
    value: m.value ?? Buffer.alloc(0),
    headers,
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const nested = (error as Error & { errors?: unknown[] }).errors;
    return [error.message, ...(Array.isArray(nested) ? nested.map(describe) : [])].join('; ');
  }
  return String(error);
}

function unavailable(what: string, error: unknown): Error {
  if (error instanceof ValidationError || error instanceof NotFoundError) return error;
  return new UnavailableError(`Kafka ${what} failed: ${describe(error)}`, 1, { cause: error });
}

/** Closes a consumer even while a fetch is pending; errors on the way out change nothing. */
function forceClose(client: KafkaConsumer): Promise<void> {
  return new Promise((resolveClose) =>
    client.close(true, (error) => {
      // The close failed (the broker is gone: leaving the group needs it), and the client stays
      // open with its membership. Keep closing it in the background until the broker answers, so
      // the group drops the dead member at once instead of after its session timeout.
      if (error) void closeLater(client, Date.now() + kafkaCloseRetryMsMax);
      resolveClose();
    }),
  );
}

/** Retries closing a client whose close failed, every kafkaCloseRetryDelayMs, until `deadline`. */
async function closeLater(client: KafkaConsumer, deadline: number): Promise<void> {
  while (Date.now() < deadline && !client.closed) {
    await new Promise((resolveDelay) => setTimeout(resolveDelay, kafkaCloseRetryDelayMs).unref());
    const closed = await new Promise<boolean>((resolveClose) =>
      client.close(true, (error) => resolveClose(!error)),
    );
    if (closed) return;
  }
}

/** One message of a send, with where it goes. */
interface ProduceRecord {
  topic: string;
  partition: number;
  message: EncodedMessage;
}

/** One idempotent producer, its queue of sends, whether a request of it is in flight, and
 * whether the log closed it. */
interface ProducerLane {
  producer: RecordBatchProducer;
  queue: PendingSend[];
  sending: boolean;
  closed: boolean;
}

const noop = (): void => undefined;

/** Sends a lane's queued records, one request at a time, in the order callers queued them. */
async function drainLane(lane: ProducerLane): Promise<void> {
  lane.sending = true;
  try {
    while (lane.queue.length > 0) {
      if (lane.closed) {
        for (const caller of lane.queue.splice(0)) caller.reject(closedBeforeAck());
        break;
      }
      // Take whole callers while they fit one request (a caller larger than a request goes
      // alone, split over several requests in order).
      const callers: PendingSend[] = [lane.queue.shift()!];
      let bytes = callers[0]!.bytes;
      while (lane.queue.length > 0 && bytes + lane.queue[0]!.bytes <= kafkaProduceRequestBytesMax) {
        const next = lane.queue.shift()!;
        bytes += next.bytes;
        callers.push(next);
      }
      try {
        const requests = produceRequests(
          callers.flatMap((c) => c.records),
          callers.flatMap((c) => c.sizes),
        );
        for (const request of requests) {
          await lane.producer.produce(byPartition(request), kafkaRequestTimeoutMs);
        }
        for (const caller of callers) caller.resolve();
      } catch (error) {
        const failure = lane.closed ? closedBeforeAck(error) : unavailable('send', error);
        for (const caller of callers) caller.reject(failure);
      }
    }
  } finally {
    lane.sending = false;
  }
}

interface PendingSend {
  records: ProduceRecord[];
  /** Each record's key, value and header bytes. */
  sizes: number[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A request's records as one list per partition, each in the order it was sent. */
function byPartition(records: ProduceRecord[]): PartitionMessages[] {
  const parts = new Map<string, PartitionMessages & { messages: EncodedMessage[] }>();
  for (const { topic, partition, message } of records) {
    const key = `${partition}:${topic}`;
    let part = parts.get(key);
    if (!part) {
      part = { topic, partition, messages: [] };
      parts.set(key, part);
    }
    part.messages.push(message);
  }
  return [...parts.values()];
}

/** Splits records into produce requests of at most kafkaProduceRequestBytesMax, keeping order. */
function produceRequests(records: ProduceRecord[], sizes: number[]): ProduceRecord[][] {
  const requests: ProduceRecord[][] = [];
  let current: ProduceRecord[] = [];
  let bytes = 0;
  for (const [i, record] of records.entries()) {
    const size = sizes[i]!;
    if (current.length > 0 && bytes + size > kafkaProduceRequestBytesMax) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
