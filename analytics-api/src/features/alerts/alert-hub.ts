/**
 * The live alert feed behind SSE. It polls the alert history for rows after the last one it saw
 * (every `pollIntervalMs`, and at once when `notify` says an alert was just stored) and hands each
 * to the subscribers of its user. Reading the history, not the consumer, makes every instance see
 * every alert whichever instance consumed it, and gives the `seq` that `Last-Event-ID` resumes at.
 *
 * A subscriber resuming after `seq` N is registered first and buffers live alerts while its replay
 * (`after(N)`) is read; then replay and buffer are merged by seq, each alert sent once.
 */
import type { StoredAlert, AlertStore } from './alert-store.js';

/** How often the hub looks for new alerts while anyone listens. */
export const alertPollIntervalMs = 100;
/** Alerts read per poll or replay page. */
export const alertPageSize = 500;
/** Most open streams per user. */
export const streamsPerUserMax = 10;
/** Most open streams per instance. */
export const streamsMax = 10_000;

export interface AlertSubscriber {
  userId: string;
  send(alert: StoredAlert): void;
}

export interface AlertSubscription {
  close(): void;
}

export interface AlertHub {
  /**
   * Subscribe from `lastSeq` (replaying what came after it) or, when undefined, from now.
   * Resolves once the replay has been sent.
   */
  subscribe(subscriber: AlertSubscriber, lastSeq: number | undefined): Promise<AlertSubscription>;
  /** Look for new alerts now (called after storing one). */
  notify(): void;
  /** Number of open subscriptions. */
  size(): number;
  close(): void;
}

interface Entry {
  subscriber: AlertSubscriber;
  lastSent: number;
  buffer: StoredAlert[] | null;
}

export async function createAlertHub(
  store: AlertStore,
  options: { pollIntervalMs?: number } = {},
): Promise<AlertHub> {
  const pollIntervalMs = options.pollIntervalMs ?? alertPollIntervalMs;
  let cursor = await store.latestSeq();
  const entries = new Set<Entry>();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let again = false;
  let closed = false;

  function deliver(entry: Entry, alert: StoredAlert): void {
    if (alert.seq <= entry.lastSent) return;
    entry.lastSent = alert.seq;
    entry.subscriber.send(alert);
  }

  async function pollOnce(): Promise<void> {
    for (;;) {
      const rows = await store.since(cursor, alertPageSize);
      for (const row of rows) {
        cursor = Math.max(cursor, row.seq);
        for (const entry of entries) {
          if (entry.subscriber.userId !== row.userId) continue;
          if (entry.buffer) entry.buffer.push(row);
          else deliver(entry, row);
        }
      }
      if (rows.length < alertPageSize) return;
    }
  }

  function poll(): void {
    if (closed) return;
    if (polling) {
      again = true;
      return;
    }
    polling = pollOnce()
      .catch(() => undefined) // a failed poll is retried on the next tick
      .finally(() => {
        polling = undefined;
        if (again) {
          again = false;
          poll();
        }
      });
  }

  function ensureTimer(): void {
    if (timer || closed) return;
    timer = setInterval(poll, pollIntervalMs);
    timer.unref();
  }

  function stopTimerIfIdle(): void {
    if (entries.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    async subscribe(subscriber, lastSeq) {
      const entry: Entry = {
        subscriber,
        lastSent: lastSeq ?? cursor,
        buffer: lastSeq === undefined ? null : [],
      };
      entries.add(entry);
      ensureTimer();
      if (lastSeq !== undefined) {
        try {
          for (;;) {
            const replay = await store.after(subscriber.userId, entry.lastSent, alertPageSize);
            for (const alert of replay) deliver(entry, alert);
            if (replay.length < alertPageSize) break;
          }
          for (const alert of entry.buffer ?? []) deliver(entry, alert);
        } finally {
          entry.buffer = null;
        }
      }
      return {
        close() {
          entries.delete(entry);
          stopTimerIfIdle();
        },
      };
    },
    notify: poll,
    size: () => entries.size,
    close() {
      closed = true;
      entries.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
