import type { DomainError } from '@spendstream/core/errors';
import { ForbiddenError, UnavailableError } from '@spendstream/core/errors';

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

/** Why a write was refused: no such writable wallet, or a view that is still loading. */
export type WriteRefusal = 'forbidden' | 'loading';

/**
 * Whether the wallet as looked up lets the user write. A module function, not a closure in
 * refusedWrites: under tsx (esbuild's keepNames) a named closure costs a defineProperty each time
 * it is made, about 0.6 us, once per request here.
 */
function mayWrite(
  wallets: ReadonlyMap<string, WalletInfo>,
  w: { userId: string; walletId: string },
): boolean {
  const wallet = wallets.get(w.walletId);
  return wallet !== undefined && !wallet.archived && wallet.writers.includes(w.userId);
}

/**
 * Which of `writes` (user, wallet) may not be made: the wallet is unknown, archived or not
 * writable by the user. A directory fed from the log may lag behind a wallet opened or shared a
 * moment ago, so a failed check waits up to `waitMs` for it to change, looking again after each
 * change. The answer maps each refused index to `loading` (the view has not replayed its topic
 * yet: retry) or `forbidden`.
 */
export async function refusedWrites(
  directory: WalletDirectory,
  writes: readonly { userId: string; walletId: string }[],
  waitMs: number,
  now: () => number = Date.now,
): Promise<Map<number, WriteRefusal>> {
  const wallets = await directory.lookup([...new Set(writes.map((w) => w.walletId))]);
  let refused = [...writes.keys()].filter((i) => !mayWrite(wallets, writes[i]!));
  if (refused.length > 0 && directory.nextChange) {
    const deadline = now() + waitMs;
    while (refused.length > 0) {
      const left = deadline - now();
      if (left <= 0 || !(await directory.nextChange(left))) break;
      const again = await directory.lookup([...new Set(refused.map((i) => writes[i]!.walletId))]);
      for (const [id, wallet] of again) wallets.set(id, wallet);
      refused = refused.filter((i) => !mayWrite(wallets, writes[i]!));
    }
  }
  const reason: WriteRefusal =
    refused.length > 0 && directory.loading?.() === true ? 'loading' : 'forbidden';
  return new Map(refused.map((i) => [i, reason]));
}

/** The error a refused write gets: 403 (unknown and foreign look the same), or 503 to retry. */
export function refusalError(reason: WriteRefusal): DomainError {
  return reason === 'loading'
    ? new UnavailableError(
        'the wallet directory is still loading after a restart; retry shortly',
        1,
        {
          field: 'walletId',
        },
      )
    : new ForbiddenError('the wallet does not exist or this caller may not write to it', {
        field: 'walletId',
      });
}
