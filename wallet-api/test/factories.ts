/** Test data built through the real services, so every row is one the API could have written. */
import { randomBytes } from 'node:crypto';
import type { Stores, UnitOfWork } from '../src/stores.js';
import { newId } from '../src/ids.js';
import { createWallet } from '../src/features/wallets/service.js';
import type { MemberWallet, WalletType } from '../src/features/wallets/store.js';
import { recordMovement } from '../src/features/ledger/service.js';
import type { User } from '../src/features/users/store.js';

/** A user row with a throwaway hash (tests that log in use the users service instead). */
export async function makeUser(uow: UnitOfWork, overrides: Partial<User> = {}): Promise<User> {
  const now = Date.now();
  const user: User = {
    id: newId(),
    email: `u-${randomBytes(6).toString('hex')}@example.test`,
    displayName: 'Test User',
    homeCurrency: 'EUR',
    timeZone: 'Europe/Paris',
    locale: 'en-US',
    settingsRevision: 0,
    isAdmin: false,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await uow.transaction((stores: Stores) =>
    stores.users.insert({ ...user, passwordHash: 'scrypt$test' }),
  );
  return user;
}

export async function makeWallet(
  uow: UnitOfWork,
  user: User,
  options: {
    currency?: string;
    overdraftLimit?: bigint;
    balance?: bigint;
    type?: WalletType;
    name?: string;
  } = {},
): Promise<MemberWallet> {
  const wallet = await uow.transaction((stores) =>
    createWallet(
      stores,
      { userId: user.id },
      {
        name: options.name ?? 'Main',
        type: options.type ?? 'bank',
        currency: (options.currency ?? 'EUR') as 'EUR',
        overdraftLimit: options.overdraftLimit ?? 0n,
      },
    ),
  );
  if (options.balance !== undefined && options.balance > 0n) {
    await uow.transaction((stores) =>
      recordMovement(
        stores,
        { userId: user.id },
        { kind: 'income', walletId: wallet.id, amount: options.balance as bigint, tags: [] },
      ),
    );
  }
  return { ...wallet, balance: options.balance ?? 0n };
}
