/**
 * Income and expenses in batches: the same rules as `recordMovement`, applied to many requests in
 * one transaction with a fixed number of statements per batch instead of per movement (read the
 * keys, lock the wallets, read the roles, then one multi-row write per table, the keys with their
 * responses first). On this machine a
 * round trip to the database costs more than everything else a movement does, so this is where the
 * throughput comes from.
 *
 * Concurrency here is a row lock (SELECT ... FOR UPDATE in id order) rather than the conditional
 * UPDATE of the single path: the batch must know each wallet's exact balance to accept or refuse its
 * movements in arrival order, and it then writes the final balances in one statement. Both paths
 * take the same InnoDB row locks in the same id order, so they serialize correctly with each other.
 */
import {
  ConflictError,
  ForbiddenError,
  IdempotencyConflictError,
  InsufficientFundsError,
  NotFoundError,
  ValidationError,
  invariant,
} from '@spendstream/core/errors';
import { newId } from '../../ids.js';
import type { Stores } from '../../stores.js';
import type { IdempotencyRecord } from '../idempotency/store.js';
import { idempotencyRetentionMs } from '../idempotency/service.js';
import type { IdempotentOutcome } from '../idempotency/service.js';
import type { OutboxEvent } from '../outbox/store.js';
import { balanceChangedEvent, rawTransactionEvent } from './events.js';
import { presentMovement } from './presenter.js';
import type { MovementBody } from './schema.js';
import { assertBalanced, spendingRoles } from './service.js';
import type { Actor } from './service.js';
import type { Movement, Posting } from './store.js';

export interface BatchMovement {
  actor: Actor;
  body: MovementBody;
  principal: string;
  key: string;
  hash: string;
}

/** Per request: done (with the response), the key was taken, or the domain error that refused it. */
export type BatchMovementOutcome = IdempotentOutcome | { kind: 'error'; error: unknown };

const slot = (principal: string, key: string) => `${principal}\u0000${key}`;

/**
 * `prefetched`: the keys' records as read by the caller just before this transaction, on another
 * connection (a plain read either way, READ COMMITTED: a key committed after it is caught by the
 * insert at the end, as it would be after a read inside); omitted, they are read here.
 */
export async function recordMovementBatch(
  stores: Stores,
  items: BatchMovement[],
  now = Date.now(),
  prefetched?: IdempotencyRecord[],
): Promise<BatchMovementOutcome[]> {
  const outcomes: BatchMovementOutcome[] = new Array(items.length);
  // 1. Look the keys up (one plain read). A committed record is a replay (or a 409, decided after
  //    commit by finishIdempotent); an expired one is free again; the first request of the batch
  //    with a free key owns it and later ones with the same key follow it.
  const found = new Map(
    (prefetched ?? (await stores.idempotency.findMany(items))).map((r) => [
      slot(r.principal, r.key),
      r,
    ]),
  );
  const expired = [...found.values()].filter((r) => r.expiresAt <= now);
  if (expired.length > 0) {
    // Keys older than the retention are free again (rare; one more statement).
    await stores.idempotency.removeMany(expired);
    for (const r of expired) found.delete(slot(r.principal, r.key));
  }
  const owner = new Map<string, number>();
  const live: number[] = [];
  const followers: number[] = [];
  items.forEach((item, index) => {
    const s = slot(item.principal, item.key);
    if (found.has(s)) outcomes[index] = { kind: 'existing' };
    else if (owner.has(s)) followers.push(index);
    else {
      owner.set(s, index);
      live.push(index);
    }
  });

  // 2. Lock the wallets and read the roles: one statement for the whole batch.
  const walletIds = [...new Set(live.map((i) => items[i]!.body.walletId))];
  const locked = await stores.wallets.lockWithRoles(walletIds, [
    ...new Set(live.map((i) => items[i]!.actor.userId)),
  ]);
  const wallets = new Map(locked.wallets.map((w) => [w.id, { ...w }]));
  const roles = new Map(locked.roles.map((r) => [`${r.walletId}|${r.userId}`, r.role]));

  // 3. Decide each movement in arrival order against the running balances.
  const movements: Movement[] = [];
  const postings: Posting[] = [];
  const events: OutboxEvent[] = [];
  const completed: IdempotencyRecord[] = [];
  const touched = new Set<string>();
  for (const index of live) {
    const { actor, body, principal, key } = items[index]!;
    const wallet = wallets.get(body.walletId);
    const role = roles.get(`${body.walletId}|${actor.userId}`);
    let error: unknown;
    if (!wallet || !role) error = new NotFoundError('no such wallet', { field: 'walletId' });
    else if (!spendingRoles.includes(role))
      error = new ForbiddenError(`your role on this wallet (${role}) cannot do this`, {
        field: 'walletId',
      });
    else if (wallet.archivedAt !== null)
      error = new ConflictError('the wallet is archived', { field: 'walletId' });
    else if (body.currency !== undefined && body.currency !== wallet.currency)
      error = new ValidationError(`the wallet holds ${wallet.currency}, not ${body.currency}`, {
        field: 'currency',
      });
    const sign = body.kind === 'income' ? 1n : -1n;
    if (
      error === undefined &&
      wallet &&
      sign < 0n &&
      wallet.balance - body.amount < -wallet.overdraftLimit
    )
      error = new InsufficientFundsError(undefined, { field: 'amount' });
    if (error !== undefined || !wallet) {
      outcomes[index] = { kind: 'error', error };
      continue;
    }
    const movement: Movement = {
      id: newId(now),
      userId: actor.userId,
      kind: body.kind,
      walletId: wallet.id,
      amount: body.amount,
      currency: wallet.currency,
      counterWalletId: null,
      counterAmount: null,
      counterCurrency: null,
      rate: null,
      rounding: null,
      category: body.category ?? null,
      merchant: body.merchant ?? null,
      note: body.note ?? null,
      tags: body.tags,
      occurredAt: body.occurredAt ?? new Date(now).toISOString(),
      reversesId: null,
      createdAt: now,
    };
    const entries: Posting[] = [
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
    assertBalanced(entries);
    wallet.balance += sign * body.amount;
    wallet.postingSeq += 1;
    invariant(
      wallet.balance >= -wallet.overdraftLimit || sign > 0n,
      `wallet ${wallet.id} went below its overdraft limit`,
    );
    touched.add(wallet.id);
    movements.push(movement);
    postings.push(...entries);
    events.push(
      rawTransactionEvent(
        movement,
        {
          transactionId: movement.id,
          ownerId: wallet.ownerId,
          walletId: wallet.id,
          kind: body.kind,
          amount: body.amount,
          currency: wallet.currency,
        },
        { version: 1, reversed: false, now },
      ),
      balanceChangedEvent({
        ownerId: wallet.ownerId,
        walletId: wallet.id,
        currency: wallet.currency,
        delta: sign * body.amount,
        balance: wallet.balance,
        sequence: wallet.postingSeq,
        movementId: movement.id,
        occurredAt: movement.occurredAt,
        now,
      }),
    );
    const response = JSON.stringify(presentMovement(movement));
    completed.push({
      principal,
      key,
      requestHash: items[index]!.hash,
      responseStatus: 201,
      responseBody: response,
      createdAt: now,
      expiresAt: now + idempotencyRetentionMs,
    });
    outcomes[index] = { kind: 'done', status: 201, body: response };
  }

  // A later request of the batch with an owned key: a replay of the owner's response once
  // committed, or, if the owner was refused (nothing stored), the owner's error for the same
  // request and a 409 for another one.
  for (const index of followers) {
    const item = items[index]!;
    const first = outcomes[owner.get(slot(item.principal, item.key))!]!;
    if (first.kind !== 'error') outcomes[index] = { kind: 'existing' };
    else if (items[owner.get(slot(item.principal, item.key))!]!.hash === item.hash)
      outcomes[index] = first;
    else outcomes[index] = { kind: 'error', error: new IdempotencyConflictError() };
  }

  // 4. One multi-row write per table, the keys first: if another transaction committed one of
  //    them since the read above, the whole batch rolls back and runs again (KeyRaceError).
  if (!(await stores.idempotency.insertMany(completed))) throw new KeyRaceError();
  await stores.ledger.insertMovements(movements);
  if (postings.length > 0) await stores.ledger.insertPostings(postings, now);
  await stores.wallets.setBalances(
    [...touched].map((id) => ({
      walletId: id,
      balance: wallets.get(id)!.balance,
      postingSeq: wallets.get(id)!.postingSeq,
    })),
    now,
  );
  await stores.outbox.append(events);
  return outcomes;
}

/**
 * Another transaction stored one of the batch's keys between its read and its insert (a duplicate
 * request on another instance or on the single-request path): the batch rolls back and runs again,
 * and then sees the key as taken.
 */
export class KeyRaceError extends Error {
  constructor() {
    super('an idempotency key of the batch was stored concurrently; run the batch again');
    this.name = 'KeyRaceError';
  }
}
