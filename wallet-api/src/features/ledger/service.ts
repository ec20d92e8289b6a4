/**
 * The ledger: income, expense, transfer (with conversion) and reversal as double-entry postings in
 * an append-only table; the wallet balances, the postings and the outbox events change in the one
 * transaction the caller hands down.
 *
 * Concurrency: a conditional UPDATE (`balance + delta >= -overdraft_limit` in the WHERE clause), not
 * SELECT ... FOR UPDATE. The check and the write are one statement, so no stale read can let a debit
 * through; it costs one round trip instead of two while the row lock is held (InnoDB keeps the row
 * locked from the UPDATE to COMMIT either way), and it works unchanged on SQLite, which has no
 * FOR UPDATE and serializes writers. Wallet rows are always updated in id order, so two transfers
 * crossing the same pair of wallets cannot deadlock; the balance updates run last in the
 * transaction, so the hot row is locked for as short a time as possible.
 */
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  InsufficientFundsError,
  invariant,
} from '@spendstream/core/errors';
import { assertAmountWithinBound, convert, money } from '@spendstream/core/money';
import { newId } from '../../ids.js';
import type { Stores } from '../../stores.js';
import type { OutboxEvent } from '../outbox/store.js';
import type { MemberRole, MemberWallet, Wallet } from '../wallets/store.js';
import { balanceChangedEvent, rawTransactionEvent } from './events.js';
import type { MovementLeg } from './events.js';
import type { MovementBody, TransferBody } from './schema.js';
import type { Movement, Posting } from './store.js';

/** Who acts: a user, directly or through a machine client they granted access to. */
export interface Actor {
  userId: string;
  clientId?: string;
}

/** Roles that may move money out of or into a wallet. */
export const spendingRoles: readonly MemberRole[] = ['owner', 'editor'];

/** Movements per page, default and most. */
export const movementsPageSizeDefault = 50;
export const movementsPageSizeMax = 200;

/** The wallet as `actor` sees it, requiring one of `roles`; a wallet they cannot see is a 404. */
export async function requireWalletRole(
  stores: Stores,
  actor: Actor,
  walletId: string,
  roles: readonly MemberRole[],
  field = 'walletId',
): Promise<MemberWallet> {
  const wallet = await stores.wallets.findForMember(actor.userId, walletId);
  if (!wallet) throw new NotFoundError('no such wallet', { field });
  if (!roles.includes(wallet.role))
    throw new ForbiddenError(`your role on this wallet (${wallet.role}) cannot do this`, { field });
  return wallet;
}

function checkCurrency(given: string | undefined, wallet: Wallet, field = 'currency'): void {
  if (given !== undefined && given !== wallet.currency) {
    throw new ValidationError(`the wallet holds ${wallet.currency}, not ${given}`, { field });
  }
}

function assertActive(wallet: Wallet, field: string): void {
  if (wallet.archivedAt !== null) throw new ConflictError('the wallet is archived', { field });
}

/** Postings of a movement sum to zero in every currency: the double-entry invariant. */
export function assertBalanced(postings: readonly Posting[]): void {
  const sums = new Map<string, bigint>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount);
  for (const [currency, sum] of sums)
    invariant(
      sum === 0n,
      `postings of movement ${postings[0]?.movementId} sum to ${sum} ${currency}, not zero`,
    );
}

interface WalletChange {
  wallet: Wallet;
  delta: bigint;
}

/**
 * Write a movement: the movement row, its postings, the balance changes (in wallet id order, each
 * a conditional update) and the outbox events, all in the caller's transaction.
 */
async function post(
  stores: Stores,
  movement: Movement,
  postings: Posting[],
  changes: WalletChange[],
  rawEvents: OutboxEvent[],
  now: number,
): Promise<void> {
  assertBalanced(postings);
  await stores.ledger.insertMovement(movement);
  await stores.ledger.insertPostings(postings, now);
  const events: OutboxEvent[] = [...rawEvents];
  const ordered = [...changes].sort((a, b) =>
    a.wallet.id < b.wallet.id ? -1 : a.wallet.id > b.wallet.id ? 1 : 0,
  );
  for (const { wallet, delta } of ordered) {
    const result = await stores.wallets.changeBalance(wallet.id, delta, now);
    if (result.outcome === 'insufficient_funds')
      throw new InsufficientFundsError(undefined, { field: 'amount' });
    if (result.outcome === 'archived')
      throw new ConflictError('the wallet is archived', { field: 'walletId' });
    invariant(result.outcome === 'applied', `wallet ${wallet.id} vanished inside the transaction`);
    invariant(
      result.balance >= -wallet.overdraftLimit || delta > 0n,
      `wallet ${wallet.id} went below its overdraft limit`,
    );
    events.push(
      balanceChangedEvent({
        ownerId: wallet.ownerId,
        walletId: wallet.id,
        currency: wallet.currency,
        delta,
        balance: result.balance,
        sequence: result.sequence,
        movementId: movement.id,
        occurredAt: movement.occurredAt,
        now,
      }),
    );
  }
  await stores.outbox.append(events);
}

function baseMovement(
  actor: Actor,
  body: {
    category?: string | undefined;
    merchant?: string | undefined;
    note?: string | undefined;
    tags: string[];
    occurredAt?: string | undefined;
  },
  now: number,
) {
  return {
    id: newId(now),
    userId: actor.userId,
    category: body.category ?? null,
    merchant: body.merchant ?? null,
    note: body.note ?? null,
    tags: body.tags,
    occurredAt: body.occurredAt ?? new Date(now).toISOString(),
    reversesId: null,
    createdAt: now,
  };
}

/** Income into, or an expense out of, one wallet the actor may spend from. */
export async function recordMovement(
  stores: Stores,
  actor: Actor,
  body: MovementBody,
  now = Date.now(),
): Promise<Movement> {
  const wallet = await requireWalletRole(stores, actor, body.walletId, spendingRoles);
  assertActive(wallet, 'walletId');
  checkCurrency(body.currency, wallet);
  const movement: Movement = {
    ...baseMovement(actor, body, now),
    kind: body.kind,
    walletId: wallet.id,
    amount: body.amount,
    currency: wallet.currency,
    counterWalletId: null,
    counterAmount: null,
    counterCurrency: null,
    rate: null,
    rounding: null,
  };
  const sign = body.kind === 'income' ? 1n : -1n;
  const postings: Posting[] = [
    {
      movementId: movement.id,
      account: 'wallet',
      walletId: wallet.id,
      amount: sign * body.amount,
      currency: wallet.currency,
    },
    {
      movementId: movement.id,
      account: 'external',
      walletId: null,
      amount: -sign * body.amount,
      currency: wallet.currency,
    },
  ];
  const leg: MovementLeg = {
    transactionId: movement.id,
    ownerId: wallet.ownerId,
    walletId: wallet.id,
    kind: body.kind,
    amount: body.amount,
    currency: wallet.currency,
  };
  await post(
    stores,
    movement,
    postings,
    [{ wallet, delta: sign * body.amount }],
    [rawTransactionEvent(movement, leg, { version: 1, reversed: false, now })],
    now,
  );
  return movement;
}

async function resolveTarget(
  stores: Stores,
  source: Wallet,
  to: TransferBody['to'],
): Promise<Wallet> {
  if ('walletId' in to) {
    const wallet = await stores.wallets.findById(to.walletId);
    if (!wallet) throw new NotFoundError('no such target wallet', { field: 'to.walletId' });
    return wallet;
  }
  const user =
    'userId' in to
      ? await stores.users.findById(to.userId)
      : await stores.users.findByEmail(to.email.toLowerCase());
  const field = 'userId' in to ? 'to.userId' : 'to.email';
  if (!user) throw new NotFoundError('no such user', { field });
  // The recipient's wallet in the sender's currency first, so a plain transfer needs no rate.
  const wallet =
    (await stores.wallets.findOwnedInCurrency(user.id, source.currency)) ??
    (await stores.wallets.findOwnedInCurrency(user.id, user.homeCurrency));
  if (!wallet)
    throw new NotFoundError('the recipient has no active wallet to receive this', { field });
  return wallet;
}

function legsOf(movement: Movement, source: Wallet, target: Wallet): MovementLeg[] {
  invariant(
    movement.counterAmount !== null && movement.counterCurrency !== null,
    'a transfer has a counter amount',
  );
  return [
    {
      transactionId: `${movement.id}:out`,
      ownerId: source.ownerId,
      walletId: source.id,
      kind: 'transfer_out',
      amount: movement.amount,
      currency: movement.currency,
      counterpartyWalletId: target.id,
      counterpartyUserId: target.ownerId,
    },
    {
      transactionId: `${movement.id}:in`,
      ownerId: target.ownerId,
      walletId: target.id,
      kind: 'transfer_in',
      amount: movement.counterAmount,
      currency: movement.counterCurrency,
      counterpartyWalletId: source.id,
      counterpartyUserId: source.ownerId,
    },
  ];
}

/** A transfer from a wallet the actor may spend from to any active wallet, converting when the currencies differ. */
export async function recordTransfer(
  stores: Stores,
  actor: Actor,
  body: TransferBody,
  now = Date.now(),
): Promise<Movement> {
  const source = await requireWalletRole(
    stores,
    actor,
    body.fromWalletId,
    spendingRoles,
    'fromWalletId',
  );
  assertActive(source, 'fromWalletId');
  checkCurrency(body.currency, source);
  const target = await resolveTarget(stores, source, body.to);
  assertActive(target, 'to');
  if (target.id === source.id)
    throw new ValidationError('a transfer needs two different wallets', { field: 'to' });
  let counterAmount = body.amount;
  let rate: string | null = null;
  let rounding: string | null = null;
  if (target.currency !== source.currency) {
    if (body.rate === undefined)
      throw new ValidationError(
        `the target wallet holds ${target.currency}: give the ${source.currency}->${target.currency} rate`,
        { field: 'rate' },
      );
    counterAmount = convert(
      money(body.amount, source.currency),
      target.currency,
      body.rate,
      body.rounding,
    ).to.amount;
    assertAmountWithinBound(counterAmount, 'rate');
    if (counterAmount <= 0n)
      throw new ValidationError('the converted amount rounds to nothing', { field: 'amount' });
    rate = body.rate;
    rounding = body.rounding;
  } else if (body.rate !== undefined && body.rate !== '1' && !/^1\.0+$/.test(body.rate)) {
    throw new ValidationError(
      'both wallets hold the same currency: a rate other than 1 makes no sense',
      { field: 'rate' },
    );
  }
  const movement: Movement = {
    ...baseMovement(actor, body, now),
    kind: 'transfer',
    walletId: source.id,
    amount: body.amount,
    currency: source.currency,
    counterWalletId: target.id,
    counterAmount,
    counterCurrency: target.currency,
    rate,
    rounding,
  };
  const postings: Posting[] = [
    {
      movementId: movement.id,
      account: 'wallet',
      walletId: source.id,
      amount: -body.amount,
      currency: source.currency,
    },
  ];
  if (target.currency !== source.currency) {
    // Through the exchange account, so each currency balances on its own.
    postings.push({
      movementId: movement.id,
      account: 'fx',
      walletId: null,
      amount: body.amount,
      currency: source.currency,
    });
    postings.push({
      movementId: movement.id,
      account: 'fx',
      walletId: null,
      amount: -counterAmount,
      currency: target.currency,
    });
  }
  postings.push({
    movementId: movement.id,
    account: 'wallet',
    walletId: target.id,
    amount: counterAmount,
    currency: target.currency,
  });
  const raw = legsOf(movement, source, target).map((leg) =>
    rawTransactionEvent(movement, leg, { version: 1, reversed: false, now }),
  );
  await post(
    stores,
    movement,
    postings,
    [
      { wallet: source, delta: -body.amount },
      { wallet: target, delta: counterAmount },
    ],
    raw,
    now,
  );
  return movement;
}

/** A movement the actor may see: they are a member of a wallet on either side. */
export async function getMovement(
  stores: Stores,
  actor: Actor,
  movementId: string,
): Promise<Movement> {
  const movement = await stores.ledger.findMovement(movementId);
  if (movement) {
    const walletIds = [
      movement.walletId,
      ...(movement.counterWalletId === null ? [] : [movement.counterWalletId]),
    ];
    for (const walletId of walletIds) {
      if (await stores.wallets.findForMember(actor.userId, walletId)) return movement;
    }
  }
  throw new NotFoundError('no such movement', { field: 'movementId' });
}

/**
 * Reverse a movement with a new compensating one (never a delete): the negated postings, once.
 * The actor needs a spending role on every wallet the reversal takes money from.
 */
export async function reverseMovement(
  stores: Stores,
  actor: Actor,
  movementId: string,
  note: string | undefined,
  now = Date.now(),
): Promise<Movement> {
  const original = await getMovement(stores, actor, movementId);
  if (original.kind === 'reversal')
    throw new ConflictError('a reversal cannot be reversed; record a new movement instead', {
      field: 'movementId',
    });
  if (await stores.ledger.findReversalOf(original.id))
    throw new ConflictError('this movement is already reversed', { field: 'movementId' });
  const originalPostings = await stores.ledger.postingsOf(original.id);
  const movement: Movement = {
    ...original,
    id: newId(now),
    userId: actor.userId,
    kind: 'reversal',
    note: note ?? null,
    occurredAt: new Date(now).toISOString(),
    reversesId: original.id,
    createdAt: now,
  };
  const postings = originalPostings.map((p): Posting => ({
    ...p,
    movementId: movement.id,
    amount: -p.amount,
  }));
  const changes: WalletChange[] = [];
  for (const p of postings) {
    if (p.walletId === null) continue;
    const wallet =
      p.amount < 0n
        ? await requireWalletRole(stores, actor, p.walletId, spendingRoles)
        : await stores.wallets.findById(p.walletId);
    invariant(wallet, `wallet ${p.walletId} of a posting exists`);
    changes.push({ wallet, delta: p.amount });
  }
  const raw: OutboxEvent[] = [];
  if (original.kind === 'transfer') {
    const source = changes.find((c) => c.wallet.id === original.walletId)?.wallet;
    const target = changes.find((c) => c.wallet.id === original.counterWalletId)?.wallet;
    invariant(source && target, 'a transfer has both wallets');
    for (const leg of legsOf(original, source, target))
      raw.push(rawTransactionEvent(original, leg, { version: 2, reversed: true, now }));
  } else {
    const wallet = changes[0]?.wallet;
    invariant(wallet, 'a movement has a wallet');
    const leg: MovementLeg = {
      transactionId: original.id,
      ownerId: wallet.ownerId,
      walletId: wallet.id,
      kind: original.kind,
      amount: original.amount,
      currency: original.currency,
    };
    raw.push(rawTransactionEvent(original, leg, { version: 2, reversed: true, now }));
  }
  try {
    await post(stores, movement, postings, changes, raw, now);
  } catch (error) {
    // Two concurrent reversals: the unique reverses_id lets exactly one commit.
    if (isDuplicate(error))
      throw new ConflictError('this movement is already reversed', { field: 'movementId' });
    throw error;
  }
  return movement;
}

function isDuplicate(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Movements touching a wallet the actor is a member of, newest first. */
export async function listWalletMovements(
  stores: Stores,
  actor: Actor,
  walletId: string,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: Movement[]; nextCursor: string | null }> {
  await requireWalletRole(stores, actor, walletId, ['owner', 'editor', 'viewer']);
  const items = await stores.ledger.listForWallet(walletId, cursor, limit + 1);
  const page = items.slice(0, limit);
  return { items: page, nextCursor: items.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/** Checks the conservation invariant of one wallet from the read side: balance = sum of postings. */
export async function verifyWalletBalance(
  stores: Stores,
  walletId: string,
): Promise<{ balance: bigint; postings: bigint }> {
  const wallet = await stores.wallets.findById(walletId);
  if (!wallet) throw new NotFoundError('no such wallet', { field: 'walletId' });
  const postings = await stores.ledger.sumWalletPostings(walletId);
  return { balance: wallet.balance, postings };
}
