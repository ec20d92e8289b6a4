import test from 'ava';
import { Readable } from 'node:stream';
import { isRowProblem, type ImportedRow } from './imported-row.js';
import { parseOfx, parseOfxDate } from './ofx.js';

function chunked(bytes: Buffer, size = 11): AsyncIterable<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function parse(file: Buffer | string, timeZone = 'UTC'): Promise<ImportedRow[]> {
  const rows: ImportedRow[] = [];
  const bytes = typeof file === 'string' ? Buffer.from(file, 'utf8') : file;
  for await (const row of parseOfx(chunked(bytes), { defaultCurrency: 'EUR', timeZone })) {
    if (isRowProblem(row)) throw new Error(`line ${row.line}: ${row.problem}`);
    rows.push(row);
  }
  return rows;
}

const sgmlHeader = [
  'OFXHEADER:100',
  'DATA:OFXSGML',
  'VERSION:102',
  'SECURITY:NONE',
  'ENCODING:USASCII',
  'CHARSET:1252',
  'COMPRESSION:NONE',
  'OLDFILEUID:NONE',
  'NEWFILEUID:NONE',
  '',
].join('\r\n');

test('an OFX 1.x SGML statement with unclosed leaves and windows-1252 text imports exactly', async (t) => {
  const body = [
    '<OFX>',
    '<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260305120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>',
    '<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>',
    '<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>9876543<ACCTTYPE>CHECKING</BANKACCTFROM>',
    '<BANKTRANLIST><DTSTART>20260301<DTEND>20260305',
    '<STMTTRN><TRNTYPE>POS<DTPOSTED>20260302<DTUSER>20260301123000.000[-5:EST]<TRNAMT>-1234.56<FITID>F1<NAME>CAF\xc9 &amp; BAR<MEMO>Card 4242<SIC>5812</STMTTRN>',
    '<STMTTRN>',
    '<TRNTYPE>DIRECTDEP',
    '<DTPOSTED>20260303',
    '<TRNAMT>5000.00',
    '<FITID>F2',
    '<NAME>ACME PAYROLL',
    '</STMTTRN>',
    '<STMTTRN><TRNTYPE>ATM<DTPOSTED>20260304083000[+5.30:IST]<TRNAMT>-100<FITID>F3<NAME>ATM</STMTTRN>',
    '</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20260305</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>',
  ].join('\r\n');
  const file = Buffer.concat([Buffer.from(sgmlHeader, 'latin1'), Buffer.from(body, 'latin1')]);
  const rows = await parse(file, 'America/New_York');
  t.deepEqual(rows, [
    {
      line: 15,
      externalId: 'F1',
      occurredAt: '2026-03-01T12:30:00-05:00',
      direction: 'out',
      kind: 'expense',
      amount: '1234.56',
      currency: 'USD',
      merchant: 'CAFÉ & BAR',
      description: 'Card 4242',
      mcc: '5812',
    },
    {
      line: 16,
      externalId: 'F2',
      occurredAt: '2026-03-03T00:00:00-05:00',
      direction: 'in',
      kind: 'income',
      amount: '5000.00',
      currency: 'USD',
      merchant: 'ACME PAYROLL',
    },
    {
      line: 23,
      externalId: 'F3',
      occurredAt: '2026-03-04T08:30:00+05:30',
      direction: 'out',
      kind: 'withdrawal',
      amount: '100',
      currency: 'USD',
      merchant: 'ATM',
    },
  ]);
});

test('an OFX 2.x XML credit-card statement with closed leaves, entities and a correction imports exactly', async (t) => {
  const file = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1</TRNUID>
    <CCSTMTRS><CURDEF>EUR</CURDEF><CCACCTFROM><ACCTID>4111</ACCTID></CCACCTFROM>
      <BANKTRANLIST>
        <STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20260310</DTPOSTED><TRNAMT>-12,50</TRNAMT><FITID>X1</FITID><NAME>Boulangerie &lt;Paul&gt;</NAME><MEMO></MEMO></STMTTRN>
        <STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20260311</DTPOSTED><TRNAMT>-14.00</TRNAMT><FITID>X2</FITID><CORRECTFITID>X1</CORRECTFITID><CORRECTACTION>REPLACE</CORRECTACTION><NAME>Boulangerie Paul</NAME></STMTTRN>
        <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20260312</DTPOSTED><TRNAMT>20.00</TRNAMT><FITID>X3</FITID><NAME>Refund</NAME><CURRENCY><CURRATE>1.1</CURRATE><CURSYM>USD</CURSYM></CURRENCY></STMTTRN>
      </BANKTRANLIST>
    </CCSTMTRS>
  </CCSTMTTRNRS></CREDITCARDMSGSRSV1>
</OFX>
`;
  const rows = await parse(file, 'Europe/Paris');
  t.deepEqual(
    rows.map((r) => [
      r.line,
      r.externalId,
      r.direction,
      r.kind,
      r.amount,
      r.currency,
      r.merchant,
      r.occurredAt,
      r.correction,
    ]),
    [
      [
        7,
        'X1',
        'out',
        'expense',
        '12.50',
        'EUR',
        'Boulangerie <Paul>',
        '2026-03-10T00:00:00+01:00',
        undefined,
      ],
      [
        8,
        'X2',
        'out',
        'expense',
        '14.00',
        'EUR',
        'Boulangerie Paul',
        '2026-03-11T00:00:00+01:00',
        { of: 'X1', action: 'replace' },
      ],
      [9, 'X3', 'in', 'income', '20.00', 'USD', 'Refund', '2026-03-12T00:00:00+01:00', undefined],
    ],
  );
});

test('a truncated OFX file is an error naming the line of the open transaction', async (t) => {
  const file = `${sgmlHeader}<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR<BANKTRANLIST>
<STMTTRN><TRNTYPE>POS<DTPOSTED>20260301<TRNAMT>-1.00<FITID>A</STMTTRN>
<STMTTRN><TRNTYPE>POS<DTPOSTED>20260302<TRNAMT>-2.`;
  const error = await t.throwsAsync(parse(file));
  t.regex(error!.message, /^line 12: the file ends with <STMTTRN> still open/);
});

test('a transaction without FITID or with a bad date is an error naming its line', async (t) => {
  const noId = `${sgmlHeader}<OFX><STMTRS><CURDEF>EUR<BANKTRANLIST>\n<STMTTRN><TRNTYPE>POS<DTPOSTED>20260301<TRNAMT>-1.00</STMTTRN>\n</BANKTRANLIST></STMTRS></OFX>`;
  t.regex((await t.throwsAsync(parse(noId)))!.message, /^line 11: a STMTTRN without FITID/);
  const badDate = `${sgmlHeader}<OFX><STMTRS><CURDEF>EUR<BANKTRANLIST>\n\n<STMTTRN><TRNTYPE>POS<DTPOSTED>2026-03-01<TRNAMT>-1.00<FITID>Q</STMTTRN>\n</BANKTRANLIST></STMTRS></OFX>`;
  t.regex(
    (await t.throwsAsync(parse(badDate)))!.message,
    /^line 12: transaction Q: date "2026-03-01" is not an OFX date/,
  );
  t.regex((await t.throwsAsync(parse('Date,Amount\n2026-01-01,1\n')))!.message, /not an OFX file/);
});

test('OFX dates take the bracketed offset, including half hours, or else the fallback zone', (t) => {
  t.is(parseOfxDate('20261125183000.123[-8:PST]', 'UTC')?.toISO(), '2026-11-25T18:30:00.000-08:00');
  t.is(parseOfxDate('20261125[0:GMT]', 'Asia/Tokyo')?.toISO(), '2026-11-25T00:00:00.000Z');
  t.is(parseOfxDate('20261125', 'Asia/Tokyo')?.toISO(), '2026-11-25T00:00:00.000+09:00');
  t.is(parseOfxDate('20261125120000[+5.30:IST]', 'UTC')?.toISO(), '2026-11-25T12:00:00.000+05:30');
  t.is(parseOfxDate('2026112', 'UTC'), undefined);
  t.is(parseOfxDate('20261345', 'UTC'), undefined);
});
