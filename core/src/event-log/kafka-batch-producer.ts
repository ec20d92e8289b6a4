/**
 * An idempotent Kafka producer that sends record batches encoded by kafka-produce-request.ts.
 * It is a @platformatic/kafka Producer (its connections, metadata, producer id and retries, all
 * through the client's own protected members), with its own send: one produce request per leader,
 * written into one buffer. The sequence of each partition moves on only when the broker accepted
 * the request, so a request retried after a timeout carries the same sequence and the broker
 * drops it as a duplicate instead of writing it twice.
 */
import {
  GenericError,
  ProduceAcks,
  type Base,
  type ProducerOptions,
  Producer,
  Writer,
  kGetApi,
  kGetConnection,
  kMetadata,
  kPerformWithRetry,
  produceV7,
  produceV8,
  produceV9,
  produceV10,
  produceV11,
  type API,
  type ClusterMetadata,
} from '@platformatic/kafka';
import {
  encodeProduceRequest,
  produceVersionMax,
  produceVersionMin,
  type TopicRecords,
} from './kafka-produce-request.js';
import type { EncodedMessage } from './port.js';

/** Kafka's record sequences are int32 and wrap to 0 after the largest. */
const sequenceModulus = 2 ** 31;
/** The produce API's key in Kafka's protocol. */
const produceApiKey = 0;

/** The client's Produce modules by version: their response parsers read our requests' answers
 * (and the encoder's test compares our bytes with their request encoders). */
export const clientProduceApis = {
  7: produceV7,
  8: produceV8,
  9: produceV9,
  10: produceV10,
  11: produceV11,
} as const;
type ProduceVersion = keyof typeof clientProduceApis;

/**
 * Longest a client's close() may take (its sockets end gracefully: pending writes flushed) before
 * its sockets are destroyed, so a broker that stopped reading cannot hold the close open.
 */
export const kafkaClientCloseMsMax = 5_000;

/** Retry checks already extended by `closedAware` (the client passes its check on to each
 * retry, which would otherwise wrap it once more per attempt). */
const closedAwareChecks = new WeakSet<(error: Error) => boolean>();

/**
 * Makes `client` refuse any retry once it is closed, and returns it. Why: the client cancels a
 * retry that is waiting when close() runs, but a request in flight at close() fails afterwards
 * (its connection closed) and is retried then, after the close already happened; each retry fails
 * again ("Connection pool is closed", retriable), and an idempotent producer's retries are
 * unbounded (the client sets Number.MAX_SAFE_INTEGER), so a 1 s timer came back for ever and the
 * process never exited. The client calls its own `kPerformWithRetry` through `this`, for its
 * first attempt and every retry, so the instance's replacement sees them all.
 */
export function refuseRetriesOnceClosed<T extends Base>(client: T): T {
  const perform = client[kPerformWithRetry].bind(client);
  client[kPerformWithRetry] = (
    operationId,
    operation,
    callback,
    attempt,
    errors,
    shouldSkipRetry,
  ) =>
    perform(
      operationId,
      operation,
      callback,
      attempt,
      errors,
      closedAware(client, shouldSkipRetry),
    );
  return client;
}

/** `shouldSkipRetry` extended to skip every retry once `client` is closed. */
function closedAware(
  client: Base,
  shouldSkipRetry: ((error: Error) => boolean) | undefined,
): (error: Error) => boolean {
  if (shouldSkipRetry && closedAwareChecks.has(shouldSkipRetry)) return shouldSkipRetry;
  // An arrow passed on, not a named const: under tsx (esbuild's keepNames) a named closure costs
  // a defineProperty, about 0.6 us, each time it is made (here on every request and retry).
  return remembered(
    (error: Error): boolean => client.closed || (shouldSkipRetry?.(error) ?? false),
  );
}

/** Adds a check to closedAwareChecks and returns it. */
function remembered(check: (error: Error) => boolean): (error: Error) => boolean {
  closedAwareChecks.add(check);
  return check;
}

/**
 * Closes a client, destroying its sockets if the graceful close takes longer than `closeMsMax`;
 * resolves either way (a close that fails has nothing left to do for the caller).
 */
export async function closeClientWithin(
  client: Base,
  closeMsMax = kafkaClientCloseMsMax,
): Promise<void> {
  const sockets = [...client.connections].map(([, connection]) => connection.socket);
  let timer: NodeJS.Timeout | undefined;
  const closedInTime = await Promise.race([
    client.close().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), closeMsMax);
    }),
  ]);
  clearTimeout(timer);
  if (!closedInTime) for (const socket of sockets) socket?.destroy();
}

/** One partition's messages for `produce`, in order. */
export interface PartitionMessages {
  topic: string;
  partition: number;
  messages: readonly EncodedMessage[];
}

export class RecordBatchProducer extends Producer {
  readonly #sequences = new Map<string, number>();
  /** The producer id and epoch the sequences belong to. */
  #sequencesOwner = '';
  #version: ProduceVersion | undefined;
  /** Set when a produce failed: the next one starts under a new producer id (see `produce`). */
  #renewProducerId = false;
  /** A produce is running: a second one at the same time would reuse its sequences. */
  #producing = false;

  constructor(options: ProducerOptions<Buffer, Buffer, Buffer, Buffer>) {
    super(options);
    refuseRetriesOnceClosed(this);
  }

  /**
   * Sends each partition's messages as one record batch (acks=all), one request per leader, and
   * resolves when every leader accepted its part. A partition must appear once per call.
   * Rejects with the client's error when a request failed after its retries; partitions whose
   * leader accepted stay written. After a failure the next call asks for a new producer id: the
   * failed request may have been written in part, and its sequences would otherwise be refused as
   * out of order (or a different batch taken for its duplicate) on every later request.
   * One call at a time: a call while another runs is refused (its requests would carry the
   * sequences the running one holds); KafkaEventLog's lanes give each producer one caller.
   */
  async produce(partitions: readonly PartitionMessages[], timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error('the producer is closed');
    if (this.#producing) throw new Error('RecordBatchProducer.produce runs one call at a time');
    this.#producing = true;
    try {
      await this.#produce(partitions, timeoutMs);
    } finally {
      this.#producing = false;
    }
  }

  async #produce(partitions: readonly PartitionMessages[], timeoutMs: number): Promise<void> {
    if (this.producerId === undefined || this.#renewProducerId) {
      await this.initIdempotentProducer({});
      this.#renewProducerId = false;
    }
    const owner = `${this.producerId}:${this.producerEpoch}`;
    if (owner !== this.#sequencesOwner) {
      this.#sequences.clear();
      this.#sequencesOwner = owner;
    }
    const version = this.#version ?? (this.#version = await this.#produceVersion());
    try {
      await this.#produceToLeaders(partitions, version, timeoutMs, true);
    } catch (error) {
      this.#renewProducerId = true;
      throw error;
    }
  }

  async #produceVersion(): Promise<ProduceVersion> {
    const api = await new Promise<API<unknown[], unknown>>((resolve, reject) =>
      this[kGetApi]<unknown[], unknown>('Produce', (error, found) =>
        error || !found ? reject(error ?? new Error('no Produce API')) : resolve(found),
      ),
    );
    // The client picks the newest version both it and the broker know (7 to 11 in 1.x).
    if (api.version < produceVersionMin || api.version > produceVersionMax) {
      throw new Error(
        `the broker's Produce version ${api.version} is not one this producer writes`,
      );
    }
    return api.version as ProduceVersion;
  }

  #metadataOf(topics: string[]): Promise<ClusterMetadata> {
    return new Promise((resolve, reject) =>
      this[kMetadata]({ topics, autocreateTopics: false }, (error, metadata) =>
        error || !metadata ? reject(error ?? new Error('no metadata')) : resolve(metadata),
      ),
    );
  }

  async #produceToLeaders(
    partitions: readonly PartitionMessages[],
    version: ProduceVersion,
    timeoutMs: number,
    repeatOnStaleMetadata: boolean,
  ): Promise<void> {
    const metadata = await this.#metadataOf([...new Set(partitions.map((p) => p.topic))]);
    const byLeader = new Map<number, PartitionMessages[]>();
    const seen = new Set<string>();
    for (const part of partitions) {
      const key = `${part.topic}:${part.partition}`;
      if (seen.has(key)) throw new Error(`${key} appears twice in one produce call`);
      seen.add(key);
      const leader = metadata.topics.get(part.topic)?.partitions[part.partition]?.leader;
      if (leader === undefined) {
        throw new Error(`no leader known for ${part.topic} partition ${part.partition}`);
      }
      const list = byLeader.get(leader) ?? [];
      list.push(part);
      byLeader.set(leader, list);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, parts]) => {
        try {
          await this.#produceToLeader(metadata, leader, parts, version, timeoutMs, {
            repeatOnStaleMetadata,
          });
        } catch (error) {
          // A moved leader: refresh the metadata and send these partitions once more.
          if (!repeatOnStaleMetadata || !hasStaleMetadata(error)) throw error;
          this.clearMetadata();
          await this.#produceToLeaders(parts, version, timeoutMs, false);
        }
      }),
    );
  }

  async #produceToLeader(
    metadata: ClusterMetadata,
    leader: number,
    parts: readonly PartitionMessages[],
    version: ProduceVersion,
    timeoutMs: number,
    { repeatOnStaleMetadata }: { repeatOnStaleMetadata: boolean },
  ): Promise<void> {
    const broker = metadata.brokers.get(leader);
    if (!broker) throw new Error(`broker ${leader} is not in the metadata`);
    const topics = new Map<string, TopicRecords['partitions'][number][]>();
    for (const part of parts) {
      const list = topics.get(part.topic) ?? [];
      list.push({
        partition: part.partition,
        messages: part.messages,
        firstSequence: this.#sequences.get(`${part.topic}:${part.partition}`) ?? 0,
      });
      topics.set(part.topic, list);
    }
    // Encoded once: a retry sends the same bytes (same sequences), which the broker deduplicates.
    const body = encodeProduceRequest(
      [...topics].map(([topic, records]) => ({ topic, partitions: records })),
      {
        version,
        acks: ProduceAcks.ALL,
        timeoutMs,
        producerId: this.producerId!,
        producerEpoch: this.producerEpoch!,
        timestamp: BigInt(Date.now()),
      },
    );
    const flexible = version >= 9;
    await new Promise<void>((resolve, reject) => {
      this[kPerformWithRetry]<unknown>(
        'produce',
        (retry) => {
          this[kGetConnection](broker, (error, connection) => {
            if (error || !connection) {
              retry(error ?? new Error('no connection'));
              return;
            }
            connection.send(
              produceApiKey,
              version,
              () => Writer.create().append(body),
              clientProduceApis[version].parseResponse,
              flexible,
              flexible,
              retry,
            );
          });
        },
        (error) => (error ? reject(error) : resolve()),
        0,
        [],
        // The first attempt hands a moved leader back to #produceToLeaders at once (fresh
        // metadata, then this once more); that repeat retries it with the client's delay, as the
        // client's own send does: right after a topic is created its leaders may still be being
        // elected, and an immediate second try failed with NOT_LEADER_OR_FOLLOWER.
        (error) => repeatOnStaleMetadata && hasStaleMetadata(error),
      );
    });
    for (const part of parts) {
      const key = `${part.topic}:${part.partition}`;
      const next = ((this.#sequences.get(key) ?? 0) + part.messages.length) % sequenceModulus;
      this.#sequences.set(key, next);
    }
  }
}

function hasStaleMetadata(error: unknown): boolean {
  if (!(error instanceof Error) || !GenericError.isGenericError(error)) return false;
  return (error as GenericError).findBy('hasStaleMetadata', true) !== null;
}
