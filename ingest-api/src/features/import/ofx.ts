/**
 * A streaming OFX/QFX reader for both flavours: OFX 1.x SGML (a `KEY:VALUE` header, leaf elements
 * without closing tags, often windows-1252) and OFX 2.x XML (`<?xml ...?><?OFX ...?>`, every element
 * closed). Quicken's QFX is OFX with an extra INTU.* element or two, so it reads the same. It yields
 * one ImportedRow per `<STMTTRN>` of bank and credit-card statements, keeping the bank's FITID as the
 * external id and its CORRECTFITID/CORRECTACTION as corrections.
 */
import { DateTime, FixedOffsetZone } from 'luxon';
import type { TransactionKind } from '@spendstream/core/events/transactions';
import { parseAmountText } from './amount-text.js';
import {
  FileFormatError,
  RowValueError,
  type ImportedRow,
  type RowProblem,
} from './imported-row.js';

/** Longest text between two tags, in characters (a MEMO is at most 255 in the spec). */
export const ofxTextCharsMax = 4_096;
/** Deepest element nesting accepted. */
export const ofxDepthMax = 32;

export interface OfxReadOptions {
  /** Zone for dates without a `[offset:TZ]` suffix; the spec says GMT, many banks mean local time. */
  timeZone?: string;
  /** Currency when the statement has no CURDEF (it always should). */
  defaultCurrency: string;
}

interface Token {
  kind: 'open' | 'close' | 'text';
  value: string;
  line: number;
}

const entityMap: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return entityMap[name.toLowerCase()] ?? whole;
  });
}

/** Choose the text decoding from the first bytes: the SGML header's CHARSET, or the XML declaration. */
function sniffEncoding(head: string): string {
  const xml = /<\?xml[^>]*encoding="([^"]+)"/i.exec(head);
  if (xml?.[1]) return xml[1].toLowerCase();
  if (/^\s*OFXHEADER:/i.test(head)) {
    const charset = /CHARSET:\s*([A-Z0-9-]+)/i.exec(head)?.[1] ?? '';
    const encoding = /ENCODING:\s*([A-Z0-9-]+)/i.exec(head)?.[1] ?? '';
    if (/^UTF-?8$/i.test(encoding)) return 'utf-8';
    if (charset === '1252' || /^USASCII$/i.test(encoding) || /^ISO-8859-1$/i.test(charset))
      return 'windows-1252';
  }
  return 'utf-8';
}

async function* tokenize(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Token> {
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  let buffer = '';
  let line = 1;
  let headerSkipped = false;
  const headBytes: Uint8Array[] = [];

  const drain = function* (final: boolean): Generator<Token> {
    if (!headerSkipped) {
      // Everything before the first `<` is the SGML header (KEY:VALUE lines); count its lines only.
      const lt = buffer.indexOf('<');
      if (lt === -1) {
        if (final) return;
        if (buffer.length > ofxTextCharsMax)
          throw new FileFormatError(line, 'no OFX element in the first bytes: not an OFX file');
        return;
      }
      for (const ch of buffer.slice(0, lt)) if (ch === '\n') line++;
      buffer = buffer.slice(lt);
      headerSkipped = true;
    }
    let position = 0;
    for (;;) {
      const lt = buffer.indexOf('<', position);
      if (lt === -1) {
        if (buffer.length - position > ofxTextCharsMax)
          throw new FileFormatError(line, `text longer than ${ofxTextCharsMax} characters`);
        break;
      }
      const text = buffer.slice(position, lt);
      if (text.length > ofxTextCharsMax)
        throw new FileFormatError(line, `text longer than ${ofxTextCharsMax} characters`);
      const textLine = line;
      for (const ch of text) if (ch === '\n') line++;
      if (text.trim() !== '')
        yield { kind: 'text', value: decodeEntities(text.trim()), line: textLine };
      // Processing instructions and comments have their own ends.
      let end: number;
      if (buffer.startsWith('<?', lt)) end = buffer.indexOf('?>', lt) + 1;
      else if (buffer.startsWith('<!--', lt)) end = buffer.indexOf('-->', lt) + 2;
      else end = buffer.indexOf('>', lt);
      if (end <= 0 || end < lt) {
        if (buffer.length - lt > ofxTextCharsMax)
          throw new FileFormatError(line, 'a tag is never closed with ">"');
        position = lt;
        break;
      }
      const tag = buffer.slice(lt + 1, end);
      const tagLine = line;
      for (const ch of tag) if (ch === '\n') line++;
      position = end + 1;
      if (tag.startsWith('?') || tag.startsWith('!')) continue;
      const name = tag.trim().split(/\s+/)[0] ?? '';
      if (name.startsWith('/'))
        yield { kind: 'close', value: name.slice(1).toUpperCase(), line: tagLine };
      else if (name.endsWith('/')) {
        yield { kind: 'open', value: name.slice(0, -1).toUpperCase(), line: tagLine };
        yield { kind: 'close', value: name.slice(0, -1).toUpperCase(), line: tagLine };
      } else yield { kind: 'open', value: name.toUpperCase(), line: tagLine };
    }
    buffer = buffer.slice(position);
    if (final && buffer.trim() !== '') {
      if (buffer.includes('<'))
        throw new FileFormatError(line, 'the file ends inside a tag (it may be truncated)');
      // Trailing text: a leaf cut short; the parser reports what is left open.
      yield { kind: 'text', value: decodeEntities(buffer.trim()), line };
      buffer = '';
    }
  };

  for await (const chunk of input) {
    if (typeof chunk === 'string') buffer += chunk;
    else {
      if (!decoder) {
        headBytes.push(chunk);
        const head = Buffer.concat(headBytes);
        if (head.length < 512) continue;
        decoder = new TextDecoder(sniffEncoding(head.toString('latin1')));
        buffer += decoder.decode(head, { stream: true });
      } else buffer += decoder.decode(chunk, { stream: true });
    }
    yield* drain(false);
  }
  if (!decoder && headBytes.length > 0) {
    const head = Buffer.concat(headBytes);
    decoder = new TextDecoder(sniffEncoding(head.toString('latin1')));
    buffer += decoder.decode(head, { stream: true });
  }
  if (decoder) buffer += decoder.decode();
  yield* drain(true);
}

/** `YYYYMMDD[HHMMSS[.XXX]][[+-]H[.MM]:TZ]`: OFX dates, with the bracketed GMT offset when given. */
export function parseOfxDate(text: string, fallbackZone: string): DateTime | undefined {
  const match =
    /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,3}))?)?)?\s*(?:\[([+-]?\d{1,2}(?:[.:]\d{1,2})?)(?::[A-Za-z]*)?\])?$/.exec(
      text.trim(),
    );
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', , offset] = match;
  let zone: string | FixedOffsetZone = fallbackZone;
  if (offset !== undefined) {
    const sign = offset.startsWith('-') ? -1 : 1;
    const [h = '0', m = '0'] = offset.replace(/^[+-]/, '').split(/[.:]/);
    // `[5.30:IST]` means +05:30 (minutes after the dot), as banks in India write it.
    zone = FixedOffsetZone.instance(sign * (Number(h) * 60 + Number(m.padEnd(2, '0'))));
  }
  const value = DateTime.fromObject(
    {
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      minute: Number(minute),
      second: Number(second),
    },
    { zone },
  );
  return value.isValid ? value : undefined;
}

const kindsByType: Record<string, { in: TransactionKind; out: TransactionKind }> = {
  CREDIT: { in: 'income', out: 'expense' },
  DEBIT: { in: 'refund', out: 'expense' },
  INT: { in: 'interest', out: 'fee' },
  DIV: { in: 'income', out: 'expense' },
  FEE: { in: 'refund', out: 'fee' },
  SRVCHG: { in: 'refund', out: 'fee' },
  DEP: { in: 'deposit', out: 'withdrawal' },
  ATM: { in: 'deposit', out: 'withdrawal' },
  CASH: { in: 'deposit', out: 'withdrawal' },
  POS: { in: 'refund', out: 'expense' },
  XFER: { in: 'transfer_in', out: 'transfer_out' },
  CHECK: { in: 'income', out: 'expense' },
  PAYMENT: { in: 'income', out: 'expense' },
  DIRECTDEP: { in: 'income', out: 'expense' },
  DIRECTDEBIT: { in: 'refund', out: 'expense' },
  REPEATPMT: { in: 'income', out: 'expense' },
  HOLD: { in: 'income', out: 'expense' },
  OTHER: { in: 'income', out: 'expense' },
};

/**
 * The OFX transaction type a kind is written as (the generator's OFX writer uses this). Together with
 * the sign it reads back as the same kind: a refund is a POS line with money coming in.
 */
export const ofxTypeByKind: Record<TransactionKind, string> = {
  expense: 'POS',
  income: 'CREDIT',
  transfer_in: 'XFER',
  transfer_out: 'XFER',
  refund: 'POS',
  fee: 'FEE',
  interest: 'INT',
  withdrawal: 'ATM',
  deposit: 'DEP',
  adjustment_in: 'CREDIT',
  adjustment_out: 'DEBIT',
};

/**
 * Read statement transactions from an OFX or QFX stream. A transaction with a bad value is yielded as
 * a RowProblem; a structural fault throws FileFormatError naming the line.
 */
export async function* parseOfx(
  input: AsyncIterable<Uint8Array | string>,
  options: OfxReadOptions,
): AsyncGenerator<ImportedRow | RowProblem> {
  const zone = options.timeZone ?? 'UTC';
  const stack: string[] = [];
  const stackLines: number[] = [];
  let pendingOpen: Token | undefined;
  let lastLeaf: string | undefined;
  let currency: string | undefined;
  let transaction: { line: number; fields: Map<string, string> } | undefined;
  let sawOfx = false;

  const leaf = (name: string, value: string, line: number) => {
    const parent = stack[stack.length - 1];
    if (name === 'CURDEF' && (parent === 'STMTRS' || parent === 'CCSTMTRS'))
      currency = value.toUpperCase();
    if (transaction) {
      const key = parent === 'STMTTRN' ? name : `${parent}/${name}`;
      transaction.fields.set(key, value);
    }
    void line;
  };

  const finish = (line: number): ImportedRow => {
    const f = transaction!.fields;
    const start = transaction!.line;
    const fitid = f.get('FITID');
    if (!fitid) throw new RowValueError(start, 'a STMTTRN without FITID');
    const amountText = f.get('TRNAMT');
    if (!amountText) throw new RowValueError(start, `transaction ${fitid} has no TRNAMT`);
    // OFX amounts use a decimal point; some European banks write a decimal comma.
    const separator = amountText.includes(',') && !amountText.includes('.') ? ',' : '.';
    let parsed;
    try {
      parsed = parseAmountText(amountText, separator);
    } catch (error) {
      throw new RowValueError(start, `transaction ${fitid}: ${(error as Error).message}`);
    }
    if (!parsed) throw new RowValueError(start, `transaction ${fitid} has an empty TRNAMT`);
    const dateText = f.get('DTUSER') ?? f.get('DTPOSTED');
    if (!dateText) throw new RowValueError(start, `transaction ${fitid} has no DTPOSTED`);
    const date = parseOfxDate(dateText, zone);
    if (!date)
      throw new FileFormatError(
        start,
        `transaction ${fitid}: date ${JSON.stringify(dateText)} is not an OFX date`,
      );
    const direction = parsed.negative ? 'out' : 'in';
    const type = (f.get('TRNTYPE') ?? 'OTHER').toUpperCase();
    const kinds = kindsByType[type];
    if (!kinds)
      throw new FileFormatError(
        start,
        `transaction ${fitid}: unknown TRNTYPE ${JSON.stringify(type)}`,
      );
    const merchant = f.get('EXTDNAME') ?? f.get('NAME') ?? f.get('PAYEE/NAME');
    const memo = f.get('MEMO');
    const sic = f.get('SIC');
    const correctionOf = f.get('CORRECTFITID');
    const action = f.get('CORRECTACTION')?.toUpperCase();
    const txCurrency = f.get('CURRENCY/CURSYM') ?? currency ?? options.defaultCurrency;
    void line;
    return {
      line: start,
      externalId: fitid,
      occurredAt: date.toISO({ suppressMilliseconds: true }) ?? '',
      direction,
      kind: kinds[direction],
      amount: parsed.magnitude,
      currency: txCurrency.toUpperCase(),
      ...(merchant ? { merchant } : {}),
      ...(memo ? { description: memo } : {}),
      ...(sic && /^[0-9]{4}$/.test(sic) ? { mcc: sic } : {}),
      ...(correctionOf && (action === 'REPLACE' || action === 'DELETE')
        ? {
            correction: {
              of: correctionOf,
              action: action === 'REPLACE' ? ('replace' as const) : ('delete' as const),
            },
          }
        : {}),
    };
  };

  const openAggregate = (token: Token) => {
    if (stack.length >= ofxDepthMax)
      throw new FileFormatError(token.line, `elements nested deeper than ${ofxDepthMax}`);
    if (token.value === 'OFX') sawOfx = true;
    if (token.value === 'STMTTRN') {
      if (transaction)
        throw new FileFormatError(
          token.line,
          'a STMTTRN inside another STMTTRN (a missing </STMTTRN>?)',
        );
      transaction = { line: token.line, fields: new Map() };
    }
    stack.push(token.value);
    stackLines.push(token.line);
  };

  for await (const token of tokenize(input)) {
    if (token.kind === 'text') {
      if (!pendingOpen)
        throw new FileFormatError(
          token.line,
          `text ${JSON.stringify(token.value.slice(0, 40))} outside an element`,
        );
      leaf(pendingOpen.value, token.value, token.line);
      lastLeaf = pendingOpen.value;
      pendingOpen = undefined;
      continue;
    }
    if (pendingOpen) {
      if (token.kind === 'close' && token.value === pendingOpen.value) {
        // `<MEMO></MEMO>`: an empty leaf.
        leaf(pendingOpen.value, '', token.line);
        pendingOpen = undefined;
        lastLeaf = undefined;
        continue;
      }
      openAggregate(pendingOpen);
      pendingOpen = undefined;
    }
    if (token.kind === 'open') {
      pendingOpen = token;
      lastLeaf = undefined;
      continue;
    }
    // A close tag.
    if (token.value === lastLeaf) {
      lastLeaf = undefined; // XML closes its leaves; SGML does not
      continue;
    }
    lastLeaf = undefined;
    const at = stack.lastIndexOf(token.value);
    if (at === -1)
      throw new FileFormatError(token.line, `</${token.value}> closes an element that is not open`);
    // SGML may leave aggregates unclosed only for leaves; anything deeper closing implicitly is an error.
    if (at !== stack.length - 1) {
      throw new FileFormatError(
        token.line,
        `</${token.value}> while <${stack[stack.length - 1]}> is still open`,
      );
    }
    stack.pop();
    stackLines.pop();
    if (token.value === 'STMTTRN') {
      let row: ImportedRow | RowProblem;
      try {
        row = finish(token.line);
      } catch (error) {
        if (!(error instanceof RowValueError)) throw error;
        row = { line: error.line, problem: error.reason };
      }
      transaction = undefined;
      yield row;
    }
  }
  if (pendingOpen) openAggregate(pendingOpen);
  if (!sawOfx) throw new FileFormatError(1, 'no <OFX> element: not an OFX file');
  if (stack.length > 0) {
    throw new FileFormatError(
      stackLines[stackLines.length - 1] ?? 1,
      `the file ends with <${stack[stack.length - 1]}> still open (it may be truncated)`,
    );
  }
}
