/**
 * The projector's ledger on MongoDB: one document per user and local year (`_id` =
 * `<userId>|<YYYY>`, in `analytics_ledger_<n>`) recording, per transaction, the version the year
 * holds and the row it counts (or, in `gone`, that it counts nowhere in this year: reversed, or
 * moved to another year). Queries never read it: they read the sums documents summed from it
 * (`mongo-rollups.ts`). Stored as one compact JSON string, because FerretDB's cost of a document
 * grows with the number of values it converts (docs/analytics-api.md).
 */
import { invariant } from '@spendstream/core/errors';
import { decodeRow, encodeRow, type EncodedRow } from './mongo-rollups.js';
import type { BucketRow } from './row-aggregate.js';

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

interface EncodedLedger {
  /** Per transaction: its id, the version held, and its row (count 1). */
  r: Array<[id: string, v: number, row: EncodedRow]>;
  g: Array<[id: string, v: number]>;
}

export function encodeLedger(ledger: Ledger): string {
  const encoded: EncodedLedger = {
    r: ledger.rows.map((row) => {
      invariant(row.id !== undefined && row.v !== undefined, 'a ledger row names its transaction');
      invariant(row.count === 1, 'a ledger row is one transaction');
      return [row.id, row.v, encodeRow(row)];
    }),
    g: ledger.gone.map((entry) => [entry.id, entry.v]),
  };
  return JSON.stringify(encoded);
}

export function decodeLedger(text: string): Ledger {
  const encoded = JSON.parse(text) as EncodedLedger;
  invariant(
    Array.isArray(encoded.r) && Array.isArray(encoded.g),
    'a ledger document holds rows and gone entries',
  );
  return {
    rows: encoded.r.map(([id, v, row]) => ({ id, v, ...decodeRow(row) })),
    gone: encoded.g.map(([id, v]) => ({ id, v })),
  };
}
