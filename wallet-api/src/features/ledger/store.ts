/**
 * The ledger store port: movements and their double-entry postings, append-only. There is no
 * update and no delete here on purpose: a mistake is corrected by a reversal, a new movement.
 */
export const movementKinds = ['income', 'expense', 'transfer', 'reversal'] as const;
export type MovementKind = (typeof movementKinds)[number];

/** The accounts a posting can touch: a wallet, the outside world, or the currency exchange. */
export const postingAccounts = ['wallet', 'external', 'fx'] as const;
export type PostingAccount = (typeof postingAccounts)[number];

export interface Movement {
  id: string;
  /** Who made it: a user id. */
  userId: string;
  kind: MovementKind;
  walletId: string;
  /** Positive minor units in `currency`, leaving `walletId` for expense and transfer, entering it for income. */
  amount: bigint;
  currency: string;
  counterWalletId: string | null;
  counterAmount: bigint | null;
  counterCurrency: string | null;
  /** The exchange rate used, as a decimal string (units of counter currency per unit of currency). */
  rate: string | null;
  rounding: string | null;
  category: string | null;
  merchant: string | null;
  note: string | null;
  tags: string[];
  occurredAt: string;
  reversesId: string | null;
  createdAt: number;
}

export interface Posting {
  movementId: string;
  account: PostingAccount;
  walletId: string | null;
  /** Signed minor units: positive into the account, negative out of it. */
  amount: bigint;
  currency: string;
}

export interface LedgerStore {
  insertMovement(movement: Movement): Promise<void>;
  /** Many movements in one statement (a batch). */
  insertMovements(movements: Movement[]): Promise<void>;
  insertPostings(postings: Posting[], now: number): Promise<void>;
  findMovement(movementId: string): Promise<Movement | undefined>;
  findReversalOf(movementId: string): Promise<Movement | undefined>;
  postingsOf(movementId: string): Promise<Posting[]>;
  /** Movements touching a wallet (either side), newest first, before the cursor id. */
  listForWallet(walletId: string, beforeId: string | undefined, limit: number): Promise<Movement[]>;
  /** The sum of a wallet's postings: what its balance must equal. */
  sumWalletPostings(walletId: string): Promise<bigint>;
}
