import type { Db } from '../../db.js';
import { toBigInt, toNumber } from '../../db.js';
import type { LedgerStore, Movement, MovementKind, Posting, PostingAccount } from './store.js';

interface MovementRow {
  id: string;
  user_id: string;
  kind: string;
  wallet_id: string;
  amount: unknown;
  currency: string;
  counter_wallet_id: string | null;
  counter_amount: unknown;
  counter_currency: string | null;
  rate: string | null;
  rounding: string | null;
  category: string | null;
  merchant: string | null;
  note: string | null;
  tags: string;
  occurred_at: string;
  reverses_id: string | null;
  created_at: unknown;
}

function toMovement(r: MovementRow): Movement {
  return {
    id: r.id,
    userId: r.user_id,
    kind: r.kind as MovementKind,
    walletId: r.wallet_id,
    amount: toBigInt(r.amount),
    currency: r.currency,
    counterWalletId: r.counter_wallet_id,
    counterAmount: r.counter_amount === null ? null : toBigInt(r.counter_amount),
    counterCurrency: r.counter_currency,
    rate: r.rate,
    rounding: r.rounding,
    category: r.category,
    merchant: r.merchant,
    note: r.note,
    tags: JSON.parse(r.tags) as string[],
    occurredAt: r.occurred_at,
    reversesId: r.reverses_id,
    createdAt: toNumber(r.created_at),
  };
}

/** The ledger store on SQL; `db` is the transaction the service hands down. */
export function createSqlLedgerStore(db: Db): LedgerStore {
  const row = (m: Movement) => ({
    id: m.id,
    user_id: m.userId,
    kind: m.kind,
    wallet_id: m.walletId,
    amount: m.amount,
    currency: m.currency,
    counter_wallet_id: m.counterWalletId,
    counter_amount: m.counterAmount,
    counter_currency: m.counterCurrency,
    rate: m.rate,
    rounding: m.rounding,
    category: m.category,
    merchant: m.merchant,
    note: m.note,
    tags: JSON.stringify(m.tags),
    occurred_at: m.occurredAt,
    reverses_id: m.reversesId,
    created_at: m.createdAt,
  });
  return {
    async insertMovements(movements) {
      if (movements.length > 0) await db('movements').insert(movements.map(row));
    },
    async insertMovement(m) {
      await db('movements').insert({
        id: m.id,
        user_id: m.userId,
        kind: m.kind,
        wallet_id: m.walletId,
        amount: m.amount,
        currency: m.currency,
        counter_wallet_id: m.counterWalletId,
        counter_amount: m.counterAmount,
        counter_currency: m.counterCurrency,
        rate: m.rate,
        rounding: m.rounding,
        category: m.category,
        merchant: m.merchant,
        note: m.note,
        tags: JSON.stringify(m.tags),
        occurred_at: m.occurredAt,
        reverses_id: m.reversesId,
        created_at: m.createdAt,
      });
    },
    async insertPostings(postings, now) {
      await db('postings').insert(
        postings.map((p) => ({
          movement_id: p.movementId,
          account: p.account,
          wallet_id: p.walletId,
          amount: p.amount,
          currency: p.currency,
          created_at: now,
        })),
      );
    },
    async findMovement(movementId) {
      const row = (await db('movements').where('id', movementId).first()) as
        MovementRow | undefined;
      return row ? toMovement(row) : undefined;
    },
    async findReversalOf(movementId) {
      const row = (await db('movements').where('reverses_id', movementId).first()) as
        MovementRow | undefined;
      return row ? toMovement(row) : undefined;
    },
    async postingsOf(movementId) {
      const rows = (await db('postings')
        .select('movement_id', 'account', 'wallet_id', 'amount', 'currency')
        .where('movement_id', movementId)
        .orderBy('id')) as Array<{
        movement_id: string;
        account: string;
        wallet_id: string | null;
        amount: unknown;
        currency: string;
      }>;
      return rows.map((r): Posting => ({
        movementId: r.movement_id,
        account: r.account as PostingAccount,
        walletId: r.wallet_id,
        amount: toBigInt(r.amount),
        currency: r.currency,
      }));
    },
    async listForWallet(walletId, beforeId, limit) {
      // Two index range scans merged, rather than one OR that MySQL would answer with a full scan.
      const side = (column: string) => {
        const q = db('movements').where(column, walletId).orderBy('id', 'desc').limit(limit);
        if (beforeId !== undefined) q.andWhere('id', '<', beforeId);
        return q;
      };
      const [a, b] = (await Promise.all([side('wallet_id'), side('counter_wallet_id')])) as [
        MovementRow[],
        MovementRow[],
      ];
      const byId = new Map<string, MovementRow>();
      for (const row of [...a, ...b]) byId.set(row.id, row);
      return [...byId.values()]
        .sort((x, y) => (x.id < y.id ? 1 : x.id > y.id ? -1 : 0))
        .slice(0, limit)
        .map(toMovement);
    },
    async sumWalletPostings(walletId) {
      const row = (await db('postings')
        .where('wallet_id', walletId)
        .sum({ total: 'amount' })
        .first()) as { total: unknown } | undefined;
      return row?.total === null || row?.total === undefined
        ? 0n
        : toBigInt(typeof row.total === 'string' ? row.total.replace(/\.0+$/, '') : row.total);
    },
  };
}
