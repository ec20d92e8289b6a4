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
import { flatObjectJson, quoted, quotedArray } from './json-text.js';

/** The envelope's `source`. */
export const rawEventSource = 'ingest-api';

/** The event id: stable per (transaction, version), so a republish is deduplicated downstream. */
export function rawEventId(transactionId: string, version: number): string {
  return `${transactionId}:${version}`;
}

/**
 * The event's JSON text, written piece by piece in encodeEvent's key order (an absent optional is
 * left out, as JSON.stringify leaves out undefined). Why not JSON.stringify of an envelope object:
 * it cost about 1.5 times as much CPU per event (objects with undefined optionals take V8's slow
 * path; docs/benchmarks.md, ingest-api session 10). Every text from outside (ids, source, labels,
 * tags, metadata, the correlation id) is quoted by json-text.ts (JSON.stringify's text, without a
 * call for a plain string: session 13); written as they are only the
 * values whose characters are fixed by construction or validation: the transaction id (`tx_` and
 * hex), kind, channel and status (enums), the amount (an integer's digits), the currency (an ISO
 * 4217 code, checked by parseMoney/parseMinorUnits), occurredAt (checked against the ISO 8601
 * pattern in toRawTransaction), the MCC (four digits), producedAt (toISOString).
 */
function eventJson(
  raw: RawTransactionV1,
  id: string,
  producedAt: string,
  correlationId: string | undefined,
  version: number,
): string {
  const userId = quoted(raw.userId);
  let json = `{"id":"${id}","type":"${eventTypes.transactionRaw}","version":1,"key":${userId},"occurredAt":"${raw.occurredAt}","producedAt":"${producedAt}","source":"${rawEventSource}"`;
  if (correlationId) json += `,"correlationId":${quoted(correlationId)}`;
  json += `,"payload":{"transactionId":"${raw.transactionId}","source":${quoted(raw.source)},"externalId":${quoted(raw.externalId)},"userId":${userId},"walletId":${quoted(raw.walletId)},"kind":"${raw.kind}","amount":{"amount":"${raw.amount.amount}","currency":"${raw.amount.currency}"},"occurredAt":"${raw.occurredAt}"`;
  if (raw.merchant !== undefined) json += `,"merchant":${quoted(raw.merchant)}`;
  if (raw.description !== undefined) json += `,"description":${quoted(raw.description)}`;
  if (raw.category !== undefined) json += `,"category":${quoted(raw.category)}`;
  if (raw.mcc !== undefined) json += `,"mcc":"${raw.mcc}"`;
  if (raw.bankCategory !== undefined) json += `,"bankCategory":${quoted(raw.bankCategory)}`;
  json += `,"tags":${quotedArray(raw.tags)}`;
  if (raw.note !== undefined) json += `,"note":${quoted(raw.note)}`;
  json += `,"metadata":${flatObjectJson(raw.metadata)}`;
  if (raw.transfer !== undefined) json += `,"transfer":${JSON.stringify(raw.transfer)}`;
  return `${json},"channel":"${raw.channel}","version":${version},"status":"${raw.status}"}}`;
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
  const value = eventJson(raw, id, producedAt, correlationId, version);
  return {
    key: raw.userId,
    value: Buffer.from(value, 'utf8'),
    headers: { [eventHeaders.id]: id },
  };
}
