import test from 'ava';
import { Readable } from 'node:stream';
import { parseAmountText } from './amount-text.js';
import { csvMappingSchema, parseCsv, type CsvMappingInput } from './csv-mapping.js';
import { readCsvRecords } from './csv-reader.js';
import { isRowProblem, type ImportedRow } from './imported-row.js';

/** Feed text in small chunks, so every test also crosses chunk boundaries at awkward places. */
function chunked(text: string | Buffer, size = 7): AsyncIterable<Buffer> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function parse(
  text: string | Buffer,
  mapping: CsvMappingInput,
  currency = 'EUR',
): Promise<ImportedRow[]> {
  const parsed = csvMappingSchema.parse(mapping);
  const rows: ImportedRow[] = [];
  for await (const row of parseCsv(
    readCsvRecords(chunked(text), { delimiter: parsed.delimiter }),
    parsed,
    currency,
  )) {
    if (isRowProblem(row)) throw new Error(`line ${row.line}: ${row.problem}`);
    rows.push(row);
  }
  return rows;
}

test('a German export with BOM, semicolons, 1.234,56 amounts, quoted fields, blank lines and no final newline imports exactly', async (t) => {
  const file = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(
      [
        'Buchungstag;Verwendungszweck;Betrag;Referenz',
        '',
        '01.03.2026;"REWE Markt GmbH; Filiale 1234";-1.234,56;R1',
        '02.03.2026;"Gehalt ""März""";3.500,00;R2',
        '',
        '',
        '03.03.2026;"Miete\r\nWohnung 4";-950,00;R3',
        '04.03.2026;Kaffee;-2,5;R4',
      ].join('\r\n'),
      'utf8',
    ),
  ]);
  const rows = await parse(file, {
    columns: {
      date: 'Buchungstag',
      description: 'Verwendungszweck',
      amount: 'Betrag',
      externalId: 'Referenz',
    },
    dateFormat: 'dd.MM.yyyy',
    decimalSeparator: ',',
    timeZone: 'Europe/Berlin',
  });
  t.deepEqual(
    rows.map((r) => [
      r.line,
      r.externalId,
      r.occurredAt,
      r.direction,
      r.amount,
      r.currency,
      r.description,
    ]),
    [
      [
        3,
        'R1',
        '2026-03-01T00:00:00+01:00',
        'out',
        '1234.56',
        'EUR',
        'REWE Markt GmbH; Filiale 1234',
      ],
      [4, 'R2', '2026-03-02T00:00:00+01:00', 'in', '3500.00', 'EUR', 'Gehalt "März"'],
      [7, 'R3', '2026-03-03T00:00:00+01:00', 'out', '950.00', 'EUR', 'Miete\r\nWohnung 4'],
      [9, 'R4', '2026-03-04T00:00:00+01:00', 'out', '2.5', 'EUR', 'Kaffee'],
    ],
  );
});

test('a US export with quoted commas, thousands separators and MM/dd/yyyy imports exactly', async (t) => {
  const file = [
    'Date,Description,Amount',
    '03/01/2026,"AMZN MKTP US*2K4, Seattle","-1,234.56"',
    '03/02/2026,PAYROLL,"5,000.00"',
    '03/02/2026,PAYROLL,"5,000.00"',
  ].join('\n');
  const rows = await parse(
    file,
    {
      columns: { date: 'Date', description: 'Description', amount: 'Amount' },
      dateFormat: 'MM/dd/yyyy',
      timeZone: 'America/New_York',
    },
    'USD',
  );
  t.is(rows.length, 3);
  t.like(rows[0], {
    direction: 'out',
    amount: '1234.56',
    description: 'AMZN MKTP US*2K4, Seattle',
    occurredAt: '2026-03-01T00:00:00-05:00',
  });
  t.like(rows[1], { direction: 'in', amount: '5000.00' });
  // Two identical lines are two transactions with distinct, stable derived ids.
  t.not(rows[1]!.externalId, rows[2]!.externalId);
  const again = await parse(
    file,
    {
      columns: { date: 'Date', description: 'Description', amount: 'Amount' },
      dateFormat: 'MM/dd/yyyy',
      timeZone: 'America/New_York',
    },
    'USD',
  );
  t.deepEqual(
    again.map((r) => r.externalId),
    rows.map((r) => r.externalId),
  );
});

test('debit and credit columns and a positive-is-out card statement give the right directions', async (t) => {
  const debitCredit = await parse(
    'Date;Text;Soll;Haben\n2026-03-01;A;12,00;\n2026-03-02;B;;7,50\n',
    {
      columns: { date: 'Date', description: 'Text', debit: 'Soll', credit: 'Haben' },
      decimalSeparator: ',',
    },
  );
  t.deepEqual(
    debitCredit.map((r) => [r.direction, r.amount]),
    [
      ['out', '12.00'],
      ['in', '7.50'],
    ],
  );
  const card = await parse(
    'when,what,amount\n2026-03-01T12:30:00+09:00,Lunch,1200\n2026-03-02T09:00:00+09:00,Refund,-300\n',
    {
      columns: { date: 'when', description: 'what', amount: 'amount' },
      sign: 'positive-is-out',
    },
    'JPY',
  );
  t.deepEqual(
    card.map((r) => [r.direction, r.amount, r.occurredAt]),
    [
      ['out', '1200', '2026-03-01T12:30:00+09:00'],
      ['in', '300', '2026-03-02T09:00:00+09:00'],
    ],
  );
});

test('a truncated last line is an error naming that line', async (t) => {
  const error = await t.throwsAsync(
    parse('Date,Description,Amount\n2026-03-01,Coffee,-3.50\n2026-03-02,Tea', {
      columns: { date: 'Date', description: 'Description', amount: 'Amount' },
    }),
  );
  t.regex(error!.message, /^line 3: expected 3 fields, found 2/);
});

test('a file cut inside a quoted field is an error naming the line where the record starts', async (t) => {
  const error = await t.throwsAsync(
    parse('Date,Description,Amount\n2026-03-01,Coffee,-3.50\n2026-03-02,"Tea and\ncake', {
      columns: { date: 'Date', description: 'Description', amount: 'Amount' },
    }),
  );
  t.regex(error!.message, /^line 3: the file ends inside a quoted field/);
});

test('bad dates and amounts are errors naming the line and the value', async (t) => {
  const mapping = {
    columns: { date: 'Date', amount: 'Amount' },
    dateFormat: 'yyyy-MM-dd',
  } as const;
  const badDate = await t.throwsAsync(
    parse('Date,Amount\n2026-03-01,1.00\n01/03/2026,2.00\n', mapping),
  );
  t.regex(badDate!.message, /^line 3: date "01\/03\/2026" does not match the format "yyyy-MM-dd"/);
  // 1.234,56 read with a decimal point is refused, not silently read as 1.23456.
  const wrongSeparator = await t.throwsAsync(
    parse('Date,Amount\n2026-03-01,"1.234,56"\n', mapping),
  );
  t.regex(
    wrongSeparator!.message,
    /^line 2: "1.234,56" is not an amount with decimal separator "."/,
  );
  const missingColumn = await t.throwsAsync(parse('Datum,Amount\n2026-03-01,1.00\n', mapping));
  t.regex(missingColumn!.message, /^line 1: the header has no column "Date"/);
});

test('amount texts in every common national form parse to the same magnitude', (t) => {
  const cases: [string, '.' | ',', boolean, string][] = [
    ['1.234,56', ',', false, '1234.56'],
    ['-1.234,56', ',', true, '1234.56'],
    ['1 234,56', ',', false, '1234.56'],
    ['1\u00a0234,56 €', ',', false, '1234.56'],
    ['1,234.56', '.', false, '1234.56'],
    ["1'234.56", '.', false, '1234.56'],
    ['(1,234.56)', '.', true, '1234.56'],
    ['1234.56-', '.', true, '1234.56'],
    ['$12', '.', false, '12'],
    ['EUR -0,99', ',', true, '0.99'],
    ['+007.5', '.', false, '7.5'],
  ];
  for (const [text, separator, negative, magnitude] of cases) {
    t.deepEqual(parseAmountText(text, separator), { negative, magnitude }, text);
  }
  t.is(parseAmountText('  ', '.'), undefined);
  for (const bad of ['1,5', '12.34.56', 'abc', '1.2345,6']) {
    t.throws(() => parseAmountText(bad, bad === '1.2345,6' ? ',' : '.'), undefined, bad);
  }
});

test('the delimiter is detected from the header when not given', async (t) => {
  const tabs = await parse('Date\tAmount\n2026-03-01\t-1.00\n', {
    columns: { date: 'Date', amount: 'Amount' },
  });
  t.like(tabs[0], { direction: 'out', amount: '1.00' });
  const pipes = await parse('Date|Amount|Note\n2026-03-01|2.00|a, b; c\n', {
    columns: { date: 'Date', amount: 'Amount', description: 'Note' },
  });
  t.like(pipes[0], { amount: '2.00', description: 'a, b; c' });
});
