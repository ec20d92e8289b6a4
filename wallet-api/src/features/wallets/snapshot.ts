/**
 * `ref.wallets`: each user's `wallets.snapshot` (the wallets they own with their members, and the
 * wallets of others shared with them), written to the outbox in the transaction of the change that
 * alters it, so other services learn who may read or write a shared wallet without reading
 * wallet-api's tables.
 */
import { invariant } from '@spendstream/core/errors';
import { encodeEvent, eventTypes, topics } from '@spendstream/core/events';
import type { SharedWalletRole, WalletRef, WalletsSnapshotV1 } from '@spendstream/core/events';
import type { Stores } from '../../stores.js';
import { eventSource } from '../ledger/events.js';
import type { OutboxEvent } from '../outbox/store.js';
import type { Wallet } from './store.js';

/** The reference data of a wallet, as `wallet.opened`, `wallet.updated` and snapshots carry it. */
export function walletRef(wallet: Wallet): WalletRef {
  return {
    walletId: wallet.id,
    name: wallet.name,
    kind: wallet.type,
    currency: wallet.currency as WalletRef['currency'],
    status: wallet.archivedAt === null ? 'active' : 'closed',
    allowNegative: wallet.overdraftLimit > 0n,
  };
}

function sharedRole(role: string): SharedWalletRole {
  invariant(role === 'editor' || role === 'viewer', `a shared wallet role is ${role}`);
  return role;
}

/** The user's current snapshot with the given revision, read through the transaction's stores. */
export async function walletsSnapshot(
  stores: Stores,
  userId: string,
  revision: number,
): Promise<WalletsSnapshotV1> {
  const { owned, shared } = await stores.wallets.snapshotOf(userId);
  return {
    userId,
    revision,
    wallets: owned.map((w) => ({
      ...walletRef(w),
      members: w.members.map((m) => ({ userId: m.userId, role: sharedRole(m.role) })),
    })),
    shared: shared.map((w) => ({
      walletId: w.id,
      ownerId: w.ownerId,
      role: sharedRole(w.role),
      name: w.name,
      currency: w.currency as WalletRef['currency'],
      status: w.archivedAt === null ? 'active' : 'closed',
    })),
  };
}

/**
 * Write the next `wallets.snapshot` of every user in `userIds` to the outbox, inside the caller's
 * transaction and after its change. Revisions are bumped in user-id order (two changes touching
 * the same users lock their rows in one order); each bump locks the user's row until commit, so a
 * concurrent change waits and then reads a snapshot that includes this one. A user that no longer
 * exists gets none.
 */
export async function appendWalletsSnapshots(
  stores: Stores,
  userIds: Iterable<string>,
  now: number,
): Promise<void> {
  const at = new Date(now).toISOString();
  const events: OutboxEvent[] = [];
  for (const userId of [...new Set(userIds)].sort()) {
    const revision = await stores.users.nextWalletsRevision(userId);
    if (revision === undefined) continue;
    const payload = await walletsSnapshot(stores, userId, revision);
    const id = `${userId}:wallets:${revision}`;
    const bytes = encodeEvent(topics.refWallets, {
      id,
      type: eventTypes.walletsSnapshot,
      version: 1,
      key: userId,
      occurredAt: at,
      producedAt: at,
      source: eventSource,
      payload,
    });
    events.push({
      eventId: id,
      topic: topics.refWallets,
      key: userId,
      payload: Buffer.from(bytes).toString('utf8'),
      createdAt: now,
    });
  }
  await stores.outbox.append(events);
}
