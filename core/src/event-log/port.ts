/**
 * The event-log port: the narrow interface every part of Spendstream uses to publish and consume
 * events. Two adapters implement it (Kafka, and an embedded SQLite log) and pass one contract suite
 * (`testing/event-log-contract.ts`). Semantics, limits and the choice of adapter are in
 * docs/event-log.md.
 */
import { PayloadTooLargeError, ValidationError } from '../errors.js';

/** Largest serialized message (key + value + header keys and values), in bytes. Below Kafka's
 * default `message.max.bytes` (1 MiB + record overhead) so a message accepted here fits a broker
 * with default settings. */
export const messageBytesMax = 1_000_000;
/** Most messages in one `send` call. */
export const sendBatchSizeMax = 10_000;
/** Most partitions a topic may have. */
export const partitionsMax = 1_024;
/** Most headers on one message. */
export const headersPerMessageMax = 64;
/** Default and largest number of messages handed to a handler in one batch. */
export const consumeBatchSizeDefault = 500;
export const consumeBatchSizeMax = 10_000;
/** Kafka's topic-name rule: letters, digits, `.`, `_`, `-`, 1 to 249 characters. */
export const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;
/** Group ids follow the same rule here (Kafka allows more; a narrow rule keeps both adapters equal). */
export const groupIdPattern = /^[a-zA-Z0-9._-]{1,249}$/;

/** A message to publish. The key decides the partition, so one key's messages stay in order. */
export interface OutgoingMessage {
  key: string;
  value: Buffer | string;
  headers?: Record<string, Buffer | string>;
}

/** A message as a consumer receives it. Header values come back as bytes. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  /** Position in the partition; 64-bit, so a bigint. */
  offset: bigint;
  key: string;
  value: Buffer;
  headers: Record<string, Buffer>;
}

/** Messages from one partition, in offset order. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
}

/**
 * Handles one batch. Resolving commits the batch (the group's offset moves past its last
 * message); throwing stops this consumer without committing, so the batch is redelivered to the
 * group (at-least-once). Handlers must therefore be idempotent.
 */
export type BatchHandler = (batch: MessageBatch) => Promise<void>;

/**
 * Handles the batches of several partitions of one topic at once (one batch per partition, each in
 * offset order; all of them from one fetch, at most `batchSizeMax` messages in all). Resolving
 * commits every one of them; throwing commits none and stops the consumer, as with `BatchHandler`.
 * A handler with a fixed cost per call (a database commit, an fsync, a produce round trip) pays it
 * once a fetch instead of once a partition, while each partition keeps its order and its offset.
 */
export type PartitionBatchesHandler = (batches: MessageBatch[]) => Promise<void>;

interface SubscribeCommonOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: every retained message, or only new ones.
   * Default `earliest`, so a new stream job misses nothing. */
  from?: 'earliest' | 'latest';
  /** Most messages per batch (per call of a `partitionBatchesHandler`); default
   * `consumeBatchSizeDefault`. */
  batchSizeMax?: number;
  /** A member silent for this long is dropped from its group and its partitions move on. */
  sessionTimeoutMs?: number;
}

/** What to consume and how: exactly one of `handler` (a partition's batch a call) and
 * `partitionBatchesHandler` (a topic's partitions with messages a call). */
export type SubscribeOptions = SubscribeCommonOptions &
  (
    | { handler: BatchHandler; partitionBatchesHandler?: undefined }
    | { partitionBatchesHandler: PartitionBatchesHandler; handler?: undefined }
  );

/** Messages for one topic, in a send to several (`EventLog.sendTopics`). */
export interface TopicSend {
  topic: string;
  messages: OutgoingMessage[];
}

/** One member of a consumer group. */
export interface Consumer {
  /** Partitions this member owns right now. */
  assignment(): { topic: string; partition: number }[];
  /** Stops fetching, lets an in-flight batch finish (and commit), leaves the group. */
  close(): Promise<void>;
  /** Settles when the consumer has stopped: with the handler error that stopped it, or
   * `undefined` after `close()`. Never rejects. */
  readonly stopped: Promise<unknown>;
}

export interface EventLog {
  /** Which adapter this is, for logs and `/readyz`. */
  readonly kind: 'embedded' | 'kafka';
  /** Creates a topic; creating an existing topic with the same partition count does nothing. */
  createTopic(name: string, options: { partitions: number }): Promise<void>;
  /** Appends messages; resolves once they are durable (Kafka acks=all; SQLite committed). */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Appends to each topic its messages (entries without messages are skipped; one key's messages
   * keep the order given, across entries); resolves once all are durable. Every topic name and
   * message is checked before anything is written: a bad one, or a missing topic, writes nothing.
   * The embedded log writes them in one transaction (one fsync; all or none). Kafka queues them
   * together (one produce request a producer lane, not one a topic) but has no transaction across
   * topics: when the broker fails part-way some topics may be written, as a failed `send` may be
   * partly written, so a caller retries and consumers stay idempotent.
   */
  sendTopics(sends: TopicSend[]): Promise<void>;
  /** Joins `groupId` and starts handing batches to `handler`. Resolves once the member has joined. */
  subscribe(options: SubscribeOptions): Promise<Consumer>;
  /** Closes every consumer this log opened, then the connection or database. */
  close(): Promise<void>;
}

/** Throws ValidationError unless `name` follows Kafka's topic-name rule. */
export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || !topicNamePattern.test(name) || name === '.' || name === '..') {
    throw new ValidationError(
      `invalid topic name ${JSON.stringify(name)}: use 1 to 249 of a-z A-Z 0-9 . _ -`,
      { field: 'topic' },
    );
  }
}

export function validateGroupId(groupId: string): void {
  if (typeof groupId !== 'string' || !groupIdPattern.test(groupId)) {
    throw new ValidationError(
      `invalid group id ${JSON.stringify(groupId)}: use 1 to 249 of a-z A-Z 0-9 . _ -`,
      { field: 'groupId' },
    );
  }
}

export function validatePartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > partitionsMax) {
    throw new ValidationError(`partitions must be an integer from 1 to ${partitionsMax}`, {
      field: 'partitions',
    });
  }
}

/** A message in the bytes both adapters write. */
export interface EncodedMessage {
  key: Buffer;
  value: Buffer;
  headers: [string, Buffer][];
}

/** Validates a batch for `send` and turns it into bytes; throws ValidationError or
 * PayloadTooLargeError naming the message index (its field starts with `path`). */
export function encodeMessages(messages: OutgoingMessage[], path = 'messages'): EncodedMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ValidationError('send needs at least one message', { field: path });
  }
  if (messages.length > sendBatchSizeMax) {
    throw new ValidationError(
      `send takes at most ${sendBatchSizeMax} messages (sendBatchSizeMax), got ${messages.length}`,
      { field: path },
    );
  }
  return messages.map((message, index) => {
    if (typeof message.key !== 'string') {
      throw new ValidationError('message key must be a string', { field: `${path}.${index}.key` });
    }
    if (typeof message.value !== 'string' && !Buffer.isBuffer(message.value)) {
      throw new ValidationError('message value must be a Buffer or a string', {
        field: `${path}.${index}.value`,
      });
    }
    const key = Buffer.from(message.key, 'utf8');
    const value =
      typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value;
    const headerEntries = Object.entries(message.headers ?? {});
    if (headerEntries.length > headersPerMessageMax) {
      throw new ValidationError(`a message has at most ${headersPerMessageMax} headers`, {
        field: `${path}.${index}.headers`,
      });
    }
    let bytes = key.length + value.length;
    const headers: [string, Buffer][] = headerEntries.map(([name, headerValue]) => {
      const encoded =
        typeof headerValue === 'string' ? Buffer.from(headerValue, 'utf8') : headerValue;
      if (!Buffer.isBuffer(encoded)) {
        throw new ValidationError('header values must be Buffers or strings', {
          field: `${path}.${index}.headers.${name}`,
        });
      }
      bytes += Buffer.byteLength(name, 'utf8') + encoded.length;
      return [name, encoded];
    });
    if (bytes > messageBytesMax) {
      throw new PayloadTooLargeError(
        `message ${index} is ${bytes} bytes; the limit is ${messageBytesMax} (messageBytesMax)`,
        { field: `${path}.${index}` },
      );
    }
    return { key, value, headers };
  });
}

/** One topic's messages of a `sendTopics`, checked and in bytes. */
export interface EncodedSend {
  topic: string;
  encoded: EncodedMessage[];
}

/** Validates a `sendTopics` call and turns its messages into bytes, leaving out entries without
 * messages; errors name the entry (`sends.1.messages.0`). */
export function encodeSends(sends: TopicSend[]): EncodedSend[] {
  if (!Array.isArray(sends)) {
    throw new ValidationError('sendTopics needs an array of { topic, messages }', {
      field: 'sends',
    });
  }
  const encoded: EncodedSend[] = [];
  sends.forEach((send, index) => {
    validateTopicName(send?.topic);
    if (Array.isArray(send.messages) && send.messages.length === 0) return;
    encoded.push({
      topic: send.topic,
      encoded: encodeMessages(send.messages, `sends.${index}.messages`),
    });
  });
  return encoded;
}

export function validateSubscribeOptions(options: SubscribeOptions): void {
  validateGroupId(options.groupId);
  if (!Array.isArray(options.topics) || options.topics.length === 0) {
    throw new ValidationError('subscribe needs at least one topic', { field: 'topics' });
  }
  for (const topic of options.topics) validateTopicName(topic);
  const handlers = [options.handler, options.partitionBatchesHandler].filter(
    (handler) => handler !== undefined,
  );
  if (handlers.length !== 1 || typeof handlers[0] !== 'function') {
    throw new ValidationError('subscribe needs one handler: handler or partitionBatchesHandler', {
      field: 'handler',
    });
  }
  const size = options.batchSizeMax ?? consumeBatchSizeDefault;
  if (!Number.isInteger(size) || size < 1 || size > consumeBatchSizeMax) {
    throw new ValidationError(`batchSizeMax must be an integer from 1 to ${consumeBatchSizeMax}`, {
      field: 'batchSizeMax',
    });
  }
}

/**
 * Kafka's murmur2 hash (the Java client's `Utils.murmur2`), so both adapters, and Kafka clients in
 * other languages, put a key on the same partition.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length4 * 4;
  const rest = length % 4;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key: Kafka's default partitioner (positive murmur2 modulo the count). */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
