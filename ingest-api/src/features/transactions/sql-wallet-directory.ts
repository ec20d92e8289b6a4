/**
 * Reads wallet ownership from wallet-api's tables (`wallets`, `wallet_members`) when both services
 * share one database, as they do on the embedded default and in the all-in-one process. Owners and
 * editors may write; viewers may not. Answers are cached briefly: an archived wallet stops accepting
 * transactions within `walletCacheMs` (unknown wallets are never cached).
 */
import type { Knex } from 'knex';
import type { WalletDirectory, WalletInfo } from './wallet-directory.js';

/** How long a looked-up wallet is trusted, in ms. */
export const walletCacheMs = 5_000;
/** Most wallets cached. */
export const walletCacheEntriesMax = 20_000;

export function createSqlWalletDirectory(
  knex: Knex,
  now: () => number = Date.now,
): WalletDirectory {
  const cache = new Map<string, { at: number; wallet: WalletInfo }>();
  return {
    async lookup(walletIds) {
      const out = new Map<string, WalletInfo>();
      const missing: string[] = [];
      const t = now();
      for (const id of walletIds) {
        const hit = cache.get(id);
        if (hit && t - hit.at < walletCacheMs) out.set(id, hit.wallet);
        else missing.push(id);
      }
      if (missing.length === 0) return out;
      const wallets = (await knex('wallets')
        .select('id', 'owner_id', 'currency', 'archived_at')
        .whereIn('id', missing)) as {
        id: string;
        owner_id: string;
        currency: string;
        archived_at: unknown;
      }[];
      const members = (await knex('wallet_members')
        .select('wallet_id', 'user_id')
        .whereIn('wallet_id', missing)
        .whereIn('role', ['owner', 'editor'])) as { wallet_id: string; user_id: string }[];
      const found = new Map<string, WalletInfo>();
      for (const w of wallets) {
        const writers = new Set([
          w.owner_id,
          ...members.filter((m) => m.wallet_id === w.id).map((m) => m.user_id),
        ]);
        found.set(w.id, {
          walletId: w.id,
          writers: [...writers],
          currency: w.currency,
          archived: w.archived_at != null,
        });
      }
      if (cache.size + missing.length > walletCacheEntriesMax) cache.clear();
      for (const id of missing) {
        const wallet = found.get(id);
        // Only hits are cached: a wallet created a moment ago must not stay unknown for walletCacheMs.
        if (wallet) {
          cache.set(id, { at: t, wallet });
          out.set(id, wallet);
        }
      }
      return out;
    },
  };
}
