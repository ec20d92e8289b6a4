/**
 * Kafka Produce requests (versions 7 to 11) written straight into one buffer: every partition's
 * record batch (format v2: varints, CRC32C) is laid out in place, so a record costs its varints and
 * one copy of its key, value and header bytes. @platformatic/kafka's own encoder builds about 13
 * small Buffers per record and copies each twice, which was the largest single cost of ingest-api's
 * batched path (docs/benchmarks.md). The bytes are the client's own (kafka-produce-request.test.ts
 * compares them with its encoder); only the encoding is ours.
 */
import { crc32c } from '@platformatic/kafka';
import type { EncodedMessage } from './port.js';

/** Produce versions this encoder writes; 9 and later are "flexible" (compact fields, tags). */
export const produceVersionMin = 7;
export const produceVersionMax = 11;
const flexibleVersionMin = 9;

/** The record batch format this encoder writes (magic byte). */
const recordBatchMagic = 2;
/** Bytes of a record batch before its first record (baseOffset to the record count). */
const recordBatchHeaderBytes = 61;
/** Offset of the attributes field in a batch: the CRC covers from there to the batch's end. */
const crcStartOffset = 21;

/** One partition's records, in order, and the idempotent sequence of its first record. */
export interface PartitionRecords {
  partition: number;
  messages: readonly EncodedMessage[];
  firstSequence: number;
}

export interface TopicRecords {
  topic: string;
  partitions: readonly PartitionRecords[];
}

export interface ProduceRequestOptions {
  /** The negotiated Produce version, produceVersionMin to produceVersionMax. */
  version: number;
  acks: number;
  timeoutMs: number;
  producerId: bigint;
  producerEpoch: number;
  /** Every record's timestamp (ms since the epoch): the batch's first and max timestamp. */
  timestamp: bigint;
}

/** Header names kept encoded (a producer sends the same few names on every message). */
export const headerNamesCachedMax = 256;
const headerNames = new Map<string, Buffer>();

/** A header name as bytes, from the cache when it was seen before. */
export function headerNameBytes(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (headerNames.size < headerNamesCachedMax) headerNames.set(name, bytes);
  }
  return bytes;
}

/** Bytes of `value` as an unsigned varint (value < 2^31). */
function uvarintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Bytes of a non-negative `value` as a zigzag varint (Kafka's signed varint). */
function varintSize(value: number): number {
  return uvarintSize(value * 2);
}

function writeUvarint(buffer: Buffer, value: number, at: number): number {
  while (value >= 0x80) {
    buffer[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[at++] = value;
  return at;
}

/** A non-negative value as a zigzag varint: zigzag(n) = 2n for n >= 0. */
function writeVarint(buffer: Buffer, value: number, at: number): number {
  return writeUvarint(buffer, value * 2, at);
}

/** Bytes of one record's body (after its own length varint). */
function recordBodySize(message: EncodedMessage, offsetDelta: number): number {
  const key = message.key.length;
  const value = message.value.length;
  // attributes (1) and timestampDelta 0 (1)
  let size = 2 + varintSize(offsetDelta) + varintSize(key) + key + varintSize(value) + value;
  size += varintSize(message.headers.length);
  for (const [name, headerValue] of message.headers) {
    const nameLength = headerNameBytes(name).length;
    size += varintSize(nameLength) + nameLength + varintSize(headerValue.length);
    size += headerValue.length;
  }
  return size;
}

/** Bytes of one partition's record batch, filling `bodySizes` with each record's body size. */
function recordBatchSize(messages: readonly EncodedMessage[], bodySizes: number[]): number {
  let size = recordBatchHeaderBytes;
  for (let i = 0; i < messages.length; i++) {
    const body = recordBodySize(messages[i]!, i);
    bodySizes.push(body);
    size += varintSize(body) + body;
  }
  return size;
}

function writeBytes(buffer: Buffer, bytes: Buffer, at: number): number {
  buffer.set(bytes, at);
  return at + bytes.length;
}

/**
 * Writes one record batch at `at` (its size is known: `batchSize`) and returns where it ends.
 * Every record has timestampDelta 0: the batch's first and max timestamp are `timestamp`.
 */
function writeRecordBatch(
  buffer: Buffer,
  at: number,
  batchSize: number,
  records: PartitionRecords,
  bodySizes: readonly number[],
  bodyIndex: number,
  options: ProduceRequestOptions,
): number {
  const start = at;
  const count = records.messages.length;
  buffer.writeBigInt64BE(0n, at); // baseOffset: the broker assigns it
  buffer.writeInt32BE(batchSize - 12, at + 8); // batchLength: after baseOffset and itself
  buffer.writeInt32BE(0, at + 12); // partitionLeaderEpoch (the client's value)
  buffer[at + 16] = recordBatchMagic;
  // CRC at at + 17, written last
  buffer.writeInt16BE(0, at + crcStartOffset); // attributes: no compression, not transactional
  buffer.writeInt32BE(count - 1, at + 23); // lastOffsetDelta
  buffer.writeBigInt64BE(options.timestamp, at + 27);
  buffer.writeBigInt64BE(options.timestamp, at + 35);
  buffer.writeBigInt64BE(options.producerId, at + 43);
  buffer.writeInt16BE(options.producerEpoch, at + 51);
  buffer.writeInt32BE(records.firstSequence, at + 53);
  buffer.writeInt32BE(count, at + 57);
  at += recordBatchHeaderBytes;
  for (let i = 0; i < count; i++) {
    const message = records.messages[i]!;
    at = writeVarint(buffer, bodySizes[bodyIndex + i]!, at);
    buffer[at++] = 0; // attributes
    buffer[at++] = 0; // timestampDelta
    at = writeVarint(buffer, i, at); // offsetDelta
    at = writeVarint(buffer, message.key.length, at);
    at = writeBytes(buffer, message.key, at);
    at = writeVarint(buffer, message.value.length, at);
    at = writeBytes(buffer, message.value, at);
    at = writeVarint(buffer, message.headers.length, at);
    for (const [name, headerValue] of message.headers) {
      const nameBytes = headerNameBytes(name);
      at = writeVarint(buffer, nameBytes.length, at);
      at = writeBytes(buffer, nameBytes, at);
      at = writeVarint(buffer, headerValue.length, at);
      at = writeBytes(buffer, headerValue, at);
    }
  }
  if (at - start !== batchSize) {
    throw new Error(`record batch encoder wrote ${at - start} bytes, expected ${batchSize}`);
  }
  buffer.writeUInt32BE(crc32c(buffer.subarray(start + crcStartOffset, at)), start + 17);
  return at;
}

/**
 * The body of a Produce request (what follows the request header) for `topics`, in one buffer.
 * Partitions must be non-empty; the records of each go out in the given order, as one batch.
 */
export function encodeProduceRequest(
  topics: readonly TopicRecords[],
  options: ProduceRequestOptions,
): Buffer {
  const { version } = options;
  if (!Number.isInteger(version) || version < produceVersionMin || version > produceVersionMax) {
    throw new RangeError(`Produce version ${version} is not one this encoder writes`);
  }
  const flexible = version >= flexibleVersionMin;
  // Pass one: every size (each record body's size kept for pass two).
  const bodySizes: number[] = [];
  const batchSizes: number[] = [];
  const topicNames: Buffer[] = [];
  let size = (flexible ? 1 : 2) + 2 + 4 + (flexible ? uvarintSize(topics.length + 1) : 4);
  for (const topic of topics) {
    const name = Buffer.from(topic.topic, 'utf8');
    topicNames.push(name);
    size += (flexible ? uvarintSize(name.length + 1) : 2) + name.length;
    size += flexible ? uvarintSize(topic.partitions.length + 1) : 4;
    for (const records of topic.partitions) {
      if (records.messages.length === 0) throw new RangeError('a partition has no records');
      const batch = recordBatchSize(records.messages, bodySizes);
      batchSizes.push(batch);
      size += 4 + (flexible ? uvarintSize(batch + 1) + 1 : 4) + batch;
    }
    if (flexible) size += 1;
  }
  if (flexible) size += 1;

  // Pass two: write.
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  if (flexible)
    buffer[at++] = 0; // transactional_id: null (compact)
  else at = buffer.writeInt16BE(-1, at);
  at = buffer.writeInt16BE(options.acks, at);
  at = buffer.writeInt32BE(options.timeoutMs, at);
  at = flexible
    ? writeUvarint(buffer, topics.length + 1, at)
    : buffer.writeInt32BE(topics.length, at);
  let batchIndex = 0;
  let bodyIndex = 0;
  for (const [t, topic] of topics.entries()) {
    const name = topicNames[t]!;
    at = flexible
      ? writeUvarint(buffer, name.length + 1, at)
      : buffer.writeInt16BE(name.length, at);
    at = writeBytes(buffer, name, at);
    at = flexible
      ? writeUvarint(buffer, topic.partitions.length + 1, at)
      : buffer.writeInt32BE(topic.partitions.length, at);
    for (const records of topic.partitions) {
      const batch = batchSizes[batchIndex++]!;
      at = buffer.writeInt32BE(records.partition, at);
      at = flexible ? writeUvarint(buffer, batch + 1, at) : buffer.writeInt32BE(batch, at);
      at = writeRecordBatch(buffer, at, batch, records, bodySizes, bodyIndex, options);
      bodyIndex += records.messages.length;
      if (flexible) buffer[at++] = 0; // partition tags
    }
    if (flexible) buffer[at++] = 0; // topic tags
  }
  if (flexible) buffer[at++] = 0; // request tags
  if (at !== size) throw new Error(`produce encoder wrote ${at} bytes, expected ${size}`);
  return buffer;
}
