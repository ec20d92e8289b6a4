/**
 * The outbox relay: reads committed outbox rows in sequence order, publishes them to the event log
 * and marks them published only after `send` resolved (the log has them durably). A crash between
 * the two re-publishes the same rows with the same event ids on restart: at-least-once, and
 * consumers dedupe on the id. Each topic's rows are sent in sequence order, so one user's events
 * on a topic (same key, same partition) keep their commit order.
 *
 * Several instances on one database: give each relay a `lease` owner. Only the holder of the
 * `outbox-relay` lease (a row in `leases`) publishes; it renews the lease as it goes and gives it up
 * on stop; the others poll, and take over once it expired (a holder that died) or was released.
 * Should a holder stall past its lease (a pause longer than the TTL) while another took over, both
 * may send the same rows once: still at-least-once with stable ids, which consumers dedupe.
 */
import type { EventLog, OutgoingMessage } from '@spendstream/core/event-log';
import { eventHeaders } from '@spendstream/core/events';
import type { UnitOfWork } from '../../stores.js';
import type { PendingOutboxEvent } from './store.js';

/** Rows read and published per round. */
export const relayBatchSizeMax = 500;
/** Pause between rounds when the outbox was empty. */
export const relayIdlePollMs = 50;
/** Pause after a round that found fewer rows than a full batch, so the next one carries more. */
export const relayGatherMs = 25;
/** Pause after a failed round (log unavailable), doubling up to `relayBackoffMsMax`. */
export const relayBackoffMsMin = 100;
export const relayBackoffMsMax = 5_000;
/** Published rows are kept this long for audit, then purged. */
export const outboxRetentionMs = 7 * 24 * 3600 * 1000;
/** Purged per round. */
export const outboxPurgeBatchMax = 1_000;
/** The lease that makes one relay run per database. */
export const relayLeaseName = 'outbox-relay';
/** How long a relay holds the lease without renewing it; a dead holder is replaced after this. */
export const relayLeaseTtlMsDefault = 10_000;
/** Longest pause between a standby relay's attempts to take the lease. */
export const relayStandbyPollMsMax = 1_000;

export interface OutboxRelayOptions {
  uow: UnitOfWork;
  eventLog: Pick<EventLog, 'send'>;
  onError?: (error: unknown) => void;
  /** Other housekeeping to run now and then when idle (expired idempotency keys). */
  whenIdle?: () => Promise<unknown>;
  now?: () => number;
  /** Rows per round; default and most `relayBatchSizeMax`. */
  batchSize?: number;
  /**
   * Publish only while holding the relay lease as `owner` (unique per instance); without it the
   * relay assumes it is alone.
   */
  lease?: { owner: string; ttlMs?: number };
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
  const lease = options.lease;
  const leaseTtlMs = lease?.ttlMs ?? relayLeaseTtlMsDefault;
  const standbyPollMs = Math.min(relayStandbyPollMsMax, Math.max(10, leaseTtlMs / 4));
  /** Until when this relay surely holds the lease, by its own clock (0: not held). */
  let heldUntil = 0;

  /** Take or renew the lease when a third of it has passed; true while this relay holds it. */
  async function holdsLease(): Promise<boolean> {
    if (lease === undefined) return true;
    const at = now();
    if (heldUntil - at > (leaseTtlMs * 2) / 3) return true;
    const held = await options.uow.transaction((s) =>
      s.leases.acquire(relayLeaseName, lease.owner, at, leaseTtlMs),
    );
    heldUntil = held ? at + leaseTtlMs : 0;
    return held;
  }

  async function runOnce(): Promise<number> {
    if (!(await holdsLease())) return 0;
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
        if (!(await holdsLease())) {
          // Another instance relays; try again shortly (it may die or stop).
          await sleep(standbyPollMs);
          continue;
        }
        const sent = await runOnce();
        backoff = relayBackoffMsMin;
        // A round that found less than a full batch waits a moment for more rows: fewer, larger
        // rounds (each marks its rows in one committed UPDATE, an fsync the movements' own commits
        // would otherwise queue behind), at most `relayGatherMs` more latency per event.
        if (sent > 0 && sent < batchSize) await sleep(relayGatherMs);
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
      if (lease !== undefined && heldUntil > 0) {
        heldUntil = 0;
        // Hand over at once rather than after the TTL.
        await options.uow.transaction((s) => s.leases.release(relayLeaseName, lease.owner));
      }
    },
  };
}
