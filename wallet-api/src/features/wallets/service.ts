/**
 * Wallets: create, list, get, rename, archive, overdraft limit, and sharing with members in roles
 * (owner, editor, viewer). Every change writes a `wallet.events` outbox event in the same
 * transaction, and so does the next `ref.wallets` snapshot of every user the change concerns (see
 * `snapshot.ts`). Only members see a wallet; anyone else gets a 404, never a hint that it exists.
 */
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '@spendstream/core/errors';
import {
  encodeEvent,
  eventTypes,
  sharedWalletsPerUserMax,
  topics,
  walletMembersPerWalletMax,
  walletsPerUserMax,
} from '@spendstream/core/events';
import { newId } from '../../ids.js';
import type { Stores } from '../../stores.js';
import type { Actor } from '../ledger/service.js';
import { requireWalletRole } from '../ledger/service.js';
import { eventSource } from '../ledger/events.js';
import type { OutboxEvent } from '../outbox/store.js';
import type { CreateWalletBody, MemberBody, UpdateWalletBody } from './schema.js';
import { appendWalletsSnapshots, walletRef } from './snapshot.js';
import type { MemberWallet, Wallet, WalletMember } from './store.js';

/** Wallets per page, default and most. */
export const walletsPageSizeDefault = 50;
export const walletsPageSizeMax = 200;
/** Most members one wallet may have besides its owner (the snapshot's bound). */
export const membersPerWalletMax = walletMembersPerWalletMax;

function walletEvent(wallet: Wallet, type: 'opened' | 'updated', now: number): OutboxEvent {
  const at = new Date(now).toISOString();
  const id = `${wallet.id}:${type}:${newId(now)}`;
  const bytes =
    type === 'opened'
      ? encodeEvent(topics.walletEvents, {
          id,
          type: eventTypes.walletOpened,
          version: 1,
          key: wallet.ownerId,
          occurredAt: at,
          producedAt: at,
          source: eventSource,
          payload: { userId: wallet.ownerId, wallet: walletRef(wallet), openedAt: at },
        })
      : encodeEvent(topics.walletEvents, {
          id,
          type: eventTypes.walletUpdated,
          version: 1,
          key: wallet.ownerId,
          occurredAt: at,
          producedAt: at,
          source: eventSource,
          payload: { userId: wallet.ownerId, wallet: walletRef(wallet), updatedAt: at },
        });
  return {
    eventId: id,
    topic: topics.walletEvents,
    key: wallet.ownerId,
    payload: Buffer.from(bytes).toString('utf8'),
    createdAt: now,
  };
}

export async function createWallet(
  stores: Stores,
  actor: Actor,
  body: CreateWalletBody,
  now = Date.now(),
): Promise<MemberWallet> {
  if ((await stores.wallets.countFor(actor.userId)).owned >= walletsPerUserMax)
    throw new ConflictError(
      `a user owns at most ${walletsPerUserMax} wallets (archived ones count)`,
      {
        field: 'name',
      },
    );
  const wallet: Wallet = {
    id: newId(now),
    ownerId: actor.userId,
    name: body.name,
    type: body.type,
    currency: body.currency,
    balance: 0n,
    overdraftLimit: body.overdraftLimit,
    createdAt: now,
    updatedAt: now,
    archivedAt: null,
  };
  await stores.wallets.insert(wallet);
  await stores.wallets.upsertMember({
    walletId: wallet.id,
    userId: actor.userId,
    role: 'owner',
    createdAt: now,
  });
  await stores.outbox.append([walletEvent(wallet, 'opened', now)]);
  await appendWalletsSnapshots(stores, [actor.userId], now);
  return { ...wallet, role: 'owner' };
}

export async function getWallet(
  stores: Stores,
  actor: Actor,
  walletId: string,
): Promise<MemberWallet> {
  return requireWalletRole(stores, actor, walletId, ['owner', 'editor', 'viewer']);
}

export async function listWallets(
  stores: Stores,
  actor: Actor,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: MemberWallet[]; nextCursor: string | null }> {
  const rows = await stores.wallets.listForMember(actor.userId, cursor, limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/** Rename, archive or unarchive, or change the overdraft limit: the owner only. */
export async function updateWallet(
  stores: Stores,
  actor: Actor,
  walletId: string,
  body: UpdateWalletBody,
  now = Date.now(),
): Promise<MemberWallet> {
  const wallet = await requireWalletRole(stores, actor, walletId, ['owner']);
  if (body.overdraftLimit !== undefined && wallet.balance < -body.overdraftLimit) {
    throw new ConflictError('the balance is already below that overdraft limit', {
      field: 'overdraftLimit',
    });
  }
  const archivedAt =
    body.archived === undefined ? undefined : body.archived ? (wallet.archivedAt ?? now) : null;
  await stores.wallets.update(
    walletId,
    {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(archivedAt === undefined ? {} : { archivedAt }),
      ...(body.overdraftLimit === undefined ? {} : { overdraftLimit: body.overdraftLimit }),
    },
    now,
  );
  const updated = await requireWalletRole(stores, actor, walletId, ['owner']);
  await stores.outbox.append([walletEvent(updated, 'updated', now)]);
  const members = await stores.wallets.listMembers(walletId);
  await appendWalletsSnapshots(stores, [actor.userId, ...members.map((m) => m.userId)], now);
  return updated;
}

export async function listMembers(
  stores: Stores,
  actor: Actor,
  walletId: string,
): Promise<WalletMember[]> {
  await requireWalletRole(stores, actor, walletId, ['owner', 'editor', 'viewer']);
  return stores.wallets.listMembers(walletId);
}

/** Share a wallet (or change a member's role): the owner only; the owner's own role never changes. */
export async function putMember(
  stores: Stores,
  actor: Actor,
  walletId: string,
  body: MemberBody,
  now = Date.now(),
): Promise<WalletMember> {
  const wallet = await requireWalletRole(stores, actor, walletId, ['owner']);
  const user =
    body.userId !== undefined
      ? await stores.users.findById(body.userId)
      : await stores.users.findByEmail((body.email ?? '').toLowerCase());
  if (!user)
    throw new NotFoundError('no such user', {
      field: body.userId !== undefined ? 'userId' : 'email',
    });
  if (user.id === wallet.ownerId)
    throw new ValidationError('the owner is already a member', { field: 'userId' });
  const members = await stores.wallets.listMembers(walletId);
  const existing = members.find((m) => m.userId === user.id);
  if (!existing) {
    // The owner's row is one of `members`.
    if (members.length - 1 >= membersPerWalletMax)
      throw new ConflictError(
        `a wallet has at most ${membersPerWalletMax} members besides its owner`,
        {
          field: 'userId',
        },
      );
    if ((await stores.wallets.countFor(user.id)).shared >= sharedWalletsPerUserMax)
      throw new ConflictError(
        `a user is a member of at most ${sharedWalletsPerUserMax} wallets of others`,
        { field: 'userId' },
      );
  }
  const member: WalletMember = {
    walletId,
    userId: user.id,
    role: body.role,
    createdAt: existing?.createdAt ?? now,
  };
  if (existing?.role === body.role) return member;
  await stores.wallets.upsertMember(member);
  await appendWalletsSnapshots(stores, [wallet.ownerId, user.id], now);
  return member;
}

/** Remove a member: the owner removes anyone but themself; a member may leave. */
export async function removeMember(
  stores: Stores,
  actor: Actor,
  walletId: string,
  userId: string,
  now = Date.now(),
): Promise<void> {
  const wallet = await requireWalletRole(stores, actor, walletId, ['owner', 'editor', 'viewer']);
  if (userId === wallet.ownerId)
    throw new ValidationError('the owner cannot be removed', { field: 'userId' });
  if (wallet.role !== 'owner' && userId !== actor.userId)
    throw new ForbiddenError('only the owner removes other members', { field: 'userId' });
  if (!(await stores.wallets.removeMember(walletId, userId)))
    throw new NotFoundError('no such member', { field: 'userId' });
  await appendWalletsSnapshots(stores, [wallet.ownerId, userId], now);
}
