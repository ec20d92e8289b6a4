/**
 * Who may write to which wallet, materialized from the compacted `ref.wallets` topic (wallet-api's
 * `wallets.snapshot` per user), so ingest-api never reads wallet-api's tables. An owner's latest
 * snapshot lists every wallet they own with its status and members; the owner and the members
 * with role `editor` may write to an `active` wallet, viewers may not. Every instance reads the
 * whole topic (its own consumer group, from the start), since every instance may serve every user.
 *
 * The gap: a wallet opened (or shared) a moment ago reaches this view only when wallet-api's outbox
 * relay has published the owner's next snapshot. A write check that fails therefore waits up to
 * `walletViewWaitMs` for the view to change (see the ingest service), and answers 503 (retry)
 * rather than 403 while the view has not yet replayed the topic since start.
 */
import { topics, type WalletsSnapshotV1 } from '@spendstream/core/events';
import type { Consumer, EventLog } from '@spendstream/core/event-log';
import { followSnapshots } from '@spendstream/core/reference-follow';
import type { WalletDirectory, WalletInfo } from './wallet-directory.js';

/** How long a failed write check waits for the view to learn of a newer snapshot, in ms. */
export const walletViewWaitMs = 2_000;
/**
 * The view counts as loaded (it has replayed the topic since start) once delivery has paused this
 * long (a compacted topic is read back at once on subscribe), or once it delivers a snapshot
 * produced less than `walletViewFreshMs` ago (it reads what is being written now: on a busy
 * topic delivery may never pause). Then it stays loaded.
 */
export const walletViewQuietMs = 500;
export const walletViewFreshMs = 5_000;

export interface RefWalletDirectory extends WalletDirectory {
  /** Apply one user's snapshot (the consumer does; tests may). An older revision changes nothing. */
  apply(snapshot: WalletsSnapshotV1): void;
  /** Subscribe to `topic` (ref.wallets by default) on `log`; resolves once subscribed. */
  start(log: EventLog, topic?: string): Promise<void>;
  /** Stop consuming (waits for the batch in flight). */
  close(): Promise<void>;
}

export function createRefWalletDirectory(now: () => number = Date.now): RefWalletDirectory {
  /** Each owner's latest revision and the wallets that snapshot listed. */
  const owners = new Map<string, { revision: number; walletIds: readonly string[] }>();
  const wallets = new Map<string, WalletInfo>();
  const waiters = new Set<(changed: boolean) => void>();
  let consumer: Consumer | undefined;
  let startedAt = 0;
  let lastDeliveryAt = 0;
  let latestProducedAt = 0;
  let loaded = false;

  function apply(snapshot: WalletsSnapshotV1): void {
    const previous = owners.get(snapshot.userId);
    if (previous && previous.revision >= snapshot.revision) return;
    const walletIds = snapshot.wallets.map((w) => w.walletId);
    const kept = new Set(walletIds);
    // A wallet the owner's newer snapshot no longer lists is gone from the view.
    for (const id of previous?.walletIds ?? []) if (!kept.has(id)) wallets.delete(id);
    for (const w of snapshot.wallets) {
      wallets.set(w.walletId, {
        walletId: w.walletId,
        writers: [
          snapshot.userId,
          ...(w.members ?? []).filter((m) => m.role === 'editor').map((m) => m.userId),
        ],
        currency: w.currency,
        archived: w.status !== 'active',
      });
    }
    owners.set(snapshot.userId, { revision: snapshot.revision, walletIds });
    for (const wake of waiters) wake(true);
    waiters.clear();
  }

  return {
    apply,
    async lookup(walletIds) {
      const found = new Map<string, WalletInfo>();
      for (const id of walletIds) {
        const wallet = wallets.get(id);
        if (wallet) found.set(id, wallet);
      }
      return found;
    },
    nextChange(timeoutMs) {
      return new Promise<boolean>((resolve) => {
        const wake = (changed: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(changed);
        };
        const timer = setTimeout(() => wake(false), Math.max(0, timeoutMs));
        waiters.add(wake);
      });
    },
    loading() {
      if (loaded) return false;
      if (startedAt === 0) return true;
      const t = now();
      loaded =
        t - Math.max(startedAt, lastDeliveryAt) >= walletViewQuietMs ||
        t - latestProducedAt <= walletViewFreshMs;
      return !loaded;
    },
    async start(log, topic = topics.refWallets) {
      consumer = await followSnapshots(log, {
        groupPrefix: 'ingest-api.wallets',
        schema: topics.refWallets,
        topic,
        onBatch: () => {
          lastDeliveryAt = now();
        },
        apply: (event) => {
          latestProducedAt = Math.max(latestProducedAt, Date.parse(event.producedAt));
          apply(event.payload);
        },
      });
      // Only a view that is consuming can ever count as loaded.
      startedAt = now();
    },
    async close() {
      for (const wake of waiters) wake(false);
      await consumer?.close();
    },
  };
}
