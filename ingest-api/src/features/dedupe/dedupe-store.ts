/**
 * The dedupe store: per (source, externalId), the last version published and a claim for the next.
 * A request claims keys before publishing, publishes, then confirms (or releases when the log
 * refused). Two requests racing on one key: one wins the claim, the other waits and then sees a
 * duplicate. A claim left behind by a crashed process goes stale after `claimLeaseMs` and is taken
 * over; the takeover republishes the same (transactionId, version), which consumers deduplicate.
 */

export type DedupeStatus = 'booked' | 'reversed';

export interface DedupeRecord {
  source: string;
  externalId: string;
  transactionId: string;
  /** Last version the log acknowledged; 0 while the first one is only claimed. */
  version: number;
  contentHash: string | undefined;
  status: DedupeStatus | undefined;
  /**
   * Content hashes of every durable version, oldest first (up to `versionHistoryMax`): a replay of
   * an older version (a bank re-sending its history) is a duplicate, not a new correction.
   */
  history: string[];
  /** The claim in flight, if any. */
  pending:
    | { version: number; contentHash: string; status: DedupeStatus; token: string; sinceMs: number }
    | undefined;
}

export interface Claim {
  externalId: string;
  transactionId: string;
  version: number;
  contentHash: string;
  status: DedupeStatus;
}

export interface DedupeStore {
  /** Records for these external ids of one source; unknown ids are absent. */
  read(source: string, externalIds: readonly string[]): Promise<Map<string, DedupeRecord>>;
  /** Create records with a pending claim for keys not seen before; returns the external ids won. */
  claimNew(
    source: string,
    claims: readonly Claim[],
    token: string,
    nowMs: number,
  ): Promise<Set<string>>;
  /**
   * Claim the next version of a known key: only if its durable version is still `expectedVersion`
   * and nothing is pending, or what is pending started before `staleBeforeMs`.
   */
  claimExisting(
    source: string,
    claim: Claim,
    expectedVersion: number,
    token: string,
    nowMs: number,
    staleBeforeMs: number,
  ): Promise<boolean>;
  /** The log acknowledged: every claim of `token` becomes the durable version. */
  confirm(token: string): Promise<void>;
  /** The log refused: drop every claim of `token` (new keys disappear again). */
  release(token: string): Promise<void>;
  /**
   * Background upkeep: fold up to `tokensMax` tokens confirmed before `confirmedBeforeMs` into the
   * rows still pending on them (they become durable, as a fold on the next claim makes them), then
   * forget those tokens. Returns how many tokens were forgotten (0 on a store that folds at confirm).
   */
  foldConfirmed(confirmedBeforeMs: number, tokensMax: number): Promise<number>;
}

/** Most version hashes remembered per transaction. */
export const versionHistoryMax = 50;

/** How long a claim may stay pending before another request may take it over, in ms. */
export const claimLeaseMs = 30_000;

/** The in-memory twin, for unit tests and single-process demos. Same contract as the SQL store. */
export function createMemoryDedupeStore(): DedupeStore {
  const rows = new Map<string, DedupeRecord>();
  /**
   * The rows pending on each token, so a confirm or release touches its own rows instead of
   * scanning every row (a scan a cycle cost the chassis bench ~20 us a request at 23,000 rows).
   * A row's key is under at most one token: its current pending one.
   */
  const pendingKeys = new Map<string, Set<string>>();
  const keyOf = (source: string, externalId: string) => `${source}\u0000${externalId}`;
  const pend = (key: string, row: DedupeRecord, pending: NonNullable<DedupeRecord['pending']>) => {
    if (row.pending) pendingKeys.get(row.pending.token)?.delete(key);
    row.pending = pending;
    let keys = pendingKeys.get(pending.token);
    if (!keys) pendingKeys.set(pending.token, (keys = new Set()));
    keys.add(key);
  };
  const pendingOf = (c: Claim, token: string, sinceMs: number) => ({
    version: c.version,
    contentHash: c.contentHash,
    status: c.status,
    token,
    sinceMs,
  });
  /** The rows pending on `token`, with their keys; forgets the token. */
  const takePending = (token: string): [string, DedupeRecord][] => {
    const keys = pendingKeys.get(token);
    pendingKeys.delete(token);
    const out: [string, DedupeRecord][] = [];
    for (const key of keys ?? []) {
      const row = rows.get(key);
      if (row?.pending?.token === token) out.push([key, row]);
    }
    return out;
  };
  const copy = (r: DedupeRecord): DedupeRecord => ({
    ...r,
    pending: r.pending ? { ...r.pending } : undefined,
  });
  return {
    async read(source, externalIds) {
      const out = new Map<string, DedupeRecord>();
      for (const id of externalIds) {
        const row = rows.get(keyOf(source, id));
        if (row) out.set(id, copy(row));
      }
      return out;
    },
    async claimNew(source, claims, token, nowMs) {
      const won = new Set<string>();
      for (const c of claims) {
        const key = keyOf(source, c.externalId);
        if (rows.has(key)) continue;
        const row: DedupeRecord = {
          source,
          externalId: c.externalId,
          transactionId: c.transactionId,
          version: 0,
          contentHash: undefined,
          status: undefined,
          history: [],
          pending: undefined,
        };
        rows.set(key, row);
        pend(key, row, pendingOf(c, token, nowMs));
        won.add(c.externalId);
      }
      return won;
    },
    async claimExisting(source, c, expectedVersion, token, nowMs, staleBeforeMs) {
      const key = keyOf(source, c.externalId);
      const row = rows.get(key);
      if (!row || row.version !== expectedVersion) return false;
      if (row.pending && row.pending.sinceMs >= staleBeforeMs) return false;
      pend(key, row, pendingOf(c, token, nowMs));
      return true;
    },
    async confirm(token) {
      for (const [, row] of takePending(token)) {
        if (!row.pending) continue;
        row.version = row.pending.version;
        row.contentHash = row.pending.contentHash;
        row.status = row.pending.status;
        if (row.history.length < versionHistoryMax) row.history.push(row.pending.contentHash);
        row.pending = undefined;
      }
    },
    async release(token) {
      for (const [key, row] of takePending(token)) {
        if (row.version === 0) rows.delete(key);
        else row.pending = undefined;
      }
    },
    async foldConfirmed() {
      return 0; // confirm already folds every claimed row: no token is kept
    },
  };
}
