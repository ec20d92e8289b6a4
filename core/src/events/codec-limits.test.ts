import test from 'ava';
import {
  decodeEvent,
  encodeEvent,
  encodeEventWithWire,
  eventBytesMax,
  exampleEvents,
  InvalidEventError,
  MalformedEventError,
  topics,
  type TopicEvent,
} from '../events.js';
import { textLengthMax } from './common.js';

type DeadLetter = TopicEvent<typeof topics.deadLetter>;

/**
 * A valid dead letter whose encoded bytes are exactly `size` (its original message's headers are
 * the one field without a count bound; ASCII values, one byte a character).
 */
function letterOfSize(size: number): DeadLetter {
  const letter = structuredClone(exampleEvents[topics.deadLetter][0]);
  const headers = letter.payload.original.headers;
  const encodedSize = () => encodeEvent(topics.deadLetter, letter).byteLength;
  const nameOf = (index: number) => `x-pad-${String(index).padStart(5, '0')}`;
  // Full headers first (each adds the same number of bytes), then a few more until one short
  // value makes up the rest.
  const before = encodedSize();
  headers[nameOf(0)] = 'a'.repeat(textLengthMax);
  const perHeader = encodedSize() - before;
  const full = Math.max(0, Math.floor((size - before) / perHeader) - 1);
  if (full === 0) delete headers[nameOf(0)];
  for (let index = 1; index < full; index++) headers[nameOf(index)] = 'a'.repeat(textLengthMax);
  for (let index = full; ; index++) {
    headers[nameOf(index)] = '';
    const missing = size - encodedSize();
    if (missing < 0) throw new Error(`cannot build a letter of ${size} bytes`);
    if (missing <= textLengthMax) {
      headers[nameOf(index)] = 'a'.repeat(missing);
      break;
    }
    headers[nameOf(index)] = 'a'.repeat(textLengthMax);
  }
  return letter;
}

test('an event of exactly eventBytesMax bytes encodes, both ways, and decodes back', (t) => {
  const letter = letterOfSize(eventBytesMax);
  const bytes = encodeEvent(topics.deadLetter, letter);
  t.is(bytes.byteLength, eventBytesMax);
  const withWire = encodeEventWithWire(topics.deadLetter, letter);
  t.deepEqual(withWire.bytes, bytes);
  t.is(withWire.payloadText, JSON.stringify(withWire.wire.payload));
  t.deepEqual(decodeEvent(topics.deadLetter, bytes), letter);
  t.deepEqual(decodeEvent(topics.deadLetter, bytes.toString('utf8')), letter);
});

test('an event one byte above eventBytesMax is refused by both encoders as too large', (t) => {
  const letter = letterOfSize(eventBytesMax + 1);
  for (const encode of [
    () => encodeEvent(topics.deadLetter, letter),
    () => encodeEventWithWire(topics.deadLetter, letter),
  ]) {
    const error = t.throws(encode, { instanceOf: InvalidEventError });
    t.is(error.reason, 'invalid_payload');
    t.is(error.topic, topics.deadLetter);
    t.is(error.eventId, letter.id);
    t.is(error.eventType, 'dead_letter');
    t.is(error.eventVersion, 1);
    t.deepEqual(error.fields, [{ path: 'payload', message: 'too large' }]);
    t.regex(error.message, new RegExp(`is ${eventBytesMax + 1} bytes, above eventBytesMax`));
  }
});

test('decode refuses a message above eventBytesMax as malformed, counting UTF-8 bytes', (t) => {
  const bytes = encodeEvent(topics.deadLetter, letterOfSize(eventBytesMax + 1 - 2));
  // Two more bytes of valid JSON whitespace: the message would parse, its size alone refuses it.
  const tooLarge = Buffer.concat([bytes, Buffer.from('\n\n')]);
  t.is(tooLarge.byteLength, eventBytesMax + 1);
  for (const message of [tooLarge, tooLarge.toString('utf8')]) {
    const error = t.throws(() => decodeEvent(topics.deadLetter, message), {
      instanceOf: MalformedEventError,
    });
    t.is(error.reason, 'malformed');
    t.regex(error.message, new RegExp(`is ${eventBytesMax + 1} bytes, above eventBytesMax`));
  }
  // Fewer characters than the limit, more bytes: two bytes a character in UTF-8.
  const wide = 'é'.repeat(eventBytesMax / 2 + 1);
  t.true(wide.length < eventBytesMax);
  const error = t.throws(() => decodeEvent(topics.deadLetter, wide), {
    instanceOf: MalformedEventError,
  });
  t.regex(error.message, new RegExp(`is ${eventBytesMax + 2} bytes, above eventBytesMax`));
});
