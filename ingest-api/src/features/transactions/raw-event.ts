/**
 * The `transaction.raw` v1 message for a transaction this service built itself, encoded without a
 * second zod pass. core's `encodeEvent` validates the whole envelope with zod before serializing
 * (about a fifth of the server's CPU per transaction); here every field has already been checked:
 * the body by the input schema (whose limits are the event schema's), the payload by
 * `toRawTransaction`, and the envelope fields are built below from those. The bytes are the ones
 * `encodeEvent` writes for the same event (same key order, amounts as decimal strings), which
 * `raw-event.test.ts` checks over generated and edge-case transactions, so consumers decoding with
 * `decodeEvent` see no difference.
 */
import { eventHeaders, eventTypes, type RawTransactionV1 } from '@spendstream/core/events';
import type { OutgoingMessage } from '@spendstream/core/event-log';

/** The envelope's `source`. */
export const rawEventSource = 'ingest-api';

/** The event id: stable per (transaction, version), so a republish is deduplicated downstream. */
export function rawEventId(transactionId: string, version: number): string {
  return `${transactionId}:${version}`;
}

/** The wire form of the payload: keys in the schema's order, the amount as a decimal string. */
function wirePayload(raw: RawTransactionV1, version: number): Record<string, unknown> {
  return {
    transactionId: raw.transactionId,
    source: raw.source,
    externalId: raw.externalId,
    userId: raw.userId,
    walletId: raw.walletId,
    kind: raw.kind,
    amount: { amount: raw.amount.amount.toString(), currency: raw.amount.currency },
    occurredAt: raw.occurredAt,
    merchant: raw.merchant,
    description: raw.description,
    category: raw.category,
    mcc: raw.mcc,
    bankCategory: raw.bankCategory,
    tags: raw.tags,
    note: raw.note,
    metadata: raw.metadata,
    transfer: raw.transfer,
    channel: raw.channel,
    version,
    status: raw.status,
  };
}

/**
 * The message for one raw transaction version: key the user id, one header, the event id (for
 * deduplication without parsing). Not the constant `event-type`, `event-version` and
 * `content-type` headers core's `eventMessage` adds: no consumer reads them (the envelope says
 * the same), wallet-api's raw events carry neither type nor version, and each header costs the
 * Kafka client about 0.8 us per record to encode (docs/events.md, docs/benchmarks.md).
 */
export function rawTransactionMessage(
  raw: RawTransactionV1,
  producedAt: string,
  correlationId: string | undefined,
  /** The version published, when not `raw.version` (a claimed correction: no copy of `raw`). */
  version: number = raw.version,
): OutgoingMessage {
  const id = rawEventId(raw.transactionId, version);
  // JSON.stringify leaves out undefined properties, as the zod encode does for absent optionals.
  const value = JSON.stringify({
    id,
    type: eventTypes.transactionRaw,
    version: 1,
    key: raw.userId,
    occurredAt: raw.occurredAt,
    producedAt,
    source: rawEventSource,
    correlationId: correlationId || undefined,
    payload: wirePayload(raw, version),
  });
  return {
    key: raw.userId,
    value: Buffer.from(value, 'utf8'),
    headers: { [eventHeaders.id]: id },
  };
}
