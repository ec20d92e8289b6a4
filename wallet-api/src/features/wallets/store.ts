/**
 * The wallet store port: wallets, their members, and the one balance write the ledger makes.
 * Implemented on SQL (`sql-store.ts`) and in memory (`fake-store.ts`); both pass `store.contract.ts`.
 */
export const walletTypes = ['cash', 'bank', 'card', 'savings'] as const;
export type WalletType = (typeof walletTypes)[number];

export const memberRoles = ['owner', 'editor', 'viewer'] as const;
export type MemberRole = (typeof memberRoles)[number];

export interface Wallet {
  id: string;
  ownerId: string;
  name: string;
  type: WalletType;
  currency: string;
  balance: bigint;
  /** How far below zero the balance may go, in minor units, >= 0. */
  overdraftLimit: bigint;
  createdAt: number;
  updatedAt: number;
  archivedAt: number | null;
}

/** A wallet as one member sees it: the wallet plus that member's role. */
export interface MemberWallet extends Wallet {
  role: MemberRole;
}

export interface WalletMember {
  walletId: string;
  userId: string;
  role: MemberRole;
  createdAt: number;
}

/** A balance change: applied with the balance and posting sequence after it, or why it was refused. */
export type BalanceChangeResult =
  | { outcome: 'applied'; balance: bigint; sequence: number }
  | { outcome: 'insufficient_funds' | 'missing' | 'archived' };

export interface WalletStore {
  insert(wallet: Wallet): Promise<void>;
  findById(walletId: string): Promise<Wallet | undefined>;
  /** The wallet with `userId`'s role, or undefined when the user is no member. */
  findForMember(userId: string, walletId: string): Promise<MemberWallet | undefined>;
  /** Wallets `userId` is a member of, by id ascending, after the cursor id. */
  listForMember(
    userId: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<MemberWallet[]>;
  /** The oldest active wallet of `userId` (as owner) in `currency`. */
  findOwnedInCurrency(userId: string, currency: string): Promise<Wallet | undefined>;
  update(
    walletId: string,
    patch: { name?: string; archivedAt?: number | null; overdraftLimit?: bigint },
    now: number,
  ): Promise<void>;
  /**
   * Add `delta` to the balance in one conditional statement: applied only when the wallet exists,
   * is active and, for a debit, `balance + delta >= -overdraft_limit` still holds at write time.
   */
  changeBalance(walletId: string, delta: bigint, now: number): Promise<BalanceChangeResult>;
  upsertMember(member: WalletMember): Promise<void>;
  removeMember(walletId: string, userId: string): Promise<boolean>;
  listMembers(walletId: string): Promise<WalletMember[]>;
  /**
   * What a user's `wallets.snapshot` holds: every wallet they own with its other members (not the
   * owner), and every wallet of another user they are a member of, with their role; by wallet id.
   */
  snapshotOf(userId: string): Promise<{
    owned: Array<Wallet & { members: Array<{ userId: string; role: MemberRole }> }>;
    shared: MemberWallet[];
  }>;
  /** How many wallets a user owns (archived ones too) and how many others' wallets they share. */
  countFor(userId: string): Promise<{ owned: number; shared: number }>;
  /** Ids of the wallets of other users that `userId` is a member of (for account deletion). */
  listSharedIds(userId: string): Promise<string[]>;
  /** Ids of every wallet a user owns (for account deletion). */
  listOwnedIds(userId: string): Promise<string[]>;
  /**
   * Lock wallets for a batch of movements (SELECT ... FOR UPDATE, in id order, so concurrent
   * batches and transfers take row locks in one order), with their posting sequence, and read the
   * roles of `userIds` on them (only the pairs that exist), in one statement.
   */
  lockWithRoles(
    walletIds: string[],
    userIds: string[],
  ): Promise<{
    wallets: Array<Wallet & { postingSeq: number }>;
    roles: Array<{ walletId: string; userId: string; role: MemberRole }>;
  }>;
  /** Write balances and sequences computed under the locks of `lockWithRoles`, in one statement. */
  setBalances(
    updates: Array<{ walletId: string; balance: bigint; postingSeq: number }>,
    now: number,
  ): Promise<void>;
}
