/**
 * The independent computation the contract suite compares both backends with: plain loops over
 * the generated documents, with local dates recomputed through Intl (not luxon, not the
 * documents' own `localDate`), so a wrong window in either backend or in the factory shows up.
 */
import type { TransactionDoc } from '../../src/query/analytics-store.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in a zone, by Intl. */
export function intlLocalDate(instant: string, timeZone: string): string {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(new Date(instant));
}

/** Documents that count in aggregates for a user, a range of local dates and some flows. */
export function counted(
  docs: TransactionDoc[],
  userId: string,
  from: string,
  to: string,
  flows: string[],
): TransactionDoc[] {
  return docs.filter((doc) => {
    if (doc.userId !== userId || doc.status === 'reversed' || !flows.includes(doc.flow))
      return false;
    const day = intlLocalDate(doc.occurredAt, doc.timeZone);
    return day >= from && day < to;
  });
}

/** Sum of home amounts. */
export function sumHome(docs: TransactionDoc[]): bigint {
  return docs.reduce((sum, doc) => sum + doc.homeAmountMinor, 0n);
}

/** Group and sum home amounts by a key (a document may yield several keys, as tags do). */
export function sumBy(
  docs: TransactionDoc[],
  keysOf: (doc: TransactionDoc) => Array<string | null>,
): Map<string | null, { amountMinor: bigint; count: number }> {
  const sums = new Map<string | null, { amountMinor: bigint; count: number }>();
  for (const doc of docs) {
    for (const key of keysOf(doc)) {
      const entry = sums.get(key) ?? { amountMinor: 0n, count: 0 };
      entry.amountMinor += doc.homeAmountMinor;
      entry.count += 1;
      sums.set(key, entry);
    }
  }
  return sums;
}
