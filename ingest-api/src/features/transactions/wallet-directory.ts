/**
 * Which users may write to a wallet, so ingest-api only accepts writes into wallets the caller may
 * write to. wallet-api owns wallets; this port answers from a view of them: the view materialized
 * from `ref.wallets` (ref-wallet-directory.ts) in the running service, an in-memory table for tests,
 * the bench and the generator.
 */

export interface WalletInfo {
  walletId: string;
  /** Users who may write: the owner and editors of a shared wallet. */
  writers: readonly string[];
  currency: string;
  archived: boolean;
}

export interface WalletDirectory {
  /** The wallets found among `walletIds`; unknown ids are simply absent. */
  lookup(walletIds: readonly string[]): Promise<Map<string, WalletInfo>>;
  /**
   * A view fed from the event log: resolves true when it next changes, false after `timeoutMs`.
   * Absent for a directory that is always current.
   */
  nextChange?(timeoutMs: number): Promise<boolean>;
  /** A view fed from the event log: true until it has replayed its topic once since start. */
  loading?(): boolean;
}

/** An in-memory directory: tests, the bench and the all-in-one demo register wallets here. */
export function createMemoryWalletDirectory(wallets: Iterable<WalletInfo> = []) {
  const table = new Map<string, WalletInfo>();
  for (const wallet of wallets) table.set(wallet.walletId, wallet);
  return {
    register(wallet: WalletInfo): void {
      table.set(wallet.walletId, wallet);
    },
    async lookup(walletIds: readonly string[]): Promise<Map<string, WalletInfo>> {
      const found = new Map<string, WalletInfo>();
      for (const id of walletIds) {
        const wallet = table.get(id);
        if (wallet) found.set(id, wallet);
      }
      return found;
    },
  } satisfies WalletDirectory & { register(wallet: WalletInfo): void };
}
