/**
 * In-memory twins of every store, for fast unit tests of the services: the same interfaces, the same
 * refusals (unique keys, the conditional balance update), and a transaction that runs one at a time
 * and rolls the whole state back when its function throws, as SQLite would.
 */
import type { Client, ClientGrant, RefreshToken, StoredSigningKey } from './features/auth/store.js';
import type { IdempotencyRecord } from './features/idempotency/store.js';
import type { Movement, Posting } from './features/ledger/store.js';
import type { OutboxEvent, PendingOutboxEvent } from './features/outbox/store.js';
import type { RateWindow } from './features/rate-limits/store.js';
import type { UserWithSecret } from './features/users/store.js';
import type { Wallet, WalletMember } from './features/wallets/store.js';
import type { BatchResult, Stores, UnitOfWork } from './stores.js';

interface State {
  users: Map<string, UserWithSecret>;
  walletsRevisions: Map<string, number>;
  wallets: Map<string, Wallet & { postingSeq: number }>;
  members: Map<string, WalletMember>;
  movements: Map<string, Movement>;
  postings: Posting[];
  outbox: Array<PendingOutboxEvent & { publishedAt: number | null }>;
  nextSeq: bigint;
  keys: Map<string, IdempotencyRecord>;
  refreshTokens: Map<string, RefreshToken>;
  signingKeys: Map<string, StoredSigningKey>;
  clients: Map<string, Client>;
  grants: Map<string, ClientGrant>;
  rateWindows: Map<string, RateWindow>;
  leases: Map<string, { owner: string; expiresAt: number }>;
}

function emptyState(): State {
  return {
    users: new Map(),
    walletsRevisions: new Map(),
    wallets: new Map(),
    members: new Map(),
    movements: new Map(),
    postings: [],
    outbox: [],
    nextSeq: 1n,
    keys: new Map(),
    refreshTokens: new Map(),
    signingKeys: new Map(),
    clients: new Map(),
    grants: new Map(),
    rateWindows: new Map(),
    leases: new Map(),
  };
}

class DuplicateKeyError extends Error {
  readonly code = 'SQLITE_CONSTRAINT_UNIQUE';
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function storesOn(state: () => State): Stores {
  const s = state;
  const memberKey = (walletId: string, userId: string) => `${walletId}|${userId}`;
  const stripSeq = (w: Wallet & { postingSeq: number }): Wallet => {
    const { postingSeq: _seq, ...wallet } = w;
    return { ...wallet };
  };
  return {
    users: {
      async insert(user) {
        if ([...s().users.values()].some((u) => u.email === user.email)) return false;
        s().users.set(user.id, { ...user });
        return true;
      },
      async findById(id) {
        const u = s().users.get(id);
        if (!u) return undefined;
        const { passwordHash: _hash, ...user } = u;
        return user;
      },
      async findByEmail(email) {
        const u = [...s().users.values()].find((x) => x.email === email);
        if (!u) return undefined;
        const { passwordHash: _hash, ...user } = u;
        return user;
      },
      async findSecretByEmail(email) {
        return [...s().users.values()].find((x) => x.email === email);
      },
      async findSecretById(id) {
        return s().users.get(id);
      },
      async setPasswordHash(id, passwordHash, now) {
        const u = s().users.get(id);
        if (u) s().users.set(id, { ...u, passwordHash, updatedAt: now });
      },
      async updateSettings(id, changes, now) {
        const u = s().users.get(id);
        if (!u) return undefined;
        const next = {
          ...u,
          ...changes,
          settingsRevision: u.settingsRevision + 1,
          updatedAt: now,
        };
        s().users.set(id, next);
        const { passwordHash: _hash, ...user } = next;
        return user;
      },
      async nextWalletsRevision(id) {
        const u = s().users.get(id);
        if (!u) return undefined;
        const revision = (s().walletsRevisions.get(id) ?? 0) + 1;
        s().walletsRevisions.set(id, revision);
        return revision;
      },
      async delete(id) {
        s().users.delete(id);
        s().walletsRevisions.delete(id);
      },
    },
    wallets: {
      async insert(w) {
        s().wallets.set(w.id, { ...w, postingSeq: 0 });
      },
      async findById(id) {
        const w = s().wallets.get(id);
        return w ? stripSeq(w) : undefined;
      },
      async findForMember(userId, walletId) {
        const w = s().wallets.get(walletId);
        const m = s().members.get(memberKey(walletId, userId));
        return w && m ? { ...stripSeq(w), role: m.role } : undefined;
      },
      async listForMember(userId, afterId, limit) {
        return [...s().members.values()]
          .filter((m) => m.userId === userId && (afterId === undefined || m.walletId > afterId))
          .map((m) => ({ ...stripSeq(s().wallets.get(m.walletId)!), role: m.role }))
          .sort(byId)
          .slice(0, limit);
      },
      async findOwnedInCurrency(userId, currency) {
        return [...s().wallets.values()]
          .filter((w) => w.ownerId === userId && w.currency === currency && w.archivedAt === null)
          .sort(byId)
          .map(stripSeq)[0];
      },
      async update(id, patch, now) {
        const w = s().wallets.get(id);
        if (w) s().wallets.set(id, { ...w, ...patch, updatedAt: now });
      },
      async changeBalance(id, delta, now) {
        const w = s().wallets.get(id);
        if (!w) return { outcome: 'missing' };
        if (w.archivedAt !== null) return { outcome: 'archived' };
        if (delta < 0n && w.balance + delta < -w.overdraftLimit)
          return { outcome: 'insufficient_funds' };
        const next = {
          ...w,
          balance: w.balance + delta,
          postingSeq: w.postingSeq + 1,
          updatedAt: now,
        };
        s().wallets.set(id, next);
        return { outcome: 'applied', balance: next.balance, sequence: next.postingSeq };
      },
      async upsertMember(m) {
        const existing = s().members.get(memberKey(m.walletId, m.userId));
        s().members.set(memberKey(m.walletId, m.userId), {
          ...m,
          createdAt: existing?.createdAt ?? m.createdAt,
        });
      },
      async removeMember(walletId, userId) {
        return s().members.delete(memberKey(walletId, userId));
      },
      async listMembers(walletId) {
        return [...s().members.values()]
          .filter((m) => m.walletId === walletId)
          .sort((a, b) => a.createdAt - b.createdAt);
      },
      async snapshotOf(userId) {
        const wallets = [...s().wallets.values()].sort(byId);
        const others = (walletId: string) =>
          [...s().members.values()]
            .filter((m) => m.walletId === walletId && m.role !== 'owner')
            .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
            .map((m) => ({ userId: m.userId, role: m.role }));
        return {
          owned: wallets
            .filter((w) => w.ownerId === userId)
            .map((w) => ({ ...stripSeq(w), members: others(w.id) })),
          shared: wallets.flatMap((w) => {
            const m = s().members.get(memberKey(w.id, userId));
            return m && w.ownerId !== userId ? [{ ...stripSeq(w), role: m.role }] : [];
          }),
        };
      },
      async countFor(userId) {
        const { owned, shared } = await this.snapshotOf(userId);
        return { owned: owned.length, shared: shared.length };
      },
      async listSharedIds(userId) {
        return (await this.snapshotOf(userId)).shared.map((w) => w.id);
      },
      async listOwnedIds(userId) {
        return [...s().wallets.values()].filter((w) => w.ownerId === userId).map((w) => w.id);
      },
      async lockWithRoles(ids, userIds) {
        return {
          wallets: [...new Set(ids)]
            .map((id) => s().wallets.get(id))
            .filter((w): w is Wallet & { postingSeq: number } => w !== undefined)
            .map((w) => ({ ...w }))
            .sort(byId),
          roles: [...s().members.values()]
            .filter((m) => ids.includes(m.walletId) && userIds.includes(m.userId))
            .map((m) => ({ walletId: m.walletId, userId: m.userId, role: m.role })),
        };
      },
      async setBalances(updates, now) {
        for (const u of updates) {
          const w = s().wallets.get(u.walletId);
          if (w)
            s().wallets.set(u.walletId, {
              ...w,
              balance: u.balance,
              postingSeq: u.postingSeq,
              updatedAt: now,
            });
        }
      },
    },
    ledger: {
      async insertMovements(movements) {
        for (const m of movements) await this.insertMovement(m);
      },
      async insertMovement(m) {
        if (s().movements.has(m.id)) throw new DuplicateKeyError(`movement ${m.id}`);
        if (
          m.reversesId !== null &&
          [...s().movements.values()].some((x) => x.reversesId === m.reversesId)
        ) {
          throw new DuplicateKeyError(`reversal of ${m.reversesId}`);
        }
        s().movements.set(m.id, { ...m, tags: [...m.tags] });
      },
      async insertPostings(postings) {
        s().postings.push(...postings.map((p) => ({ ...p })));
      },
      async findMovement(id) {
        return s().movements.get(id);
      },
      async findReversalOf(id) {
        return [...s().movements.values()].find((m) => m.reversesId === id);
      },
      async postingsOf(id) {
        return s().postings.filter((p) => p.movementId === id);
      },
      async listForWallet(walletId, beforeId, limit) {
        return [...s().movements.values()]
          .filter(
            (m) =>
              (m.walletId === walletId || m.counterWalletId === walletId) &&
              (beforeId === undefined || m.id < beforeId),
          )
          .sort((a, b) => byId(b, a))
          .slice(0, limit);
      },
      async sumWalletPostings(walletId) {
        return s()
          .postings.filter((p) => p.walletId === walletId)
          .reduce((sum, p) => sum + p.amount, 0n);
      },
    },
    outbox: {
      async append(events: OutboxEvent[]) {
        for (const e of events) {
          if (s().outbox.some((o) => o.eventId === e.eventId))
            throw new DuplicateKeyError(`event ${e.eventId}`);
          s().outbox.push({ ...e, seq: s().nextSeq, publishedAt: null });
          s().nextSeq += 1n;
        }
      },
      async pending(limit) {
        return s()
          .outbox.filter((o) => o.publishedAt === null)
          .slice(0, limit)
          .map(({ publishedAt: _p, ...e }) => e);
      },
      async markPublished(seqs, now) {
        const set = new Set(seqs);
        for (const o of s().outbox) if (set.has(o.seq)) o.publishedAt = now;
      },
      async purgePublished(before, limit) {
        const gone = s()
          .outbox.filter((o) => o.publishedAt !== null && o.publishedAt < before)
          .slice(0, limit);
        s().outbox = s().outbox.filter((o) => !gone.includes(o));
        return gone.length;
      },
    },
    idempotency: {
      async claim(r) {
        const key = `${r.principal}|${r.key}`;
        if (s().keys.has(key)) return false;
        s().keys.set(key, { ...r });
        return true;
      },
      async find(principal, key) {
        return s().keys.get(`${principal}|${key}`);
      },
      async complete(principal, key, status, body) {
        const r = s().keys.get(`${principal}|${key}`);
        if (r)
          s().keys.set(`${principal}|${key}`, { ...r, responseStatus: status, responseBody: body });
      },
      async remove(principal, key) {
        s().keys.delete(`${principal}|${key}`);
      },
      async insertMany(records) {
        if (records.some((r) => s().keys.has(`${r.principal}|${r.key}`))) return false;
        for (const r of records) s().keys.set(`${r.principal}|${r.key}`, { ...r });
        return true;
      },
      async findMany(keys) {
        return keys
          .map((k) => s().keys.get(`${k.principal}|${k.key}`))
          .filter((r): r is IdempotencyRecord => r !== undefined);
      },
      async removeMany(keys) {
        for (const k of keys) s().keys.delete(`${k.principal}|${k.key}`);
      },
      async purgeExpired(now, limit) {
        const gone = [...s().keys.entries()].filter(([, r]) => r.expiresAt < now).slice(0, limit);
        for (const [k] of gone) s().keys.delete(k);
        return gone.length;
      },
    },
    refreshTokens: {
      async insert(t) {
        s().refreshTokens.set(t.id, { ...t });
      },
      async findByHash(hash) {
        return [...s().refreshTokens.values()].find((t) => t.tokenHash === hash);
      },
      async markUsed(id, now) {
        const t = s().refreshTokens.get(id);
        if (!t || t.usedAt !== null || t.revokedAt !== null) return false;
        s().refreshTokens.set(id, { ...t, usedAt: now });
        return true;
      },
      async revokeFamily(familyId, now) {
        for (const t of s().refreshTokens.values())
          if (t.familyId === familyId && t.revokedAt === null) t.revokedAt = now;
      },
      async revokeAllOfUser(userId, now) {
        for (const t of s().refreshTokens.values())
          if (t.userId === userId && t.revokedAt === null) t.revokedAt = now;
      },
    },
    signingKeys: {
      async list() {
        return [...s().signingKeys.values()].sort((a, b) => b.createdAt - a.createdAt);
      },
      async insert(k) {
        s().signingKeys.set(k.kid, { ...k });
      },
      async retire(kid, now) {
        const k = s().signingKeys.get(kid);
        if (k && k.retiredAt === null) k.retiredAt = now;
      },
      async setPrivateJwk(kid, privateJwk) {
        const k = s().signingKeys.get(kid);
        if (k) k.privateJwk = privateJwk;
      },
    },
    clients: {
      async insert(c) {
        s().clients.set(c.id, { ...c });
      },
      async findById(id) {
        return s().clients.get(id);
      },
      async upsertGrant(g) {
        s().grants.set(`${g.clientId}|${g.userId}`, { ...g });
      },
      async removeGrant(clientId, userId) {
        return s().grants.delete(`${clientId}|${userId}`);
      },
      async findGrant(clientId, userId) {
        return s().grants.get(`${clientId}|${userId}`);
      },
      async listGrantsOfClient(clientId) {
        return [...s().grants.values()]
          .filter((g) => g.clientId === clientId)
          .sort((a, b) => (a.userId < b.userId ? -1 : 1));
      },
    },
    leases: {
      async acquire(name, owner, now, ttlMs) {
        const lease = s().leases.get(name);
        if (lease !== undefined && lease.owner !== owner && lease.expiresAt > now) return false;
        s().leases.set(name, { owner, expiresAt: now + ttlMs });
        return true;
      },
      async release(name, owner) {
        if (s().leases.get(name)?.owner === owner) s().leases.delete(name);
      },
      async get(name) {
        const lease = s().leases.get(name);
        return lease === undefined ? undefined : { ...lease };
      },
    },
    rateLimits: {
      async hit(bucket, now, windowMs) {
        const w = s().rateWindows.get(bucket);
        const next =
          w === undefined || w.windowEndsAt <= now
            ? { hits: 1, windowEndsAt: now + windowMs }
            : { hits: w.hits + 1, windowEndsAt: w.windowEndsAt };
        s().rateWindows.set(bucket, next);
        return { ...next };
      },
      async get(bucket, now) {
        const w = s().rateWindows.get(bucket);
        return w !== undefined && w.windowEndsAt > now ? { ...w } : undefined;
      },
      async unhit(bucket, now) {
        const w = s().rateWindows.get(bucket);
        if (w !== undefined && w.windowEndsAt > now && w.hits > 0)
          s().rateWindows.set(bucket, { ...w, hits: w.hits - 1 });
      },
      async remove(bucket) {
        s().rateWindows.delete(bucket);
      },
      async purgeEnded(now, limit) {
        const gone = [...s().rateWindows.entries()]
          .filter(([, w]) => w.windowEndsAt <= now)
          .slice(0, limit);
        for (const [bucket] of gone) s().rateWindows.delete(bucket);
        return gone.length;
      },
    },
  };
}

/** A unit of work over in-memory stores: one transaction at a time, rolled back on throw. */
export function createFakeUnitOfWork(): UnitOfWork & { state(): State } {
  let state = emptyState();
  let queue: Promise<unknown> = Promise.resolve();
  const stores = storesOn(() => state);
  return {
    read: stores,
    state: () => state,
    transaction<T>(fn: (s: Stores) => Promise<T>): Promise<T> {
      const run = queue.then(async () => {
        const snapshot = structuredClone(state);
        try {
          return await fn(stores);
        } catch (error) {
          state = snapshot;
          throw error;
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
    batch<T>(fns: Array<(s: Stores) => Promise<T>>): Promise<Array<BatchResult<T>>> {
      const run = queue.then(async () => {
        const results: Array<BatchResult<T>> = [];
        for (const fn of fns) {
          const savepoint = structuredClone(state);
          try {
            results.push({ ok: true, value: await fn(stores) });
          } catch (error) {
            state = savepoint;
            results.push({ ok: false, error });
          }
        }
        return results;
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
