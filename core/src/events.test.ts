import test from 'ava';
import { ValidationError } from './errors.js';
import {
  decodeEvent,
  deadLetterFor,
  encodeEvent,
  eventMessage,
  EventDecodeError,
  exampleEvents,
  InvalidEventError,
  MalformedEventError,
  signedAmount,
  topicNames,
  topics,
  topicSpecs,
  UnknownEventTypeError,
  UnknownEventVersionError,
  type TopicEvent,
  type TopicName,
} from './events.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function rawExample(): TopicEvent<'transactions.raw'> {
  return structuredClone(exampleEvents[topics.transactionsRaw][0]);
}

test('every example event encodes and decodes back to the same value on its topic', (t) => {
  for (const topic of topicNames) {
    const examples = exampleEvents[topic] as readonly TopicEvent<TopicName>[];
    t.true(examples.length > 0, `${topic} has an example`);
    for (const event of examples) {
      const decoded = decodeEvent(topic, encodeEvent(topic, event as never));
      t.deepEqual(decoded, event, `${topic} ${event.type}`);
    }
  }
});

test('amounts travel as decimal strings of minor units and come back as bigint', (t) => {
  const wire = JSON.parse(text(encodeEvent(topics.transactionsRaw, rawExample())));
  t.deepEqual(wire.payload.amount, { amount: '4599', currency: 'EUR' });
  const decoded = decodeEvent(topics.transactionsRaw, bytesOf(wire));
  t.is(decoded.payload.amount.amount, 4599n);
});

test('decode rejects a version it does not know with UnknownEventVersionError naming the known ones', (t) => {
  const wire = JSON.parse(text(encodeEvent(topics.transactionsRaw, rawExample())));
  wire.version = 2;
  const error = t.throws(() => decodeEvent(topics.transactionsRaw, bytesOf(wire)), {
    instanceOf: UnknownEventVersionError,
  });
  t.is(error.reason, 'unknown_version');
  t.is(error.eventVersion, 2);
  t.is(error.eventId, wire.id);
  t.regex(error.message, /known versions: 1/);
  t.true(error instanceof EventDecodeError && error instanceof ValidationError);
});

test('decode rejects a type the topic does not carry', (t) => {
  const wire = JSON.parse(text(encodeEvent(topics.transactionsRaw, rawExample())));
  wire.type = 'alert.raised';
  const error = t.throws(() => decodeEvent(topics.transactionsRaw, bytesOf(wire)), {
    instanceOf: UnknownEventTypeError,
  });
  t.is(error.reason, 'unknown_type');
});

test('decode rejects an invalid payload with the failing paths', (t) => {
  const wire = JSON.parse(text(encodeEvent(topics.transactionsRaw, rawExample())));
  wire.payload.amount.amount = '12.5';
  wire.payload.occurredAt = '2026-11-24T19:32:10';
  const error = t.throws(() => decodeEvent(topics.transactionsRaw, bytesOf(wire)), {
    instanceOf: InvalidEventError,
  });
  t.is(error.reason, 'invalid_payload');
  const paths = error.fields.map((field) => field.path).sort();
  t.deepEqual(paths, ['payload.amount.amount', 'payload.occurredAt']);
  const reason = error.toDeadLetterReason();
  t.is(reason.code, 'invalid_payload');
  t.is(reason.issues.length, 2);
});

test('decode rejects bytes that are not a JSON envelope as malformed', (t) => {
  const notJson = t.throws(() => decodeEvent(topics.alerts, new TextEncoder().encode('{nope')), {
    instanceOf: MalformedEventError,
  });
  t.is(notJson.reason, 'malformed');
  t.throws(() => decodeEvent(topics.alerts, new Uint8Array([0xff, 0xfe])), {
    instanceOf: MalformedEventError,
  });
  t.throws(() => decodeEvent(topics.alerts, '[1,2]'), { instanceOf: MalformedEventError });
  t.throws(() => decodeEvent(topics.alerts, '{"type":"alert.raised"}'), {
    instanceOf: MalformedEventError,
  });
});

test('an amount beyond the bound, a negative transaction amount and an unknown currency are invalid', (t) => {
  for (const amount of [
    { amount: '1000000000000001', currency: 'EUR' },
    { amount: '-5', currency: 'EUR' },
    { amount: '5', currency: 'EURO' },
    { amount: 5, currency: 'EUR' },
  ]) {
    const wire = JSON.parse(text(encodeEvent(topics.transactionsRaw, rawExample())));
    wire.payload.amount = amount;
    t.throws(
      () => decodeEvent(topics.transactionsRaw, bytesOf(wire)),
      { instanceOf: InvalidEventError },
      JSON.stringify(amount),
    );
  }
});

test('encode refuses an event whose key is not the payload user id', (t) => {
  const event = rawExample();
  event.key = 'user_someone_else';
  const error = t.throws(() => encodeEvent(topics.transactionsRaw, event), {
    instanceOf: InvalidEventError,
  });
  t.is(error.field, 'key');
});

test('encode refuses an invalid event instead of publishing it', (t) => {
  const event = rawExample();
  event.payload.amount = { amount: -1n, currency: 'EUR' };
  t.throws(() => encodeEvent(topics.transactionsRaw, event), { instanceOf: InvalidEventError });
  const unknownVersion = {
    ...rawExample(),
    version: 3,
  } as unknown as TopicEvent<'transactions.raw'>;
  t.throws(() => encodeEvent(topics.transactionsRaw, unknownVersion), {
    instanceOf: UnknownEventVersionError,
  });
});

test('an unknown topic is a validation error, not a silent pass', (t) => {
  t.throws(() => decodeEvent('transactions.rawx' as TopicName, '{}'), {
    instanceOf: ValidationError,
    message: /unknown topic/,
  });
});

test('deadLetterFor keeps the original bytes and the typed reason and is itself a valid event', (t) => {
  const wire = JSON.parse(text(encodeEvent(topics.transactionsRaw, rawExample())));
  wire.version = 7;
  const value = bytesOf(wire);
  const error = t.throws(() => decodeEvent(topics.transactionsRaw, value));
  const letter = deadLetterFor({
    topic: topics.transactionsRaw,
    partition: 2,
    offset: 99n,
    key: wire.key,
    value,
    consumer: 'stream-jobs.enricher',
    error,
    source: 'stream-jobs',
    now: new Date('2026-11-25T10:00:00Z'),
  });
  t.is(letter.id, 'dl:transactions.raw:2:99');
  t.is(letter.payload.reason.code, 'unknown_version');
  t.is(letter.payload.original.eventVersion, 7);
  t.deepEqual(Buffer.from(letter.payload.original.valueBase64, 'base64'), Buffer.from(value));
  const again = decodeEvent(topics.deadLetter, encodeEvent(topics.deadLetter, letter));
  t.deepEqual(again, letter);
});

test('deadLetterFor records a processing failure that is not a decode error', (t) => {
  const letter = deadLetterFor({
    topic: topics.transactionsEnriched,
    key: null,
    value: new Uint8Array([1, 2, 3]),
    consumer: 'stream-jobs.rollups',
    error: new Error('mongo down'),
    attempts: 5,
    source: 'stream-jobs',
  });
  t.is(letter.payload.reason.code, 'processing_failed');
  t.is(letter.key, 'unknown');
  t.is(letter.payload.attempts, 5);
  t.notThrows(() => encodeEvent(topics.deadLetter, letter));
});

test('signedAmount is negative for money going out and positive for money coming in', (t) => {
  const event = rawExample();
  t.is(signedAmount(event.payload), -4599n);
  t.is(signedAmount({ ...event.payload, kind: 'refund' }), 4599n);
});

test('every topic has a spec, compacted exactly for the reference topics', (t) => {
  for (const topic of topicNames) {
    t.is(topicSpecs[topic].name, topic);
    t.is(topicSpecs[topic].compacted, topic.startsWith('ref.'));
  }
});

test('eventMessage keys by the user id and sets the routing headers', (t) => {
  const event = rawExample();
  const message = eventMessage(topics.transactionsRaw, event);
  t.is(message.key, 'user_7Hq2');
  t.deepEqual(message.headers, {
    'event-id': event.id,
    'event-type': 'transaction.raw',
    'event-version': '1',
    'content-type': 'application/json',
  });
  t.true(Buffer.isBuffer(message.value));
  t.deepEqual(decodeEvent(topics.transactionsRaw, message.value), event);
});
