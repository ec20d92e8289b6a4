/**
 * Which other users' wallets a user may read, and with which role: the `shared` list of the user's
 * latest `wallets.snapshot` on the compacted `ref.wallets` topic (wallet-api publishes the next
 * snapshot of the owner and of every member a change concerns, so a removed member's next snapshot
 * no longer lists the wallet), kept by `user-snapshots.ts`.
 */
import { topics, type SharedWalletRole } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import { createLatestPerUser, followSnapshots } from './user-snapshots.js';

/** A wallet of another user shared with this one. */
export interface SharedWallet {
  walletId: string;
  ownerId: string;
  role: SharedWalletRole;
}

export interface WalletAccessStore {
  /** The wallets of other users shared with `userId` (none until a snapshot arrives). */
  sharedWith(userId: string): Promise<readonly SharedWallet[]>;
  /** Keeps the snapshot with the highest revision (a compacted topic may replay an older one). */
  put(userId: string, revision: number, shared: readonly SharedWallet[]): Promise<void>;
}

/** An in-memory store: the running service's (fed from the topic at start) and the tests'. */
export function createMemoryWalletAccessStore(): WalletAccessStore {
  const latest = createLatestPerUser<readonly SharedWallet[]>();
  return {
    sharedWith: async (userId) => latest.get(userId) ?? [],
    put: async (userId, revision, shared) =>
      latest.put(userId, revision, Object.freeze([...shared])),
  };
}

/** Keep the store current from `ref.wallets`. */
export function startWalletAccessConsumer(
  log: EventLog,
  store: WalletAccessStore,
): Promise<Consumer> {
  return followSnapshots(log, {
    name: 'wallets',
    topic: topics.refWallets,
    async apply({ payload }) {
      // A closed (archived) wallet stays readable, like one's own archived wallets.
      await store.put(
        payload.userId,
        payload.revision,
        payload.shared.map(({ walletId, ownerId, role }) => ({ walletId, ownerId, role })),
      );
    },
  });
}
