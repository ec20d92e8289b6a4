/**
 * Group commit in front of the event log: concurrent requests' messages are coalesced into one send,
 * with a bounded number of sends in flight. One round trip (acks=all) then covers many requests,
 * which is what makes single-transaction requests fast. On Kafka several sends overlap (the log
 * keeps each partition's order through its producer lanes, see core's kafka.ts); on the embedded
 * log one at a time, since each send is a SQLite commit that blocks the event loop and fewer,
 * larger commits are faster.
 */
import { UnavailableError } from '@spendstream/core/errors';
import { sendBatchSizeMax, type EventLog, type OutgoingMessage } from '@spendstream/core/event-log';

/** Most bytes of message values in one coalesced send (Kafka produce requests stay well below 1 MiB per partition batch). */
export const coalescedBytesMax = 4 * 1024 * 1024;
/** Sends in flight at once on Kafka (the embedded log takes one at a time). */
export const kafkaSendsInFlightMax = 4;
/**
 * Messages waiting that start another send while one is in flight. Fewer wait for it and go
 * together in the next send: small sends from single requests coalesce (fewer produce requests
 * per transaction), while batches overlap.
 */
export const overlapMessagesMin = 500;

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
  /** How long the oldest send in flight has been waiting, in ms (0 when none). */
  inFlightForMs(): number;
}

export function createPublisher(
  log: EventLog,
  topic: string,
  now: () => number = Date.now,
  sendsInFlightMax: number = log.kind === 'kafka' ? kafkaSendsInFlightMax : 1,
): Publisher {
  const queue: Waiter[] = [];
  /** Start times of the sends in flight, oldest first. */
  const inFlight: number[] = [];

  const size = (m: OutgoingMessage) =>
    (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) +
    Buffer.byteLength(m.key);

  /** Messages in `queue` (abandoned waiters included until they are dropped). */
  let waiting = 0;

  /**
   * Starts sends while fewer than sendsInFlightMax are in flight and messages wait: at once when
   * none is in flight, else only when overlapMessagesMin or more wait.
   */
  function pump(): void {
    while (
      inFlight.length < sendsInFlightMax &&
      queue.length > 0 &&
      (inFlight.length === 0 || waiting >= overlapMessagesMin)
    ) {
      // Take whole requests up to the bounds; a request is never split across sends.
      const taken: Waiter[] = [];
      let count = 0;
      let bytes = 0;
      while (queue.length > 0) {
        const next = queue[0]!;
        if (next.abandoned) {
          queue.shift();
          waiting -= next.messages.length;
          continue;
        }
        if (
          taken.length > 0 &&
          (count + next.messages.length > sendBatchSizeMax ||
            bytes + next.bytes > coalescedBytesMax)
        )
          break;
        queue.shift();
        waiting -= next.messages.length;
        taken.push(next);
        count += next.messages.length;
        bytes += next.bytes;
      }
      if (taken.length === 0) continue;
      const since = now();
      inFlight.push(since);
      // A log that throws synchronously rejects like one that fails later.
      Promise.resolve()
        .then(() =>
          log.send(
            topic,
            taken.flatMap((w) => w.messages),
          ),
        )
        .then(
          () => {
            for (const w of taken) w.resolve();
          },
          (error: unknown) => {
            for (const w of taken) w.reject(error);
          },
        )
        // An inline arrow, not a named const: under tsx a named closure costs a defineProperty
        // (esbuild's keepNames), about 0.6 us, on every send.
        .finally(() => {
          inFlight.splice(inFlight.indexOf(since), 1);
          pump();
        });
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
        waiting += messages.length;
        pump();
      });
    },
    inFlightForMs: () => (inFlight.length === 0 ? 0 : now() - inFlight[0]!),
  };
}
