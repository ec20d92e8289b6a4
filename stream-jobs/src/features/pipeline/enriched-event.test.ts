import test from 'ava';
import { encodeEvent, topics, type TopicEvent } from '@spendstream/core/events';
import type { RawTransactionV1 } from '@spendstream/core/events/transactions';
import { seededRandom } from '@spendstream/core/testing/random';
import { documentOf, rawTransaction, userContext } from '../documents/test-documents.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import { rawOfDocument } from '../enrich/enrich.js';
import { enrichedEventId, enrichedEventOf } from './enriched-event.js';

/**
 * The enriched event as the raw transaction of the document with the note in effect and the
 * enrichment spread over it: the form `publishEnriched` built before `enrichedEventOf`, kept
 * here (with the same envelope) as the reference its payload's bytes are compared with.
 */
function spreadForm(
  doc: TransactionDocument,
  producedAt: string,
  source: string,
): TopicEvent<typeof topics.transactionsEnriched> {
  const { note: _sourceNote, ...raw } = rawOfDocument(doc);
  return {
    ...enrichedEventOf(doc, producedAt, source),
    payload: {
      ...raw,
      ...(doc.note !== undefined ? { note: doc.note } : {}),
      tags: doc.tags,
      merchantClean: doc.merchantName,
      merchantKey: doc.merchantKey,
      category: doc.category,
      homeAmount: { amount: doc.homeAmountMinor, currency: doc.homeCurrency },
      conversion: doc.conversion,
      timeZone: doc.timeZone,
      localDate: doc.localDate,
      localWeek: doc.localWeek,
      localMonth: doc.localMonth,
    },
  } as TopicEvent<typeof topics.transactionsEnriched>;
}

/** Documents of generated raw transactions: every optional field present or not, annotations. */
function generatedDocuments(count: number): TransactionDocument[] {
  const random = seededRandom(20261127);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maybe = <T>(value: T): T | undefined => (random() < 0.5 ? value : undefined);
  const docs: TransactionDocument[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = pick(['expense', 'income', 'refund', 'transfer_out', 'transfer_in'] as const);
    const overrides: Partial<RawTransactionV1> = {
      transactionId: `tx-${i}`,
      kind,
      amount: { amount: BigInt(Math.floor(random() * 1_000_000)), currency: pick(['NZD', 'EUR']) },
      tags: pick([[], ['trip'], ['a', 'b']]),
      version: 1 + Math.floor(random() * 3),
      status: pick(['booked', 'reversed'] as const),
    };
    const merchant = maybe(pick(['COUNTDOWN PONSONBY', 'Blue "Bottle" \\ Café', 'x']));
    const description = maybe('CB CARREFOUR CITY 24/11\n');
    const category = maybe('groceries');
    const mcc = maybe('5411');
    const bankCategory = maybe('Food');
    const note = maybe('the source note');
    const channel = maybe(pick(['api', 'batch', 'file', 'wallet'] as const));
    const transfer = kind.startsWith('transfer')
      ? { transferId: `tr-${i}`, internal: random() < 0.5 }
      : undefined;
    const raw: RawTransactionV1 = rawTransaction(overrides);
    if (merchant === undefined) delete raw.merchant;
    else raw.merchant = merchant;
    if (description !== undefined) raw.description = description;
    if (category !== undefined) raw.category = category;
    if (mcc !== undefined) raw.mcc = mcc;
    if (bankCategory !== undefined) raw.bankCategory = bankCategory;
    if (note !== undefined) raw.note = note;
    if (channel !== undefined) raw.channel = channel;
    if (transfer !== undefined) raw.transfer = transfer;
    const annotation =
      random() < 0.3
        ? {
            revision: 1,
            ...(random() < 0.5 ? { tags: ['mine'] } : {}),
            ...(random() < 0.5 ? { note: random() < 0.5 ? null : 'the user note' } : {}),
          }
        : undefined;
    const doc = documentOf(raw, userContext({ annotation }));
    // A document written before annotations existed: its note is the source's.
    if (random() < 0.1) delete doc.annotationRevision;
    docs.push(doc);
  }
  return docs;
}

test('the enriched event has the bytes of the raw transaction with the enrichment spread over it, for generated documents', (t) => {
  const docs = generatedDocuments(2_000);
  const producedAt = '2026-11-27T04:00:00.000Z';
  for (const doc of docs)
    t.is(
      encodeEvent(
        topics.transactionsEnriched,
        enrichedEventOf(doc, producedAt, 'stream-jobs'),
      ).toString('utf8'),
      encodeEvent(topics.transactionsEnriched, spreadForm(doc, producedAt, 'stream-jobs')).toString(
        'utf8',
      ),
      doc.id,
    );
  // The generated set holds each optional field both ways.
  const payloads = docs.map(
    (doc) => enrichedEventOf(doc, producedAt, 'stream-jobs').payload as Record<string, unknown>,
  );
  for (const field of [
    'merchant',
    'description',
    'mcc',
    'bankCategory',
    'note',
    'transfer',
    'channel',
  ]) {
    t.true(
      payloads.some((p) => p[field] !== undefined),
      `${field} present somewhere`,
    );
    t.true(
      payloads.some((p) => p[field] === undefined),
      `${field} absent somewhere`,
    );
  }
});

test('the enriched event id is the document version, with refused characters written as _', (t) => {
  const doc = documentOf(rawTransaction({ transactionId: 'tx-1' }));
  t.is(enrichedEventId(doc), `tx-1:v${doc.version}`);
  t.is(enrichedEventId({ ...doc, id: 'a b/c' }), `a_b_c:v${doc.version}`);
});
