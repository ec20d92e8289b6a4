/**
 * Statement files from generated data, the way banks export them: CSV in three dialects (ISO with
 * a reference column, a US bank export, a German bank export with BOM, `;`, `1.234,56` and separate
 * debit/credit columns) and OFX in both flavours (1.02 SGML, 2.11 XML). A statement shows each
 * transaction's final state, without reversed ones. Each writer also returns the CSV mapping (or
 * OFX options) that imports it back.
 */
import { DateTime } from 'luxon';
import { currencyExponent, isCurrencyCode } from '@spendstream/core/currencies';
import { signedAmount, type RawTransactionV1 } from '@spendstream/core/events';
import type { CsvMappingInput } from '../import/csv-mapping.js';
import { ofxTypeByKind } from '../import/ofx.js';

export type CsvDialect = 'iso' | 'us-bank' | 'de-bank';

/** Plain decimal of minor units (`-1234` EUR -> `-12.34`). */
function decimal(minor: bigint, currency: string): string {
  const exponent = isCurrencyCode(currency) ? currencyExponent(currency) : 2;
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

function group(whole: string, separator: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** `1234.56` -> `1.234,56` (German) or `1,234.56` (US). */
function localized(plain: string, style: 'de' | 'us'): string {
  const [whole = '0', fraction] = plain.replace('-', '').split('.');
  const sign = plain.startsWith('-') ? '-' : '';
  return style === 'de'
    ? `${sign}${group(whole, '.')}${fraction ? `,${fraction}` : ''}`
    : `${sign}${group(whole, ',')}${fraction ? `.${fraction}` : ''}`;
}

function csvField(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) || value !== value.trim()
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** The statement lines of one wallet: final versions, booked only, in time order. */
export function statementLines(
  finals: readonly RawTransactionV1[],
  walletId: string,
): RawTransactionV1[] {
  return finals
    .filter((t) => t.walletId === walletId && t.status === 'booked')
    .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}

/**
 * A CSV statement and the mapping that reads it back. `timeZone` is the account's zone: dialects
 * with dates only (not `iso`) lose the time of day, so lines come back at local midnight.
 */
export function toCsv(
  lines: readonly RawTransactionV1[],
  dialect: CsvDialect,
  timeZone: string,
): { text: string; mapping: CsvMappingInput } {
  const rows: string[] = [];
  if (dialect === 'iso') {
    const d = ',';
    rows.push(['reference', 'occurred_at', 'amount', 'currency', 'merchant', 'mcc'].join(d));
    for (const t of lines) {
      rows.push(
        [
          t.externalId,
          t.occurredAt,
          decimal(signedAmount(t), t.amount.currency),
          t.amount.currency,
          t.merchant ?? '',
          t.mcc ?? '',
        ]
          .map((v) => csvField(v, d))
          .join(d),
      );
    }
    return {
      text: `${rows.join('\n')}\n`,
      mapping: {
        columns: {
          externalId: 'reference',
          date: 'occurred_at',
          amount: 'amount',
          currency: 'currency',
          merchant: 'merchant',
          mcc: 'mcc',
        },
        dateFormat: 'iso',
      },
    };
  }
  if (dialect === 'us-bank') {
    const d = ',';
    rows.push(['Transaction Date', 'Description', 'Amount', 'Reference Number'].join(d));
    for (const t of lines) {
      const date = DateTime.fromISO(t.occurredAt, { setZone: true })
        .setZone(timeZone)
        .toFormat('MM/dd/yyyy');
      rows.push(
        [
          date,
          t.merchant ?? '',
          localized(decimal(signedAmount(t), t.amount.currency), 'us'),
          t.externalId,
        ]
          .map((v) => csvField(v, d))
          .join(d),
      );
    }
    return {
      text: `${rows.join('\r\n')}\r\n`,
      mapping: {
        columns: {
          date: 'Transaction Date',
          description: 'Description',
          amount: 'Amount',
          externalId: 'Reference Number',
        },
        dateFormat: 'MM/dd/yyyy',
        timeZone,
      },
    };
  }
  const d = ';';
  rows.push(
    ['Buchungstag', 'Auftraggeber/Empfaenger', 'Soll', 'Haben', 'Waehrung', 'Kundenreferenz'].join(
      d,
    ),
  );
  for (const t of lines) {
    const date = DateTime.fromISO(t.occurredAt, { setZone: true })
      .setZone(timeZone)
      .toFormat('dd.MM.yyyy');
    const amount = localized(decimal(t.amount.amount, t.amount.currency), 'de');
    const out = signedAmount(t) < 0n;
    rows.push(
      [
        date,
        t.merchant ?? '',
        out ? amount : '',
        out ? '' : amount,
        t.amount.currency,
        t.externalId,
      ]
        .map((v) => csvField(v, d))
        .join(d),
    );
  }
  // BOM, and no line break after the last line, like the exports of several German banks.
  return {
    text: `\ufeff${rows.join('\r\n')}`,
    mapping: {
      columns: {
        date: 'Buchungstag',
        description: 'Auftraggeber/Empfaenger',
        debit: 'Soll',
        credit: 'Haben',
        currency: 'Waehrung',
        externalId: 'Kundenreferenz',
      },
      dateFormat: 'dd.MM.yyyy',
      decimalSeparator: ',',
      timeZone,
    },
  };
}

function ofxDate(iso: string): string {
  const t = DateTime.fromISO(iso, { setZone: true });
  const offsetMinutes = t.offset;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = Math.floor(Math.abs(offsetMinutes) / 60);
  const minutes = Math.abs(offsetMinutes) % 60;
  const zone =
    minutes === 0 ? `${sign}${hours}` : `${sign}${hours}.${String(minutes).padStart(2, '0')}`;
  const name = (t.offsetNameShort ?? '').replace(/[^A-Za-z]/g, '') || 'UTC';
  return `${t.toFormat('yyyyMMddHHmmss')}.000[${zone}:${name}]`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** An OFX statement (bank account) of one wallet's lines, SGML 1.02 or XML 2.11. */
export function toOfx(
  lines: readonly RawTransactionV1[],
  options: { flavour: 'sgml' | 'xml'; currency: string; accountId: string },
): string {
  const xml = options.flavour === 'xml';
  const leaf = (name: string, value: string) =>
    xml ? `<${name}>${escapeXml(value)}</${name}>` : `<${name}>${escapeXml(value)}`;
  const transactions = lines.map((t) =>
    [
      '<STMTTRN>',
      leaf('TRNTYPE', ofxTypeByKind[t.kind]),
      leaf(
        'DTPOSTED',
        ofxDate(typeof t.metadata.postedAt === 'string' ? t.metadata.postedAt : t.occurredAt),
      ),
      leaf('DTUSER', ofxDate(t.occurredAt)),
      leaf('TRNAMT', decimal(signedAmount(t), t.amount.currency)),
      leaf('FITID', t.externalId),
      ...(t.merchant
        ? [
            leaf('NAME', t.merchant.slice(0, 32)),
            ...(t.merchant.length > 32 ? [leaf('EXTDNAME', t.merchant)] : []),
          ]
        : []),
      ...(t.description ? [leaf('MEMO', t.description)] : []),
      ...(t.mcc ? [leaf('SIC', t.mcc)] : []),
      '</STMTTRN>',
    ].join(xml ? '' : '\r\n'),
  );
  const body = [
    '<OFX>',
    '<SIGNONMSGSRSV1><SONRS><STATUS>',
    leaf('CODE', '0'),
    leaf('SEVERITY', 'INFO'),
    '</STATUS>',
    leaf('LANGUAGE', 'ENG'),
    '</SONRS></SIGNONMSGSRSV1>',
    '<BANKMSGSRSV1><STMTTRNRS>',
    leaf('TRNUID', '1'),
    '<STMTRS>',
    leaf('CURDEF', options.currency),
    '<BANKACCTFROM>',
    leaf('BANKID', '999999999'),
    leaf('ACCTID', options.accountId.slice(0, 22)),
    leaf('ACCTTYPE', 'CHECKING'),
    '</BANKACCTFROM>',
    '<BANKTRANLIST>',
    ...transactions,
    '</BANKTRANLIST>',
    '</STMTRS></STMTTRNRS></BANKMSGSRSV1>',
    '</OFX>',
  ].join(xml ? '\n' : '\r\n');
  if (xml) {
    return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n${body}\n`;
  }
  const header = [
    'OFXHEADER:100',
    'DATA:OFXSGML',
    'VERSION:102',
    'SECURITY:NONE',
    'ENCODING:UTF-8',
    'CHARSET:NONE',
    'COMPRESSION:NONE',
    'OLDFILEUID:NONE',
    'NEWFILEUID:NONE',
    '',
  ].join('\r\n');
  return `${header}\r\n${body}\r\n`;
}
