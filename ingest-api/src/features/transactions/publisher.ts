/**
 * Group commit in front of the event log: concurrent requests' messages are coalesced into one send,
 * with one send in flight at a time. One round trip (acks=all) then covers many requests, which is
 * what makes single-transaction requests fast; and a single in-flight send keeps the idempotent
 * Kafka producer's sequence numbers in order (concurrent sends on one producer were seen to fail
 * with "out of order sequence number").
 */
import { UnavailableError } from '@spendstream/core/errors';
import { sendBatchSizeMax, type EventLog, type OutgoingMessage } from '@spendstream/core/event-log';

/** Most bytes of message values in one coalesced send (Kafka produce requests stay well below 1 MiB per partition batch). */
export const coalescedBytesMax = 4 * 1024 * 1024;

interface Waiter {
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Set when the caller stopped waiting before its messages were taken: they are not sent. */
  abandoned: boolean;
}

export interface Publisher {
  /**
   * Resolves once the log acknowledged these messages. Rejects with UnavailableError after
   * `timeoutMs` (the messages may still be written later if they were already handed to the log).
   */
  publish(messages: OutgoingMessage[], timeoutMs: number): Promise<void>;
  /** How long the send in flight has been waiting, in ms (0 when none). */
  inFlightForMs(): number;
}

export function createPublisher(
  log: EventLog,
  topic: string,
  now: () => number = Date.now,
): Publisher {
  const queue: Waiter[] = [];
  let inFlightSince = 0;
  let running = false;

  const size = (m: OutgoingMessage) =>
    (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) +
    Buffer.byteLength(m.key);

  async function pump(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        // Take whole requests up to the bounds; a request is never split across sends.
        const taken: Waiter[] = [];
        let count = 0;
        let bytes = 0;
        while (queue.length > 0) {
          const next = queue[0]!;
          if (next.abandoned) {
            queue.shift();
            continue;
          }
          if (
            taken.length > 0 &&
            (count + next.messages.length > sendBatchSizeMax ||
              bytes + next.bytes > coalescedBytesMax)
          )
            break;
          queue.shift();
          taken.push(next);
          count += next.messages.length;
          bytes += next.bytes;
        }
        if (taken.length === 0) continue;
        inFlightSince = now();
        try {
          await log.send(
            topic,
            taken.flatMap((w) => w.messages),
          );
          for (const w of taken) w.resolve();
        } catch (error) {
          for (const w of taken) w.reject(error);
        } finally {
          inFlightSince = 0;
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    publish(messages, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const waiter: Waiter = {
          messages,
          bytes: messages.reduce((n, m) => n + size(m), 0),
          abandoned: false,
          resolve: () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve();
          },
          reject: (error) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiter.abandoned = true;
          waiter.reject(
            new UnavailableError(
              `the event log did not acknowledge within ${timeoutMs} ms; nothing was accepted, retry`,
              1,
            ),
          );
        }, timeoutMs);
        queue.push(waiter);
        void pump();
      });
    },
    inFlightForMs: () => (inFlightSince === 0 ? 0 : now() - inFlightSince),
  };
}
