/**
 * Recomputing rollups from the canonical documents: the definition of what the stored rollups must
 * equal (invariant 4). Used by reconcile and by the tests.
 */
import type { RollupRow } from '../documents/store.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import {
  addAmounts,
  amountFields,
  contributionsOf,
  isZero,
  type RollupAmounts,
} from './contributions.js';

/** Sums every document's contributions by cell key. Cells that sum to zero are left out. */
export function recomputeRollups(docs: Iterable<TransactionDocument>): Map<string, RollupAmounts> {
  const sums = new Map<string, RollupAmounts>();
  for (const doc of docs) {
    for (const c of contributionsOf(doc)) {
      const current = sums.get(c.cellKey);
      sums.set(c.cellKey, current ? addAmounts(current, c.amounts) : c.amounts);
    }
  }
  for (const [key, amounts] of sums) if (isZero(amounts)) sums.delete(key);
  return sums;
}

/** One cell where stored and recomputed sums differ. */
export interface RollupDifference {
  cellKey: string;
  stored: RollupAmounts | null;
  expected: RollupAmounts | null;
}

function format(amounts: RollupAmounts | null): string {
  return amounts === null ? 'absent' : amountFields.map((f) => `${f}=${amounts[f]}`).join(' ');
}

/** Describes a difference in one line, for reconcile's output. */
export function describeDifference(d: RollupDifference): string {
  return `rollup ${d.cellKey}: stored ${format(d.stored)}; recomputed ${format(d.expected)}`;
}

/** Compares stored cells with recomputed ones; all-zero stored cells count as absent. */
export function compareRollups(
  stored: Iterable<RollupRow>,
  expected: Map<string, RollupAmounts>,
): RollupDifference[] {
  const differences: RollupDifference[] = [];
  const seen = new Set<string>();
  for (const row of stored) {
    seen.add(row.cellKey);
    const want = expected.get(row.cellKey) ?? null;
    if (want === null) {
      if (!isZero(row.amounts))
        differences.push({ cellKey: row.cellKey, stored: row.amounts, expected: null });
      continue;
    }
    if (amountFields.some((f) => row.amounts[f] !== want[f])) {
      differences.push({ cellKey: row.cellKey, stored: row.amounts, expected: want });
    }
  }
  for (const [cellKey, want] of expected) {
    if (!seen.has(cellKey)) differences.push({ cellKey, stored: null, expected: want });
  }
  return differences;
}
