/**
 * The query port as a user sees it: their own transactions, plus the transactions of other users'
 * wallets shared with them (any role), and nothing else of those users. Wraps the backend's store,
 * so every feature (analytics, search, lookup, export, budget status) reads through the same scope.
 *
 * - Aggregates add, for each owner, the same query over the owner's documents narrowed to the
 *   shared wallets (intersected with the query's own wallet filter), and sum equal keys. Only
 *   owners with the same home currency count there: amounts are summed in home currency, and
 *   another home currency cannot be added without a rate (search still shows those transactions,
 *   with both amounts).
 * - Search, export and lookup filter on "mine, or this owner's in these wallets" in the backend.
 * - A shared wallet's days are the owner's local dates (the documents carry them).
 */
import type { UserSettingsStore } from '../domain/user-settings.js';
import type { SharedWallet, WalletAccessStore } from '../domain/wallet-access.js';
import type { AnalyticsStore, SharedScope, TransactionDoc } from './analytics-store.js';
import { mergeAggregateRows } from './row-aggregate.js';

/** Shared wallets grouped by owner. */
export function sharedScopesOf(shared: readonly SharedWallet[]): SharedScope[] {
  const byOwner = new Map<string, string[]>();
  for (const wallet of shared) {
    const walletIds = byOwner.get(wallet.ownerId) ?? [];
    walletIds.push(wallet.walletId);
    byOwner.set(wallet.ownerId, walletIds);
  }
  return [...byOwner].map(([userId, walletIds]) => ({ userId, walletIds }));
}

export function createSharedScopeStore(deps: {
  store: AnalyticsStore;
  walletAccess: WalletAccessStore;
  settings: UserSettingsStore;
}): AnalyticsStore {
  const { store, walletAccess, settings } = deps;
  const scopesOf = async (userId: string) =>
    sharedScopesOf(await walletAccess.sharedWith(userId)).filter(
      (scope) => scope.userId !== userId,
    );

  async function findShared(userId: string, id: string): Promise<TransactionDoc | null> {
    const shared = await scopesOf(userId);
    if (shared.length === 0) return null;
    const page = await store.search({
      userId,
      shared,
      ids: [id],
      sort: 'date_desc',
      limit: 1,
      withFacets: false,
    });
    return page.items[0] ?? null;
  }

  return {
    async aggregate(query) {
      const [own, shared] = await Promise.all([store.aggregate(query), scopesOf(query.userId)]);
      if (shared.length === 0) return own;
      const { homeCurrency } = await settings.get(query.userId);
      const others = await Promise.all(
        shared.map(async (scope) => {
          if ((await settings.get(scope.userId)).homeCurrency !== homeCurrency) return [];
          const wanted = query.walletIds?.length ? new Set(query.walletIds) : null;
          const walletIds = scope.walletIds.filter((walletId) => !wanted || wanted.has(walletId));
          if (walletIds.length === 0) return [];
          return store.aggregate({ ...query, userId: scope.userId, walletIds });
        }),
      );
      return mergeAggregateRows(query.groupBy, [own, ...others]);
    },
    async search(query) {
      const shared = await scopesOf(query.userId);
      return store.search(shared.length === 0 ? query : { ...query, shared });
    },
    async findTransaction(userId, id) {
      return (await store.findTransaction(userId, id)) ?? findShared(userId, id);
    },
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
