/**
 * The projector's ledger on MongoDB: one document per user and local year (`_id` =
 * `<userId>|<YYYY>`, in `analytics_ledger_<n>`) recording, per transaction, the version the year
 * holds and the row it counts (or, in `gone`, that it counts nowhere in this year: reversed, or
 * moved to another year). Queries never read it: they read the sums documents summed from it
 * (`mongo-rollups.ts`). Stored as one compact JSON string (the sums' compact row form plus each
 * row's transaction id and version), because FerretDB's cost of a document grows with the number
 * of values it converts and the bytes it scans (docs/analytics-api.md).
 */
import { invariant } from '@spendstream/core/errors';
import { packRows, unpackRows, type CompactRows } from './mongo-rollups.js';
import type { BucketRow } from './row-aggregate.js';

/** The name of the ledger documents' layout (a kept benchmark data set is reloaded when it changes). */
export const ledgerLayout = 'compact-v2';

/** A ledger as the projector works on it: rows carry `id` and `v`. */
export interface Ledger {
  rows: BucketRow[];
  gone: Array<{ id: string; v: number }>;
}

/** A ledger document as stored; `rev` is raised by every write (compare-and-set). */
export interface LedgerDocument {
  _id: string;
  userId: string;
  year: string;
  rev: number;
  /** `encodeLedger` of the ledger. */
  entries: string;
}

/**
 * A ledger as stored: its year, its rows in the compact form with ids and versions (`packRows`),
 * and the gone entries.
 */
interface EncodedLedger extends CompactRows {
  y: string;
  g: Array<[id: string, v: number]>;
}

export function encodeLedger(year: string, ledger: Ledger): string {
  for (const row of ledger.rows) invariant(row.count === 1, 'a ledger row is one transaction');
  const encoded: EncodedLedger = {
    y: year,
    ...packRows(ledger.rows, true),
    g: ledger.gone.map((entry) => [entry.id, entry.v]),
  };
  return JSON.stringify(encoded);
}

export function decodeLedger(text: string): Ledger {
  const encoded = JSON.parse(text) as EncodedLedger;
  invariant(
    typeof encoded.y === 'string' && Array.isArray(encoded.g),
    'a ledger document holds its year, rows and gone entries',
  );
  return {
    rows: unpackRows(encoded, true, encoded.y),
    gone: encoded.g.map(([id, v]) => ({ id, v })),
  };
}
