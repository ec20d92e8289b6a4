/**
 * How a bank's CSV export maps onto a transaction: which column holds what, the date format, the
 * decimal separator, and the sign convention (or separate debit and credit columns). Given once per
 * import (as JSON), validated by zod like every other edge.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseAmountText } from './amount-text.js';
import { csvDelimiters, type CsvRecord } from './csv-reader.js';
import {
  FileFormatError,
  RowValueError,
  type ImportedRow,
  type RowProblem,
} from './imported-row.js';

/** Most preamble lines a mapping may skip before the header (account details some banks print). */
export const csvSkipLinesMax = 50;

const columnRef = z.union([z.string().min(1).max(100), z.int().min(0).max(199)]);

export const csvMappingSchema = z.strictObject({
  /** The field delimiter; detected from the first line when omitted. */
  delimiter: z.enum(csvDelimiters as unknown as [',', ';', '\t', '|']).optional(),
  /** Whether the first (non-skipped) line names the columns. Without a header, columns are 0-based indexes. */
  header: z.boolean().default(true),
  /** Lines to skip before the header or the first record. */
  skipLines: z.int().min(0).max(csvSkipLinesMax).default(0),
  columns: z
    .strictObject({
      date: columnRef,
      /** A separate time column (`HH:mm` or `HH:mm:ss`), when the date column holds only the date. */
      time: columnRef.optional(),
      /** One signed amount column (see `sign`)... */
      amount: columnRef.optional(),
      /** ...or a debit (money out) and a credit (money in) column, each holding a magnitude. */
      debit: columnRef.optional(),
      credit: columnRef.optional(),
      description: columnRef.optional(),
      merchant: columnRef.optional(),
      externalId: columnRef.optional(),
      currency: columnRef.optional(),
      bankCategory: columnRef.optional(),
      mcc: columnRef.optional(),
    })
    .refine((c) => (c.amount !== undefined) !== (c.debit !== undefined || c.credit !== undefined), {
      message: 'map either an amount column or debit/credit columns, not both',
      path: ['amount'],
    }),
  /** A luxon format (`dd.MM.yyyy`, `MM/dd/yyyy`, `yyyy-MM-dd HH:mm`) or `iso` for ISO 8601 with or without offset. */
  dateFormat: z.string().min(1).max(40).default('iso'),
  /** IANA zone of dates without an offset (bank exports use the account's local time). */
  timeZone: z
    .string()
    .min(1)
    .max(64)
    .refine(
      (zone) => DateTime.local().setZone(zone).isValid,
      'must be an IANA time zone such as Europe/Berlin',
    )
    .default('UTC'),
  decimalSeparator: z.enum(['.', ',']).default('.'),
  /**
   * `negative-is-out`: `-12.00` is money leaving the wallet (most banks). `positive-is-out`: card
   * statements that print purchases as positive numbers.
   */
  sign: z.enum(['negative-is-out', 'positive-is-out']).default('negative-is-out'),
  /** Currency of every row when there is no currency column (defaults to the wallet's currency). */
  currency: z.string().length(3).optional(),
});
export type CsvMapping = z.infer<typeof csvMappingSchema>;
export type CsvMappingInput = z.input<typeof csvMappingSchema>;

type ColumnName = keyof CsvMapping['columns'];

/** Resolve column names to indexes against the header record. */
export function resolveColumns(
  mapping: CsvMapping,
  header: CsvRecord | undefined,
): Map<ColumnName, number> {
  const indexes = new Map<ColumnName, number>();
  const names = header?.fields.map((f) => f.trim().toLowerCase());
  for (const [key, ref] of Object.entries(mapping.columns) as [
    ColumnName,
    string | number | undefined,
  ][]) {
    if (ref === undefined) continue;
    if (typeof ref === 'number') {
      indexes.set(key, ref);
      continue;
    }
    if (!names)
      throw new FileFormatError(
        1,
        `column ${JSON.stringify(ref)} is named but the mapping says there is no header`,
      );
    const index = names.indexOf(ref.trim().toLowerCase());
    if (index === -1) {
      throw new FileFormatError(
        header?.line ?? 1,
        `the header has no column ${JSON.stringify(ref)} (it has ${header?.fields.map((f) => JSON.stringify(f)).join(', ')})`,
      );
    }
    indexes.set(key, index);
  }
  return indexes;
}

/** Turn one CSV record into an ImportedRow, or throw FileFormatError naming its line. */
export function mapCsvRecord(
  record: CsvRecord,
  columns: Map<ColumnName, number>,
  mapping: CsvMapping,
  expectedFields: number | undefined,
  defaultCurrency: string,
): ImportedRow {
  const { line, fields } = record;
  if (expectedFields !== undefined && fields.length < expectedFields) {
    throw new FileFormatError(
      line,
      `expected ${expectedFields} fields, found ${fields.length} (is the line cut short?)`,
    );
  }
  if (expectedFields !== undefined && fields.slice(expectedFields).some((f) => f !== '')) {
    throw new FileFormatError(line, `expected ${expectedFields} fields, found ${fields.length}`);
  }
  const cell = (key: ColumnName): string | undefined => {
    const index = columns.get(key);
    if (index === undefined) return undefined;
    if (index >= fields.length)
      throw new FileFormatError(
        line,
        `no column ${index} for ${key} (the line has ${fields.length})`,
      );
    const value = fields[index]?.trim();
    return value === '' ? undefined : value;
  };

  const dateText = cell('date');
  if (!dateText) throw new RowValueError(line, 'the date is empty');
  const timeText = cell('time');
  const occurredAt = parseDate(dateText, timeText, mapping, line);

  let direction: 'in' | 'out';
  let magnitude: string;
  try {
    if (columns.has('amount')) {
      const parsed = parseAmountText(cell('amount') ?? '', mapping.decimalSeparator);
      if (!parsed) throw new Error('the amount is empty');
      const out = mapping.sign === 'negative-is-out' ? parsed.negative : !parsed.negative;
      direction = out ? 'out' : 'in';
      magnitude = parsed.magnitude;
    } else {
      const debit = parseAmountText(cell('debit') ?? '', mapping.decimalSeparator);
      const credit = parseAmountText(cell('credit') ?? '', mapping.decimalSeparator);
      const debitSet = debit !== undefined && !isZero(debit.magnitude);
      const creditSet = credit !== undefined && !isZero(credit.magnitude);
      if (debitSet === creditSet) {
        throw new Error(
          debitSet
            ? 'both debit and credit hold an amount'
            : 'neither debit nor credit holds an amount',
        );
      }
      const chosen = (debitSet ? debit : credit)!;
      // A negative number in a debit column still means money out; the column carries the direction.
      direction = debitSet ? 'out' : 'in';
      magnitude = chosen.magnitude;
    }
  } catch (error) {
    throw new RowValueError(line, (error as Error).message);
  }

  const description = cell('description');
  const merchant = cell('merchant');
  const bankCategory = cell('bankCategory');
  const mcc = cell('mcc');
  return {
    line,
    externalId: cell('externalId'),
    occurredAt,
    direction,
    amount: magnitude,
    currency: (cell('currency') ?? mapping.currency ?? defaultCurrency).toUpperCase(),
    ...(merchant !== undefined ? { merchant } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(bankCategory !== undefined ? { bankCategory } : {}),
    ...(mcc !== undefined ? { mcc } : {}),
  };
}

function isZero(magnitude: string): boolean {
  return /^0+(\.0+)?$/.test(magnitude);
}

function parseDate(
  dateText: string,
  timeText: string | undefined,
  mapping: CsvMapping,
  line: number,
): string {
  const zone = mapping.timeZone;
  let value: DateTime;
  if (mapping.dateFormat === 'iso') {
    value = DateTime.fromISO(timeText ? `${dateText}T${timeText}` : dateText, {
      zone,
      setZone: true,
    });
  } else if (timeText) {
    const timeFormat = timeText.length > 5 ? 'HH:mm:ss' : 'HH:mm';
    value = DateTime.fromFormat(`${dateText} ${timeText}`, `${mapping.dateFormat} ${timeFormat}`, {
      zone,
      setZone: true,
    });
  } else {
    value = DateTime.fromFormat(dateText, mapping.dateFormat, { zone, setZone: true });
  }
  if (!value.isValid) {
    throw new FileFormatError(
      line,
      `date ${JSON.stringify(dateText)} does not match the format ${JSON.stringify(mapping.dateFormat)}`,
    );
  }
  return value.toISO({ suppressMilliseconds: true }) ?? '';
}

/**
 * A stable external id for a CSV line without one: a hash of what the line says plus how many
 * identical lines came before it in the file, so re-importing the same file (or an overlapping
 * export) deduplicates, while two genuine identical purchases on one day stay two.
 */
export function derivedExternalId(row: ImportedRow, occurrence: number): string {
  const digest = createHash('sha256').update(rowContentKey(row)).digest('hex');
  return `csv:${digest.slice(0, 24)}:${occurrence}`;
}

/** The content key used to count identical lines for `derivedExternalId`. */
export function rowContentKey(row: ImportedRow): string {
  return [
    row.occurredAt,
    row.direction,
    row.amount,
    row.currency,
    row.merchant ?? '',
    row.description ?? '',
  ].join('\u0000');
}

/**
 * Parse a whole CSV stream into rows with the mapping applied: a streaming pipeline (header, then
 * records). A line with a bad value is yielded as a RowProblem; a structural fault (an unterminated
 * quote, a line cut short, a missing column) throws FileFormatError naming the line.
 */
export async function* parseCsv(
  records: AsyncIterable<CsvRecord>,
  mapping: CsvMapping,
  defaultCurrency: string,
): AsyncGenerator<ImportedRow | RowProblem> {
  let skipped = 0;
  let columns: Map<ColumnName, number> | undefined;
  let expectedFields: number | undefined;
  const occurrences = new Map<string, number>();
  for await (const record of records) {
    if (skipped < mapping.skipLines) {
      skipped++;
      continue;
    }
    if (columns === undefined) {
      if (mapping.header) {
        columns = resolveColumns(mapping, record);
        expectedFields = record.fields.length;
        continue;
      }
      columns = resolveColumns(mapping, undefined);
    }
    let row: ImportedRow;
    try {
      row = mapCsvRecord(record, columns, mapping, expectedFields, defaultCurrency);
    } catch (error) {
      if (!(error instanceof RowValueError)) throw error;
      yield { line: error.line, problem: error.reason };
      continue;
    }
    if (row.externalId === undefined) {
      const key = rowContentKey(row);
      const n = (occurrences.get(key) ?? 0) + 1;
      occurrences.set(key, n);
      row.externalId = derivedExternalId(row, n);
    }
    yield row;
  }
}
