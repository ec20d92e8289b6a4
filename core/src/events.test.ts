import test from 'ava';
import { ValidationError } from './errors.js';
import {
  alertIdentity,
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

// Tests edit the wire JSON freely (that is the point: producers in other languages can send anything).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Wire = Record<string, any>;

function decodesWith<T extends TopicName>(topic: T, change: (wire: Wire) => void) {
  const wire = JSON.parse(
    text(encodeEvent(topic, structuredClone(exampleEvents[topic][0]) as never)),
  );
  change(wire);
  return () => decodeEvent(topic, bytesOf(wire));
}

test('field bounds and shapes are enforced on the wire', (t) => {
  const invalid: [string, () => unknown][] = [
    [
      'unknown time zone',
      decodesWith(topics.refUserSettings, (w) => (w.payload.timeZone = 'Mars/Olympus')),
    ],
    [
      'budget month start day 29',
      decodesWith(topics.refBudgets, (w) => (w.payload.budgets[0].period.startDay = 29)),
    ],
    [
      'too many budgets',
      decodesWith(
        topics.refBudgets,
        (w) => (w.payload.budgets = Array(201).fill(w.payload.budgets[0])),
      ),
    ],
    [
      'metadata key with a dot',
      decodesWith(topics.transactionsRaw, (w) => (w.payload.metadata = { 'a.b': 1 })),
    ],
    [
      'metadata over 32 entries',
      decodesWith(
        topics.transactionsRaw,
        (w) =>
          (w.payload.metadata = Object.fromEntries(
            Array.from({ length: 33 }, (_v, i) => [`k${i}`, i]),
          )),
      ),
    ],
    ['tag with a dot', decodesWith(topics.transactionsRaw, (w) => (w.payload.tags = ['a.b']))],
    [
      '21 tags',
      decodesWith(
        topics.transactionsRaw,
        (w) => (w.payload.tags = Array.from({ length: 21 }, (_v, i) => `t${i}`)),
      ),
    ],
    ['id with a slash', decodesWith(topics.transactionsRaw, (w) => (w.payload.walletId = 'wal/1'))],
    [
      'id starting with $',
      decodesWith(topics.transactionsRaw, (w) => (w.payload.walletId = '$where')),
    ],
    [
      'category with a dot',
      decodesWith(topics.transactionsEnriched, (w) => (w.payload.category.id = 'food.groceries')),
    ],
    [
      'date-time without offset',
      decodesWith(topics.alerts, (w) => (w.payload.firedAt = '2026-11-24T18:32:10')),
    ],
    [
      'rate with exponent',
      decodesWith(topics.transactionsEnriched, (w) => (w.payload.conversion.rate = '1e2')),
    ],
    [
      'unknown rounding mode',
      decodesWith(topics.transactionsEnriched, (w) => (w.payload.conversion.rounding = 'down')),
    ],
    [
      'rule without a condition',
      decodesWith(topics.refCategoryRules, (w) => (w.payload.rules[0].match = {})),
    ],
    ['version 0', decodesWith(topics.transactionsRaw, (w) => (w.payload.version = 0))],
    ['status pending', decodesWith(topics.transactionsRaw, (w) => (w.payload.status = 'pending'))],
    [
      'wallet event for another user than the key',
      decodesWith(topics.walletEvents, (w) => (w.payload.userId = 'user_other')),
    ],
  ];
  for (const [name, decode] of invalid) t.throws(decode, { instanceOf: InvalidEventError }, name);
  // Optional fields with defaults may be left out by producers in other languages.
  const lean = decodesWith(topics.transactionsRaw, (w) => {
    delete w.payload.tags;
    delete w.payload.metadata;
  })() as TopicEvent<'transactions.raw'>;
  t.deepEqual(lean.payload.tags, []);
  t.deepEqual(lean.payload.metadata, {});
});

test('alertIdentity is the same for the same (rule, subject, period, threshold) and differs otherwise', (t) => {
  const alert = exampleEvents[topics.alerts][0].payload;
  t.is(alertIdentity(alert), alertIdentity(structuredClone(alert)));
  t.not(
    alertIdentity(alert),
    alertIdentity({ ...alert, threshold: { kind: 'percent', percent: 100 } }),
  );
  t.not(
    alertIdentity(alert),
    alertIdentity({ ...alert, period: { ...alert.period, start: '2026-12-01' } }),
  );
});

test('transaction.annotated needs tags or a note, and a null note clears it', (t) => {
  const annotated = structuredClone(
    exampleEvents[topics.transactionsCorrections].find((e) => e.type === 'transaction.annotated'),
  );
  if (annotated === undefined) return t.fail('no transaction.annotated example');
  const cleared = { ...annotated, payload: { ...annotated.payload, tags: [], note: null } };
  const decoded = decodeEvent(
    topics.transactionsCorrections,
    encodeEvent(topics.transactionsCorrections, cleared),
  );
  t.deepEqual(decoded.payload, cleared.payload);
  const { tags: _tags, note: _note, ...neither } = annotated.payload as Record<string, unknown>;
  const empty = { ...annotated, payload: neither } as unknown as typeof annotated;
  t.throws(() => encodeEvent(topics.transactionsCorrections, empty), {
    instanceOf: InvalidEventError,
  });
});
