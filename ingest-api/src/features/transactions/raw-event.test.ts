import test from 'ava';
import {
  decodeEvent,
  encodeEvent,
  eventMessage,
  eventHeaders,
  eventTypes,
  topics,
} from '@spendstream/core/events';
import { parseTransactionInput } from './fast-input.js';
import { rawEventSource, rawTransactionMessage } from './raw-event.js';
import { generatedBodies, validEdgeBodies } from './samples.js';
import { toRawTransaction } from './to-raw.js';

const nowMs = Date.parse('2026-11-25T12:00:00Z');
const bodies = [...generatedBodies(1_000), ...validEdgeBodies].filter(
  (b) => typeof b.occurredAt === 'string' && !Number.isNaN(Date.parse(b.occurredAt)),
);

function raws() {
  return bodies.flatMap((body, i) => {
    const input = parseTransactionInput(body);
    try {
      const raw = toRawTransaction(input, {
        source: 'acme-bank',
        userId: typeof body.userId === 'string' ? body.userId : 'u_a',
        channel: i % 2 === 0 ? 'batch' : 'api',
        nowMs,
      });
      return [{ ...raw, version: 1 + (i % 3) }];
    } catch {
      return []; // dates out of range for the fixed clock: not this test's subject
    }
  });
}

test('the hand-built message has exactly the bytes encodeEvent writes for the same event', (t) => {
  const all = raws();
  t.true(all.length >= 900, `${all.length} transactions`);
  all.forEach((raw, i) => {
    const producedAt = new Date(nowMs + i).toISOString();
    const correlationId = i % 4 === 0 ? undefined : `req-${i}`;
    const message = rawTransactionMessage(raw, producedAt, correlationId);
    const event = {
      id: `${raw.transactionId}:${raw.version}`,
      type: eventTypes.transactionRaw,
      version: 1 as const,
      key: raw.userId,
      occurredAt: raw.occurredAt,
      producedAt,
      source: rawEventSource,
      ...(correlationId ? { correlationId } : {}),
      payload: raw,
    };
    const expected = encodeEvent(topics.transactionsRaw, event);
    t.is(message.value.toString('utf8'), expected.toString('utf8'));
    t.is(message.key, raw.userId);
    // One header, the event id, with the value core's eventMessage writes for it (the constant
    // type, version and content-type headers are left out, docs/events.md).
    t.deepEqual(message.headers, {
      [eventHeaders.id]: eventMessage(topics.transactionsRaw, event).headers[eventHeaders.id],
    });
    t.is(message.headers?.[eventHeaders.id], `${raw.transactionId}:${raw.version}`);
    // And consumers read back the very same transaction.
    t.deepEqual(decodeEvent(topics.transactionsRaw, message.value).payload, raw);
  });
});

test('an empty correlation id is left out, as the zod encode path did', (t) => {
  const [raw] = raws();
  const message = rawTransactionMessage(raw!, new Date(nowMs).toISOString(), '');
  t.false('correlationId' in (JSON.parse(message.value.toString('utf8')) as object));
});

test('a version given apart from the payload is the one published (id, header and payload)', (t) => {
  const [raw] = raws();
  const producedAt = new Date(nowMs).toISOString();
  const given = rawTransactionMessage({ ...raw!, version: 1 }, producedAt, 'req-1', 7);
  const copied = rawTransactionMessage({ ...raw!, version: 7 }, producedAt, 'req-1');
  t.is(given.value.toString('utf8'), copied.value.toString('utf8'));
  t.deepEqual(given.headers, copied.headers);
  t.is(decodeEvent(topics.transactionsRaw, given.value).id, `${raw!.transactionId}:7`);
  t.is(decodeEvent(topics.transactionsRaw, given.value).payload.version, 7);
});
