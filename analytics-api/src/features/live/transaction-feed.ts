/**
 * The live feed of a user's transactions: the projector tells it which documents a batch newly
 * stored (a new transaction, or a new version of one: recategorized, annotated, corrected,
 * reversed), and it hands each to the open streams of that user, in the order stored.
 *
 * In-process only: an instance sees what its own projector stored, i.e. the users whose
 * `transactions.enriched` partitions it owns. With one instance (or the all-in-one process) that
 * is everyone; with several, a stream only hears the users of its instance's partitions
 * (docs/analytics-api.md). Nothing is kept for replay: a client that reconnects reads the current
 * state with `GET /v1/transactions` and then follows the stream.
 */
import type { TransactionDoc } from '../../query/analytics-store.js';

/** Most open transaction streams per user. */
export const transactionStreamsPerUserMax = 10;
/** Most open transaction streams per instance. */
export const transactionStreamsMax = 10_000;

export interface TransactionFeed {
  /** Called with the documents a projection batch newly stored. */
  publish(docs: readonly TransactionDoc[]): void;
  /**
   * Listen to one user's stored transactions, and to those of the `owners` given (the owners of
   * wallets shared with the user; `send` filters those); counted as one subscription of `userId`.
   * Returns the unsubscribe function.
   */
  subscribe(
    userId: string,
    send: (doc: TransactionDoc) => void,
    owners?: readonly string[],
  ): () => void;
  /** Open subscriptions of one user, or of everyone. */
  size(userId?: string): number;
}

export function createTransactionFeed(): TransactionFeed {
  const listeners = new Map<string, Set<(doc: TransactionDoc) => void>>();
  const counts = new Map<string, number>();
  let total = 0;
  return {
    publish(docs) {
      for (const doc of docs) {
        for (const send of listeners.get(doc.userId) ?? []) send(doc);
      }
    },
    subscribe(userId, send, owners = []) {
      const keys = [...new Set([userId, ...owners])];
      for (const key of keys) {
        const set = listeners.get(key) ?? new Set();
        set.add(send);
        listeners.set(key, set);
      }
      counts.set(userId, (counts.get(userId) ?? 0) + 1);
      total += 1;
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        total -= 1;
        const left = (counts.get(userId) ?? 1) - 1;
        if (left === 0) counts.delete(userId);
        else counts.set(userId, left);
        for (const key of keys) {
          const set = listeners.get(key);
          set?.delete(send);
          if (set?.size === 0) listeners.delete(key);
        }
      };
    },
    size(userId) {
      return userId === undefined ? total : (counts.get(userId) ?? 0);
    },
  };
}
