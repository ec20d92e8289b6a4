import type { Db } from '../../db.js';
import { bindings, toBigInt, toNullableNumber, toNumber } from '../../db.js';
import type {
  BalanceChangeResult,
  MemberRole,
  MemberWallet,
  Wallet,
  WalletStore,
  WalletType,
} from './store.js';

interface WalletRow {
  id: string;
  owner_id: string;
  name: string;
  type: string;
  currency: string;
  balance: unknown;
  overdraft_limit: unknown;
  created_at: unknown;
  updated_at: unknown;
  archived_at: unknown;
  role?: string;
}

const walletColumns = [
  'w.id',
  'w.owner_id',
  'w.name',
  'w.type',
  'w.currency',
  'w.balance',
  'w.overdraft_limit',
  'w.created_at',
  'w.updated_at',
  'w.archived_at',
];

function toWallet(row: WalletRow): Wallet {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    type: row.type as WalletType,
    currency: row.currency,
    balance: toBigInt(row.balance),
    overdraftLimit: toBigInt(row.overdraft_limit),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    archivedAt: toNullableNumber(row.archived_at),
  };
}

function toMemberWallet(row: WalletRow): MemberWallet {
  return { ...toWallet(row), role: row.role as MemberRole };
}

/** The wallet store on SQL; `db` is the transaction the service hands down. */
export function createSqlWalletStore(db: Db): WalletStore {
  return {
    async insert(w) {
      await db('wallets').insert({
        id: w.id,
        owner_id: w.ownerId,
        name: w.name,
        type: w.type,
        currency: w.currency,
        balance: w.balance,
        overdraft_limit: w.overdraftLimit,
        created_at: w.createdAt,
        updated_at: w.updatedAt,
        archived_at: w.archivedAt,
      });
    },
    async findById(walletId) {
      const row = (await db('wallets as w')
        .select(walletColumns)
        .where('w.id', walletId)
        .first()) as WalletRow | undefined;
      return row ? toWallet(row) : undefined;
    },
    async findForMember(userId, walletId) {
      const row = (await db('wallets as w')
        .join('wallet_members as m', 'm.wallet_id', 'w.id')
        .select([...walletColumns, 'm.role'])
        .where({ 'w.id': walletId, 'm.user_id': userId })
        .first()) as WalletRow | undefined;
      return row ? toMemberWallet(row) : undefined;
    },
    async listForMember(userId, afterId, limit) {
      const query = db('wallets as w')
        .join('wallet_members as m', 'm.wallet_id', 'w.id')
        .select([...walletColumns, 'm.role'])
        .where('m.user_id', userId)
        .orderBy('w.id', 'asc')
        .limit(limit);
      if (afterId !== undefined) query.andWhere('w.id', '>', afterId);
      return ((await query) as WalletRow[]).map(toMemberWallet);
    },
    async findOwnedInCurrency(userId, currency) {
      const row = (await db('wallets as w')
        .select(walletColumns)
        .where({ 'w.owner_id': userId, 'w.currency': currency })
        .whereNull('w.archived_at')
        .orderBy('w.id', 'asc')
        .first()) as WalletRow | undefined;
      return row ? toWallet(row) : undefined;
    },
    async update(walletId, patch, now) {
      const changes: Record<string, unknown> = { updated_at: now };
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.archivedAt !== undefined) changes.archived_at = patch.archivedAt;
      if (patch.overdraftLimit !== undefined) changes.overdraft_limit = patch.overdraftLimit;
      await db('wallets').where('id', walletId).update(changes);
    },
    async changeBalance(walletId, delta, now): Promise<BalanceChangeResult> {
      // The check and the write are one statement, so no concurrent debit can slip between them;
      // on InnoDB the row stays locked until commit, on SQLite the writer holds the database.
      const changed =
        delta < 0n
          ? await db.raw(
              'UPDATE wallets SET balance = balance + ?, posting_seq = posting_seq + 1, updated_at = ? WHERE id = ? AND archived_at IS NULL AND balance + ? >= -overdraft_limit',
              bindings(delta, now, walletId, delta),
            )
          : await db.raw(
              'UPDATE wallets SET balance = balance + ?, posting_seq = posting_seq + 1, updated_at = ? WHERE id = ? AND archived_at IS NULL',
              bindings(delta, now, walletId),
            );
      const applied = affectedRows(changed) === 1;
      // Read back inside the same transaction: our own write, still locked against other writers.
      const row = (await db('wallets')
        .select('archived_at', 'balance', 'posting_seq')
        .where('id', walletId)
        .first()) as { archived_at: unknown; balance: unknown; posting_seq: unknown } | undefined;
      if (applied && row)
        return {
          outcome: 'applied',
          balance: toBigInt(row.balance),
          sequence: toNumber(row.posting_seq),
        };
      if (!row) return { outcome: 'missing' };
      if (row.archived_at !== null) return { outcome: 'archived' };
      return { outcome: 'insufficient_funds' };
    },
    async upsertMember(m) {
      await db('wallet_members')
        .insert({ wallet_id: m.walletId, user_id: m.userId, role: m.role, created_at: m.createdAt })
        .onConflict(['wallet_id', 'user_id'])
        .merge(['role']);
    },
    async removeMember(walletId, userId) {
      const n = await db('wallet_members').where({ wallet_id: walletId, user_id: userId }).delete();
      return n > 0;
    },
    async listMembers(walletId) {
      const rows = (await db('wallet_members')
        .select('wallet_id', 'user_id', 'role', 'created_at')
        .where('wallet_id', walletId)
        .orderBy('created_at', 'asc')) as Array<{
        wallet_id: string;
        user_id: string;
        role: string;
        created_at: unknown;
      }>;
      return rows.map((r) => ({
        walletId: r.wallet_id,
        userId: r.user_id,
        role: r.role as MemberRole,
        createdAt: toNumber(r.created_at),
      }));
    },
    async lockWithRoles(walletIds, userIds) {
      if (walletIds.length === 0) return { wallets: [], roles: [] };
      // One statement: the wallets locked in id order, each joined to the callers' memberships
      // (InnoDB locks the member rows read here too; the single path reads roles without a lock).
      const rows = (await db('wallets as w')
        .select([...walletColumns, 'w.posting_seq', 'm.user_id as m_user_id', 'm.role as m_role'])
        .leftJoin('wallet_members as m', function joinCallers() {
          this.on('m.wallet_id', '=', 'w.id').onIn('m.user_id', userIds);
        })
        .whereIn('w.id', walletIds)
        .orderBy('w.id')
        .forUpdate()) as Array<
        WalletRow & { posting_seq: unknown; m_user_id: string | null; m_role: string | null }
      >;
      const wallets = new Map<string, Wallet & { postingSeq: number }>();
      const roles: Array<{ walletId: string; userId: string; role: MemberRole }> = [];
      for (const r of rows) {
        if (!wallets.has(r.id))
          wallets.set(r.id, { ...toWallet(r), postingSeq: toNumber(r.posting_seq) });
        if (r.m_user_id !== null && r.m_role !== null)
          roles.push({ walletId: r.id, userId: r.m_user_id, role: r.m_role as MemberRole });
      }
      return { wallets: [...wallets.values()], roles };
    },
    async setBalances(updates, now) {
      if (updates.length === 0) return;
      // One statement for the whole batch: CASE on the id picks each wallet's new values.
      const balanceCase = updates.map(() => 'WHEN ? THEN ?').join(' ');
      const seqCase = updates.map(() => 'WHEN ? THEN ?').join(' ');
      const values: Array<string | number | bigint> = [];
      for (const u of updates) values.push(u.walletId, u.balance);
      for (const u of updates) values.push(u.walletId, u.postingSeq);
      await db.raw(
        `UPDATE wallets SET balance = CASE id ${balanceCase} END, posting_seq = CASE id ${seqCase} END, updated_at = ? WHERE id IN (${updates.map(() => '?').join(', ')})`,
        bindings(...values, now, ...updates.map((u) => u.walletId)),
      );
    },
    async snapshotOf(userId) {
      const owned = (
        (await db('wallets as w')
          .select(walletColumns)
          .where('w.owner_id', userId)
          .orderBy('w.id', 'asc')) as WalletRow[]
      ).map(toWallet);
      const memberRows = (await db('wallet_members as m')
        .join('wallets as w', 'w.id', 'm.wallet_id')
        .select('m.wallet_id', 'm.user_id', 'm.role')
        .where('w.owner_id', userId)
        .andWhereNot('m.role', 'owner')
        .orderBy(['m.wallet_id', 'm.user_id'])) as Array<{
        wallet_id: string;
        user_id: string;
        role: string;
      }>;
      const members = new Map<string, Array<{ userId: string; role: MemberRole }>>();
      for (const r of memberRows) {
        const list = members.get(r.wallet_id) ?? [];
        list.push({ userId: r.user_id, role: r.role as MemberRole });
        members.set(r.wallet_id, list);
      }
      const shared = (
        (await db('wallets as w')
          .join('wallet_members as m', 'm.wallet_id', 'w.id')
          .select([...walletColumns, 'm.role'])
          .where('m.user_id', userId)
          .andWhereNot('w.owner_id', userId)
          .orderBy('w.id', 'asc')) as WalletRow[]
      ).map(toMemberWallet);
      return {
        owned: owned.map((w) => ({ ...w, members: members.get(w.id) ?? [] })),
        shared,
      };
    },
    async countFor(userId) {
      const owned = (await db('wallets').count({ n: '*' }).where('owner_id', userId).first()) as
        { n: unknown } | undefined;
      const shared = (await db('wallet_members as m')
        .join('wallets as w', 'w.id', 'm.wallet_id')
        .count({ n: '*' })
        .where('m.user_id', userId)
        .andWhereNot('w.owner_id', userId)
        .first()) as { n: unknown } | undefined;
      return { owned: toNumber(owned?.n ?? 0), shared: toNumber(shared?.n ?? 0) };
    },
    async listSharedIds(userId) {
      const rows = (await db('wallet_members as m')
        .join('wallets as w', 'w.id', 'm.wallet_id')
        .select('m.wallet_id')
        .where('m.user_id', userId)
        .andWhereNot('w.owner_id', userId)
        .orderBy('m.wallet_id')) as Array<{ wallet_id: string }>;
      return rows.map((r) => r.wallet_id);
    },
    async listOwnedIds(userId) {
      const rows = (await db('wallets').select('id').where('owner_id', userId)) as Array<{
        id: string;
      }>;
      return rows.map((r) => r.id);
    },
  };
}

/** Rows changed by a raw UPDATE: mysql2 answers [ResultSetHeader, fields], better-sqlite3 { changes }. */
export function affectedRows(result: unknown): number {
  if (Array.isArray(result)) {
    const header = result[0] as { affectedRows?: number } | undefined;
    return header?.affectedRows ?? 0;
  }
  const info = result as { changes?: number } | undefined;
  return info?.changes ?? 0;
}
