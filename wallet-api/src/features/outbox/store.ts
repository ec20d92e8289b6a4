/**
 * The outbox port: events written in the same transaction as the change they describe, read back
 * by the relay in commit order and marked once the event log has them durably.
 */
export interface OutboxEvent {
  /** Stable across every redelivery: consumers dedupe on it. */
  eventId: string;
  topic: string;
  /** The partition key: the user id, so one user's events keep their order. */
  key: string;
  /** The encoded event (JSON text). */
  payload: string;
  createdAt: number;
}

export interface PendingOutboxEvent extends OutboxEvent {
  /** The outbox sequence number: the relay publishes in this order. */
  seq: bigint;
}

export interface OutboxStore {
  append(events: OutboxEvent[]): Promise<void>;
  /** The oldest unpublished events, in sequence order. */
  pending(limit: number): Promise<PendingOutboxEvent[]>;
  markPublished(seqs: bigint[], now: number): Promise<void>;
  /** Delete published events older than `before` (ms), at most `limit` of them. */
  purgePublished(before: number, limit: number): Promise<number>;
}
