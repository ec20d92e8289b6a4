/**
 * What a file parser (CSV or OFX) yields for one statement line, before the common validation: the
 * values as the file wrote them, normalized only in form (a plain decimal, an ISO date-time with
 * offset), so the same rules as the JSON API judge them.
 */
import type { TransactionKind } from '@spendstream/core/events/transactions';

export interface ImportedRow {
  /** 1-based line in the file where the record starts, for error messages. */
  line: number;
  /** The file's own id for the line (OFX FITID, a CSV reference column); derived when absent. */
  externalId: string | undefined;
  /** ISO 8601 with offset. */
  occurredAt: string;
  direction: 'in' | 'out';
  /** A kind the file states (OFX TRNTYPE); otherwise expense or income by direction. */
  kind?: TransactionKind;
  /** Magnitude in major units as a plain decimal (`1234.56`), not yet checked against the currency. */
  amount: string;
  currency: string;
  merchant?: string;
  description?: string;
  bankCategory?: string;
  mcc?: string;
  /** OFX corrections: this line replaces or deletes the transaction with FITID `of`. */
  correction?: { of: string; action: 'replace' | 'delete' };
}

/** A file problem pinned to a line. */
export class FileFormatError extends Error {
  constructor(
    readonly line: number,
    /** The message without the line. */
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'FileFormatError';
  }
}

/**
 * A problem with one line's values (a bad amount or date) rather than with the file's structure:
 * parsers yield it and go on, so a partial import can skip the line.
 */
export class RowValueError extends FileFormatError {
  constructor(line: number, message: string) {
    super(line, message);
    this.name = 'RowValueError';
  }
}

/** What a parser yields for a line it could not read. */
export interface RowProblem {
  line: number;
  problem: string;
}

export function isRowProblem(item: ImportedRow | RowProblem): item is RowProblem {
  return 'problem' in item;
}
