/** How wallets and members look over HTTP. */
import type { MemberWallet, WalletMember } from './store.js';

export function presentWallet(w: MemberWallet) {
  return {
    id: w.id,
    ownerId: w.ownerId,
    name: w.name,
    type: w.type,
    currency: w.currency,
    balance: w.balance.toString(),
    overdraftLimit: w.overdraftLimit.toString(),
    role: w.role,
    archived: w.archivedAt !== null,
    createdAt: new Date(w.createdAt).toISOString(),
    updatedAt: new Date(w.updatedAt).toISOString(),
  };
}

export function presentMember(m: WalletMember) {
  return { userId: m.userId, role: m.role, since: new Date(m.createdAt).toISOString() };
}
