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

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  /** Where a group with no committed offset starts: every retained message, or only new ones.
   * Default `earliest`, so a new stream job misses nothing. */
  from?: 'earliest' | 'latest';
  /** Most messages per batch; default `consumeBatchSizeDefault`. */
  batchSizeMax?: number;
  /** A member silent for this long is dropped from its group and its partitions move on. */
  sessionTimeoutMs?: number;
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
 * PayloadTooLargeError naming the message index. */
export function encodeMessages(messages: OutgoingMessage[]): EncodedMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ValidationError('send needs at least one message', { field: 'messages' });
  }
  if (messages.length > sendBatchSizeMax) {
    throw new ValidationError(
      `send takes at most ${sendBatchSizeMax} messages (sendBatchSizeMax), got ${messages.length}`,
      { field: 'messages' },
    );
  }
  return messages.map((message, index) => {
    if (typeof message.key !== 'string') {
      throw new ValidationError('message key must be a string', { field: `messages.${index}.key` });
    }
    if (typeof message.value !== 'string' && !Buffer.isBuffer(message.value)) {
      throw new ValidationError('message value must be a Buffer or a string', {
        field: `messages.${index}.value`,
      });
    }
    const key = Buffer.from(message.key, 'utf8');
    const value =
      typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value;
    const headerEntries = Object.entries(message.headers ?? {});
    if (headerEntries.length > headersPerMessageMax) {
      throw new ValidationError(`a message has at most ${headersPerMessageMax} headers`, {
        field: `messages.${index}.headers`,
      });
    }
    let bytes = key.length + value.length;
    const headers: [string, Buffer][] = headerEntries.map(([name, headerValue]) => {
      const encoded =
        typeof headerValue === 'string' ? Buffer.from(headerValue, 'utf8') : headerValue;
      if (!Buffer.isBuffer(encoded)) {
        throw new ValidationError('header values must be Buffers or strings', {
          field: `messages.${index}.headers.${name}`,
        });
      }
      bytes += Buffer.byteLength(name, 'utf8') + encoded.length;
      return [name, encoded];
    });
    if (bytes > messageBytesMax) {
      throw new PayloadTooLargeError(
        `message ${index} is ${bytes} bytes; the limit is ${messageBytesMax} (messageBytesMax)`,
        { field: `messages.${index}` },
      );
    }
    return { key, value, headers };
  });
}

export function validateSubscribeOptions(options: SubscribeOptions): void {
  validateGroupId(options.groupId);
  if (!Array.isArray(options.topics) || options.topics.length === 0) {
    throw new ValidationError('subscribe needs at least one topic', { field: 'topics' });
  }
  for (const topic of options.topics) validateTopicName(topic);
  if (typeof options.handler !== 'function') {
    throw new ValidationError('subscribe needs a handler', { field: 'handler' });
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
