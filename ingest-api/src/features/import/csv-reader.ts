/**
 * A streaming CSV tokenizer (RFC 4180 plus what real bank exports do): a UTF-8 BOM, `,` `;` tab or
 * `|` delimiters (detected from the first line when not given), quoted fields with doubled quotes,
 * delimiters and line breaks inside quotes, CRLF, LF or CR line ends, blank lines skipped, and a last
 * line without a line break. It holds one record at a time, never the file.
 */
import { FileFormatError } from './imported-row.js';

/** Longest field, in characters: a statement line never needs more, and it bounds memory. */
export const csvFieldCharsMax = 4_096;
/** Most fields in one record. */
export const csvFieldsPerRecordMax = 200;

export type CsvDelimiter = ',' | ';' | '\t' | '|';
export const csvDelimiters: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

export interface CsvReadOptions {
  /** The delimiter; detected from the first non-blank line when omitted. */
  delimiter?: CsvDelimiter;
}

/** Count each candidate delimiter outside quotes in a line and pick the most frequent. */
export function detectDelimiter(firstLine: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(csvDelimiters.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch as CsvDelimiter))
      counts.set(ch as CsvDelimiter, (counts.get(ch as CsvDelimiter) ?? 0) + 1);
  }
  let best: CsvDelimiter = ',';
  for (const [d, n] of counts) if (n > (counts.get(best) ?? 0)) best = d;
  return best;
}

/**
 * Read CSV records from a byte or text stream. Throws FileFormatError naming the line for an
 * unterminated quote, a stray quote, or a field or record beyond the limits.
 */
export async function* readCsvRecords(
  input: AsyncIterable<Uint8Array | string>,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvRecord> {
  // TextDecoder drops a leading BOM and copes with multi-byte characters split across chunks.
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let delimiter = options.delimiter;
  let pendingText = ''; // text held back until the delimiter is known

  let line = 1; // current physical line
  let recordLine = 1;
  let fields: string[] = [];
  let field = '';
  let state: 'start' | 'unquoted' | 'quoted' | 'quote-in-quoted' = 'start';
  let fieldWasQuoted = false;
  let sawCr = false;
  const out: CsvRecord[] = [];

  const pushField = () => {
    if (fields.length >= csvFieldsPerRecordMax) {
      throw new FileFormatError(
        recordLine,
        `more than ${csvFieldsPerRecordMax} fields in one record`,
      );
    }
    fields.push(fieldWasQuoted ? field : field.trim());
    field = '';
    fieldWasQuoted = false;
    state = 'start';
  };
  const endRecord = () => {
    pushField();
    const blank = fields.length === 1 && fields[0] === '' && !fieldWasQuotedInRecord;
    if (!blank) out.push({ line: recordLine, fields });
    fields = [];
    fieldWasQuotedInRecord = false;
  };
  let fieldWasQuotedInRecord = false;

  const consume = (text: string, d: CsvDelimiter) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (sawCr) {
        sawCr = false;
        if (ch === '\n') continue; // CRLF: the CR already ended the record
      }
      switch (state) {
        case 'quoted':
          if (ch === '"') state = 'quote-in-quoted';
          else {
            if (ch === '\n') line++;
            else if (ch === '\r' && text[i + 1] !== '\n') line++;
            field += ch;
            if (field.length > csvFieldCharsMax) {
              throw new FileFormatError(
                recordLine,
                `a field is longer than ${csvFieldCharsMax} characters (an unterminated quote?)`,
              );
            }
          }
          continue;
        case 'quote-in-quoted':
          if (ch === '"') {
            field += '"';
            state = 'quoted';
            continue;
          }
          if (ch !== d && ch !== '\n' && ch !== '\r') {
            if (ch === ' ' || ch === '\t') continue; // spaces after a closing quote are tolerated
            throw new FileFormatError(
              recordLine,
              `unexpected ${JSON.stringify(ch)} after a closing quote`,
            );
          }
          state = 'unquoted';
          break;
        case 'start':
          if (ch === '"') {
            state = 'quoted';
            fieldWasQuoted = true;
            fieldWasQuotedInRecord = true;
            field = '';
            continue;
          }
          if (ch === ' ') continue; // leading spaces before a quote or value
          state = 'unquoted';
          break;
        case 'unquoted':
          break;
      }
      // state is unquoted here (or just closed a quote)
      if (ch === d) {
        pushField();
      } else if (ch === '\n' || ch === '\r') {
        endRecord();
        if (ch === '\r') sawCr = true;
        line++;
        recordLine = line;
      } else {
        if (ch === '"' && !fieldWasQuoted) {
          throw new FileFormatError(
            recordLine,
            'a quote inside an unquoted field; quote the field and double the quote',
          );
        }
        field += ch;
        if (field.length > csvFieldCharsMax) {
          throw new FileFormatError(
            recordLine,
            `a field is longer than ${csvFieldCharsMax} characters`,
          );
        }
      }
    }
  };

  let atStart = true;
  const feed = function* (text: string): Generator<CsvRecord> {
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM in text input
    }
    if (delimiter === undefined) {
      pendingText += text;
      const firstLine = pendingText.split(/\r\n|\r|\n/).find((l) => l.trim() !== '');
      const complete = /\r|\n/.test(pendingText.replace(/^[\s]*/, ''));
      if (firstLine === undefined || !complete) {
        if (pendingText.length > csvFieldCharsMax * 4) delimiter = detectDelimiter(firstLine ?? '');
        else return;
      } else {
        delimiter = detectDelimiter(firstLine);
      }
      text = pendingText;
      pendingText = '';
    }
    consume(text, delimiter);
    yield* out.splice(0, out.length);
  };

  for await (const chunk of input) {
    yield* feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  yield* feed(decoder.decode());
  if (delimiter === undefined) {
    delimiter = detectDelimiter(pendingText);
    consume(pendingText, delimiter);
  }
  if ((state as string) === 'quoted') {
    throw new FileFormatError(
      recordLine,
      'the file ends inside a quoted field (it may be truncated)',
    );
  }
  if (field !== '' || fields.length > 0 || fieldWasQuoted) endRecord();
  yield* out.splice(0, out.length);
}
