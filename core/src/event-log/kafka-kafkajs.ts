/**
 * The Kafka event log on kafkajs 2: the candidate measured against @platformatic/kafka.
 */
import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer as KafkajsConsumer,
  type Producer,
} from 'kafkajs';
import { ConflictError, NotFoundError, UnavailableError } from '../errors.js';
import {
  consumeBatchSizeDefault,
  encodeMessages,
  partitionForKey,
  validatePartitionCount,
  validateSubscribeOptions,
  validateTopicName,
  type Consumer,
  type EventLog,
  type MessageBatch,
  type OutgoingMessage,
  type SubscribeOptions,
} from './port.js';
import {
  kafkaProduceRequestBytesMax,
  kafkaRequestTimeoutMs,
  kafkaSessionTimeoutMsDefault,
  type KafkaEventLogOptions,
} from './kafka.js';

export function createKafkajsEventLog(options: KafkaEventLogOptions): EventLog {
  return new KafkajsEventLog(options);
}

class KafkajsEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private readonly partitionCounts = new Map<string, number>();
  private readonly consumers = new Set<KafkajsGroupConsumer>();
  private closed = false;

  constructor(private readonly options: KafkaEventLogOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      requestTimeout: kafkaRequestTimeoutMs,
    });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      maxInFlightRequests: 1,
    });
  }

  private connect(): Promise<void> {
    if (this.closed) throw new ConflictError('the event log is closed');
    this.connected ??= Promise.all([this.admin.connect(), this.producer.connect()]).then(
      () => undefined,
    );
    return this.connected;
  }

  async createTopic(name: string, options: { partitions: number }): Promise<void> {
    validateTopicName(name);
    validatePartitionCount(options.partitions);
    await this.connect();
    const created = await this.admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: options.partitions,
          replicationFactor: this.options.replicationFactor ?? 1,
        },
      ],
      waitForLeaders: true,
    });
    if (!created) {
      const existing = await this.partitionCount(name, true);
      if (existing !== options.partitions) {
        throw new ConflictError(
          `topic ${name} exists with ${existing} partitions, not ${options.partitions}`,
        );
      }
    }
    this.partitionCounts.set(name, options.partitions);
  }

  private async partitionCount(topic: string, force = false): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached !== undefined && !force) return cached;
    await this.connect();
    let count: number | undefined;
    try {
      const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
      count = metadata.topics[0]?.partitions.length;
    } catch (error) {
      if (!/does not host this topic|unknown topic/i.test(String(error))) throw error;
    }
    if (count === undefined)
      throw new NotFoundError(`topic ${topic} does not exist`, { field: 'topic' });
    this.partitionCounts.set(topic, count);
    return count;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    validateTopicName(topic);
    const encoded = encodeMessages(messages);
    const partitions = await this.partitionCount(topic);
    let chunk: {
      key: Buffer;
      value: Buffer;
      partition: number;
      headers: Record<string, Buffer>;
    }[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const request = chunk;
      chunk = [];
      bytes = 0;
      try {
        await this.producer.send({ topic, acks: -1, messages: request });
      } catch (error) {
        throw new UnavailableError(`Kafka send failed: ${String(error)}`, 1, { cause: error });
      }
    };
    for (const m of encoded) {
      const size =
        m.key.length + m.value.length + m.headers.reduce((n, [k, v]) => n + k.length + v.length, 0);
      if (bytes + size > kafkaProduceRequestBytesMax) await flush();
      chunk.push({
        key: m.key,
        value: m.value,
        partition: partitionForKey(m.key, partitions),
        headers: Object.fromEntries(m.headers),
      });
      bytes += size;
    }
    await flush();
  }

  async subscribe(options: SubscribeOptions): Promise<Consumer> {
    validateSubscribeOptions(options);
    for (const topic of options.topics) await this.partitionCount(topic);
    const consumer = new KafkajsGroupConsumer(this.kafka, options);
    this.consumers.add(consumer);
    void consumer.stopped.then(() => this.consumers.delete(consumer));
    await consumer.start();
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    if (this.connected) {
      await this.connected.catch(() => undefined);
      await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
    }
  }
}

class KafkajsGroupConsumer implements Consumer {
  readonly stopped: Promise<unknown>;
  private resolveStopped!: (reason: unknown) => void;
  private readonly client: KafkajsConsumer;
  private assigned: { topic: string; partition: number }[] = [];
  private failure: unknown;
  private failed = false;
  private finishing: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: SubscribeOptions,
  ) {
    const sessionTimeout = options.sessionTimeoutMs ?? kafkaSessionTimeoutMsDefault;
    this.client = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout,
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 3)),
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { retries: 3 },
    });
    this.stopped = new Promise((r) => (this.resolveStopped = r));
  }

  assignment(): { topic: string; partition: number }[] {
    return this.assigned.map((p) => ({ ...p }));
  }

  async start(): Promise<void> {
    const joined = new Promise<void>((resolveJoined) => {
      this.client.on(this.client.events.GROUP_JOIN, (event) => {
        this.assigned = Object.entries(event.payload.memberAssignment).flatMap(
          ([topic, partitions]) => partitions.map((partition) => ({ topic, partition })),
        );
        resolveJoined();
      });
    });
    this.client.on(this.client.events.CRASH, (event) => void this.finish(event.payload.error));
    await this.client.connect();
    await this.client.subscribe({
      topics: [...new Set(this.options.topics)],
      fromBeginning: this.options.from !== 'latest',
    });
    const batchSizeMax = this.options.batchSizeMax ?? consumeBatchSizeDefault;
    await this.client.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length && !this.failed; i += batchSizeMax) {
          if (!isRunning() || isStale()) return;
          const slice = batch.messages.slice(i, i + batchSizeMax);
          const out: MessageBatch = {
            topic: batch.topic,
            partition: batch.partition,
            messages: slice.map((m) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: BigInt(m.offset),
              key: m.key?.toString('utf8') ?? '',
              value: m.value ?? Buffer.alloc(0),
              headers: Object.fromEntries(
                Object.entries(m.headers ?? {}).map(([k, v]) => [
                  k,
                  Buffer.isBuffer(v) ? v : Buffer.from(String(v)),
                ]),
              ),
            })),
          };
          try {
            await this.options.handler(out);
          } catch (error) {
            // Stop without committing; leaving the group hands the batch to another member.
            this.failed = true;
            this.failure = error;
            setImmediate(() => void this.finish(error));
            return;
          }
          const last = slice[slice.length - 1]!.offset;
          await this.client.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(last) + 1n).toString(),
            },
          ]);
          resolveOffset(last);
          await heartbeat();
        }
      },
    });
    await Promise.race([joined, this.stopped]);
  }

  private finish(reason: unknown): Promise<void> {
    this.failed = true;
    this.finishing ??= (async () => {
      try {
        await this.client.disconnect().catch(() => undefined);
      } finally {
        this.assigned = [];
        this.resolveStopped(reason);
      }
    })();
    return this.finishing;
  }

  async close(): Promise<void> {
    await this.finish(this.failure);
    await this.stopped;
  }
}
