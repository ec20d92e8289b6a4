/**
 * The outbox relay: reads committed outbox rows in sequence order, publishes them to the event log
 * and marks them published only after `send` resolved (the log has them durably). A crash between
 * the two re-publishes the same rows with the same event ids on restart: at-least-once, and
 * consumers dedupe on the id. Each topic's rows are sent in sequence order, so one user's events
 * on a topic (same key, same partition) keep their commit order.
 *
 * Run one relay per database: two would each publish every row (still at-least-once and in order
 * per relay, but doubled work). `main.ts` starts exactly one.
 */
import type { EventLog, OutgoingMessage } from '@spendstream/core/event-log';
import { eventHeaders } from '@spendstream/core/events';
import type { UnitOfWork } from '../../stores.js';
import type { PendingOutboxEvent } from './store.js';

/** Rows read and published per round. */
export const relayBatchSizeMax = 500;
/** Pause between rounds when the outbox was empty. */
export const relayIdlePollMs = 50;
/** Pause after a failed round (log unavailable), doubling up to `relayBackoffMsMax`. */
export const relayBackoffMsMin = 100;
export const relayBackoffMsMax = 5_000;
/** Published rows are kept this long for audit, then purged. */
export const outboxRetentionMs = 7 * 24 * 3600 * 1000;
/** Purged per round. */
export const outboxPurgeBatchMax = 1_000;

export interface OutboxRelayOptions {
  uow: UnitOfWork;
  eventLog: Pick<EventLog, 'send'>;
  onError?: (error: unknown) => void;
  /** Other housekeeping to run now and then when idle (expired idempotency keys). */
  whenIdle?: () => Promise<unknown>;
  now?: () => number;
  /** Rows per round; default and most `relayBatchSizeMax`. */
  batchSize?: number;
}

export interface OutboxRelay {
  /** Publish one batch; returns how many rows went out. */
  runOnce(): Promise<number>;
  /** Publish until the outbox is empty; returns how many rows went out. */
  drain(): Promise<number>;
  /** Start the background loop. */
  start(): void;
  /** Stop the loop after the round in flight. */
  stop(): Promise<void>;
}

function toMessage(event: PendingOutboxEvent): OutgoingMessage {
  return {
    key: event.key,
    value: event.payload,
    headers: { [eventHeaders.id]: event.eventId, [eventHeaders.contentType]: 'application/json' },
  };
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const now = options.now ?? Date.now;
  const batchSize = Math.min(
    Math.max(1, options.batchSize ?? relayBatchSizeMax),
    relayBatchSizeMax,
  );
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  async function runOnce(): Promise<number> {
    const pending = await options.uow.read.outbox.pending(batchSize);
    if (pending.length === 0) return 0;
    // One send per topic, each in sequence order: order matters within a topic's partition (one
    // user's events), never across topics, and a movement writes to two topics, so grouping by
    // topic turns one send per event into one send per topic per round.
    const byTopic = new Map<string, PendingOutboxEvent[]>();
    for (const event of pending) {
      const list = byTopic.get(event.topic);
      if (list) list.push(event);
      else byTopic.set(event.topic, [event]);
    }
    for (const [topic, events] of byTopic)
      await options.eventLog.send(topic, events.map(toMessage));
    await options.uow.transaction((stores) =>
      stores.outbox.markPublished(
        pending.map((e) => e.seq),
        now(),
      ),
    );
    return pending.length;
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await runOnce();
      total += sent;
      if (sent === 0) return total;
    }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function run(): Promise<void> {
    let backoff = relayBackoffMsMin;
    let sincePurge = 0;
    while (running) {
      try {
        const sent = await runOnce();
        backoff = relayBackoffMsMin;
        if (sent === 0) {
          sincePurge += 1;
          // Purge now and then when idle, never in the way of publishing.
          if (sincePurge >= 100) {
            sincePurge = 0;
            await options.uow.transaction((stores) =>
              stores.outbox.purgePublished(now() - outboxRetentionMs, outboxPurgeBatchMax),
            );
            await options.whenIdle?.();
          }
          await sleep(relayIdlePollMs);
        }
      } catch (error) {
        options.onError?.(error);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, relayBackoffMsMax);
      }
    }
  }

  return {
    runOnce,
    drain,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
