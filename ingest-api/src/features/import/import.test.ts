import test from 'ava';
import { DateTime } from 'luxon';
import { signedAmount, type RawTransactionV1 } from '@spendstream/core/events';
import { finalTransactions, generateTransactions } from '../generator/generate.js';
import { statementLines, toCsv, toOfx, type CsvDialect } from '../generator/files.js';
import { readRawTopic } from '../../testing/read-topic.js';
import { startHarness, type Harness, type LooseJson } from '../../testing/harness.js';

async function upload(
  h: Harness,
  token: string,
  walletId: string,
  query: Record<string, string>,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: LooseJson; headers: Headers }> {
  const url = `${h.url}/v1/wallets/${walletId}/imports?${new URLSearchParams(query).toString()}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': query.format === 'csv' ? 'text/csv' : 'application/x-ofx',
      authorization: `Bearer ${token}`,
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    headers: response.headers,
  };
}

const messyMapping = {
  columns: {
    date: 'Buchungstag',
    description: 'Verwendungszweck',
    amount: 'Betrag',
    externalId: 'Referenz',
  },
  dateFormat: 'dd.MM.yyyy',
  decimalSeparator: ',',
  timeZone: 'Europe/Berlin',
};
const messyFile = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(
    'Buchungstag;Verwendungszweck;Betrag;Referenz\r\n\r\n' +
      '01.03.2026;"REWE Markt GmbH; Filiale 1234";-1.234,56;R1\r\n' +
      '02.03.2026;"Gehalt ""März""";3.500,00;R2\r\n\r\n' +
      '03.03.2026;"Miete, Wohnung 4";-950,00;R3',
  ),
]);

test('a hand-written messy CSV (BOM, semicolons, quoted commas, 1.234,56, blank lines, no final newline) imports exactly, and again as duplicates', async (t) => {
  const h = await startHarness({
    wallets: [{ walletId: 'w_de', writers: ['u_de'], currency: 'EUR', archived: false }],
  });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_de');
  const first = await upload(
    h,
    token,
    'w_de',
    { format: 'csv', mapping: JSON.stringify(messyMapping) },
    messyFile,
  );
  t.is(first.status, 202, JSON.stringify(first.body));
  t.like(first.body, {
    rowsRead: 3,
    accepted: 3,
    duplicate: 0,
    rejected: 0,
    complete: true,
    state: 'done',
  });
  const again = await upload(
    h,
    token,
    'w_de',
    { format: 'csv', mapping: JSON.stringify(messyMapping) },
    messyFile,
  );
  t.like(again.body, { accepted: 0, duplicate: 3 });

  const events = await readRawTopic(h.eventLog, h.topic, { expected: 3 });
  t.deepEqual(
    events.map((e) => [
      e.payload.externalId,
      e.payload.kind,
      e.payload.amount.amount,
      e.payload.occurredAt,
      e.payload.merchant,
      e.payload.channel,
    ]),
    [
      [
        'R1',
        'expense',
        123456n,
        '2026-03-01T00:00:00+01:00',
        'REWE Markt GmbH; Filiale 1234',
        'file',
      ],
      ['R2', 'income', 350000n, '2026-03-02T00:00:00+01:00', 'Gehalt "März"', 'file'],
      ['R3', 'expense', 95000n, '2026-03-03T00:00:00+01:00', 'Miete, Wohnung 4', 'file'],
    ],
  );
});

test('a malformed file gets a clear error naming the line and nothing is imported; partial=true imports the good lines', async (t) => {
  const h = await startHarness({
    wallets: [{ walletId: 'w_us', writers: ['u_us'], currency: 'USD', archived: false }],
  });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_us');
  const mapping = JSON.stringify({
    columns: { date: 'Date', description: 'Description', amount: 'Amount' },
    dateFormat: 'MM/dd/yyyy',
    timeZone: 'America/New_York',
  });
  const truncated =
    'Date,Description,Amount\n03/01/2026,Coffee,-3.50\n03/02/2026,Lunch,-12.00\n03/03/2026,Bo';
  const cut = await upload(h, token, 'w_us', { format: 'csv', mapping }, truncated);
  t.is(cut.status, 400);
  t.regex(cut.body.detail, /line 4: expected 3 fields, found 2/);

  const badLine =
    'Date,Description,Amount\n03/01/2026,Coffee,-3.50\n03/02/2026,Lunch,-12.0.0\n03/03/2026,Books,-30.00\n';
  const strict = await upload(h, token, 'w_us', { format: 'csv', mapping }, badLine);
  t.is(strict.status, 400);
  t.regex(
    strict.body.detail,
    /first at line 3: "-12.0.0" is not an amount with decimal separator "."/,
  );
  t.is((await readRawTopic(h.eventLog, h.topic, { expected: 0, quietMs: 300 })).length, 0);

  const partial = await upload(
    h,
    token,
    'w_us',
    { format: 'csv', mapping, partial: 'true' },
    badLine,
  );
  t.is(partial.status, 202);
  t.like(partial.body, { accepted: 2, rejected: 1, complete: false });
  t.is(partial.body.errors[0].line, 3);
  const events = await readRawTopic(h.eventLog, h.topic, { expected: 2 });
  t.deepEqual(events.map((e) => e.payload.merchant).sort(), ['Books', 'Coffee']);

  const asJson = await fetch(
    `${h.url}/v1/wallets/w_us/imports?format=csv&mapping=${encodeURIComponent(mapping)}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ file: truncated }),
    },
  );
  t.is(asJson.status, 415);
  const truncatedOfx =
    'OFXHEADER:100\r\n\r\n<OFX><STMTRS><CURDEF>USD\r\n<BANKTRANLIST>\r\n<STMTTRN><TRNTYPE>POS<DTPOSTED>20260301<TRNAMT>-1.00<FITID>A</STMTTRN>';
  const cut2 = await upload(h, token, 'w_us', { format: 'ofx' }, truncatedOfx);
  t.is(cut2.status, 400);
  t.regex(cut2.body.detail, /line 4: the file ends with <BANKTRANLIST> still open/);
  const noFitid =
    'OFXHEADER:100\r\n\r\n<OFX><STMTRS><CURDEF>USD<BANKTRANLIST>\r\n<STMTTRN><TRNTYPE>POS<DTPOSTED>20260301<TRNAMT>-1.00</STMTTRN>\r\n</BANKTRANLIST></STMTRS></OFX>';
  const ofx = await upload(h, token, 'w_us', { format: 'ofx' }, noFitid);
  t.is(ofx.status, 400);
  t.regex(ofx.body.detail, /first at line 4: a STMTTRN without FITID/);
  t.is((await readRawTopic(h.eventLog, h.topic, { expected: 2, quietMs: 300 })).length, 2);
});

test('an import with an Idempotency-Key can be watched by its id and replays its answer', async (t) => {
  const h = await startHarness({
    wallets: [{ walletId: 'w_de', writers: ['u_de'], currency: 'EUR', archived: false }],
  });
  t.teardown(() => h.close());
  const token = await h.issuer.userToken('u_de');
  const query = { format: 'csv', mapping: JSON.stringify(messyMapping) };
  const first = await upload(h, token, 'w_de', query, messyFile, { 'Idempotency-Key': 'upload-7' });
  t.is(first.status, 202);
  const progress = await fetch(`${h.url}/v1/imports/upload-7`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.like(await progress.json(), {
    importId: 'upload-7',
    state: 'done',
    rowsPublished: 3,
    accepted: 3,
  });
  const replay = await upload(h, token, 'w_de', query, messyFile, {
    'Idempotency-Key': 'upload-7',
  });
  t.is(replay.status, 202);
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(replay.body, first.body);
  const otherFile = await upload(
    h,
    token,
    'w_de',
    query,
    Buffer.concat([messyFile, Buffer.from('\r\n04.03.2026;X;-1,00;R4')]),
    { 'Idempotency-Key': 'upload-7' },
  );
  t.is(otherFile.status, 409);
  const stranger = await h.issuer.userToken('u_other');
  t.is(
    (
      await fetch(`${h.url}/v1/imports/upload-7`, {
        headers: { authorization: `Bearer ${stranger}` },
      })
    ).status,
    404,
  );
});

/** What an import of a statement line must publish, whatever the file format. */
function expectedOf(line: RawTransactionV1, format: CsvDialect | 'ofx', timeZone: string) {
  const local = DateTime.fromISO(line.occurredAt, { setZone: true }).setZone(timeZone);
  const out = signedAmount(line) < 0n;
  return {
    externalId: line.externalId,
    signed: signedAmount(line),
    currency: line.amount.currency,
    when: format === 'iso' || format === 'ofx' ? Date.parse(line.occurredAt) : local.toISODate(),
    kind: format === 'ofx' ? line.kind : out ? 'expense' : 'income',
    merchant: line.merchant,
  };
}

for (const format of ['iso', 'us-bank', 'de-bank', 'ofx-sgml', 'ofx-xml'] as const) {
  test(`generated statements import exactly: ${format}`, async (t) => {
    const dataset = generateTransactions({ seed: `import-${format}`, users: 3, days: 75 });
    const user = dataset.users[0]!;
    const finals = finalTransactions(dataset.transactions);
    // The user's busiest wallet: its statement has every kind of line the generator makes for it.
    const [wallet, lines] = user.wallets
      .map((w) => [w, statementLines(finals, w.walletId)] as const)
      .sort((a, b) => b[1].length - a[1].length)[0]!;
    t.true(lines.length > 20);
    const h = await startHarness({
      wallets: [
        {
          walletId: wallet.walletId,
          writers: [user.userId],
          currency: wallet.currency,
          archived: false,
        },
      ],
    });
    t.teardown(() => h.close());
    const token = await h.issuer.clientToken('demo-bank', [user.userId], ['transactions:write']);
    const dialect = format.startsWith('ofx') ? 'ofx' : (format as CsvDialect);
    let response;
    if (dialect === 'ofx') {
      const text = toOfx(lines, {
        flavour: format === 'ofx-xml' ? 'xml' : 'sgml',
        currency: wallet.currency,
        accountId: wallet.walletId,
      });
      response = await upload(
        h,
        token,
        wallet.walletId,
        { format: 'ofx', timeZone: user.timeZone },
        text,
      );
    } else {
      const { text, mapping } = toCsv(lines, dialect, user.timeZone);
      response = await upload(
        h,
        token,
        wallet.walletId,
        { format: 'csv', mapping: JSON.stringify(mapping) },
        text,
      );
    }
    t.is(response.status, 202, JSON.stringify(response.body));
    t.like(response.body, { rowsRead: lines.length, accepted: lines.length, rejected: 0 });

    const events = await readRawTopic(h.eventLog, h.topic, { expected: lines.length });
    const got = events
      .map((e) => {
        const local = DateTime.fromISO(e.payload.occurredAt, { setZone: true }).setZone(
          user.timeZone,
        );
        return {
          externalId: e.payload.externalId,
          signed: signedAmount(e.payload),
          currency: e.payload.amount.currency,
          when:
            dialect === 'iso' || dialect === 'ofx'
              ? Date.parse(e.payload.occurredAt)
              : local.toISODate(),
          kind: e.payload.kind,
          merchant: e.payload.merchant,
        };
      })
      .sort((a, b) => a.externalId.localeCompare(b.externalId));
    const expected = lines
      .map((l) => expectedOf(l, dialect, user.timeZone))
      .sort((a, b) => a.externalId.localeCompare(b.externalId));
    t.deepEqual(got, expected);
  });
}
