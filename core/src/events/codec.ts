/**
 * encodeEvent / decodeEvent: the only way events go to and come from the log. Both validate against
 * the catalog, so a producer cannot publish what a consumer would reject, and a consumer never acts on
 * an event it does not understand: it gets a typed EventDecodeError whose `reason` goes to the
 * dead-letter topic (see `deadLetterFor`).
 */
import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../errors.js';
import { eventSchemaOf, knownTypes, knownVersions, type TopicEvent } from './catalog.js';
import { fastDecoderOf, fastEncoderOf, notDecoded, notEncoded } from './fast-encode.js';
import {
  deadLetterIssuesMax,
  deadLetterValueBytesMax,
  type DeadLetterReasonCode,
  type DeadLetterV1,
} from './dead-letter.js';
import { idFrom } from './common.js';
import type { topics } from './topics.js';
import { eventHeaders, topicNames, type TopicName } from './topics.js';

/** Largest encoded event, in bytes (below Kafka's default 1 MiB message limit with headers). */
export const eventBytesMax = 900 * 1024;

/** Why an event could not be decoded (or encoded); `reason` is the dead-letter reason code. */
export class EventDecodeError extends ValidationError {
  readonly reason: Exclude<DeadLetterReasonCode, 'processing_failed'>;
  readonly topic: string;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly eventVersion: number | undefined;

  constructor(
    reason: Exclude<DeadLetterReasonCode, 'processing_failed'>,
    topic: string,
    message: string,
    details: {
      fields?: FieldProblem[];
      eventId?: string;
      eventType?: string;
      eventVersion?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { fields: details.fields ?? [], cause: details.cause });
    this.reason = reason;
    this.topic = topic;
    this.eventId = details.eventId;
    this.eventType = details.eventType;
    this.eventVersion = details.eventVersion;
  }

  /** The `reason` object of a dead-letter payload. */
  toDeadLetterReason(): DeadLetterV1['reason'] {
    return {
      code: this.reason,
      message: this.message.slice(0, 2000),
      issues: this.fields.slice(0, deadLetterIssuesMax).map((issue) => ({
        path: issue.path.slice(0, 200),
        message: issue.message.slice(0, 2000),
      })),
    };
  }
}

/** Not UTF-8 JSON, not an object, or no readable type/version. */
export class MalformedEventError extends EventDecodeError {
  constructor(
    topic: string,
    message: string,
    details: ConstructorParameters<typeof EventDecodeError>[3] = {},
  ) {
    super('malformed', topic, message, details);
  }
}

/** A type this topic does not carry. */
export class UnknownEventTypeError extends EventDecodeError {
  constructor(
    topic: string,
    type: string,
    details: ConstructorParameters<typeof EventDecodeError>[3] = {},
  ) {
    super(
      'unknown_type',
      topic,
      `topic ${topic} carries no event type ${JSON.stringify(type)} (known: ${knownTypesText(topic)})`,
      {
        ...details,
        eventType: type,
      },
    );
  }
}

/** A known type in a version this code does not know (typically a newer producer). */
export class UnknownEventVersionError extends EventDecodeError {
  constructor(
    topic: string,
    type: string,
    version: number,
    details: ConstructorParameters<typeof EventDecodeError>[3] = {},
  ) {
    super(
      'unknown_version',
      topic,
      `event type ${type} version ${version} is unknown on ${topic} (known versions: ${knownVersions(topic as TopicName, type).join(', ')})`,
      { ...details, eventType: type, eventVersion: version },
    );
  }
}

/** The envelope or payload does not match its schema. */
export class InvalidEventError extends EventDecodeError {
  constructor(
    topic: string,
    message: string,
    details: ConstructorParameters<typeof EventDecodeError>[3] = {},
  ) {
    super('invalid_payload', topic, message, details);
  }
}

function knownTypesText(topic: string): string {
  return isTopicName(topic) ? knownTypes(topic).join(', ') : 'none: unknown topic';
}

/** True when `name` is one of the catalog's topics. */
export function isTopicName(name: string): name is TopicName {
  return (topicNames as readonly string[]).includes(name);
}

function issuesToFields(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

function summarize(fields: FieldProblem[]): string {
  const first = fields
    .slice(0, 3)
    .map((field) => `${field.path || '(root)'}: ${field.message}`)
    .join('; ');
  return fields.length > 3 ? `${first}; and ${fields.length - 3} more` : first;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The envelope's key must be the payload's user id when the payload names one. */
function checkKeyMatchesUser(
  topic: string,
  event: { key: string; payload: unknown; id: string; type: string; version: number },
): void {
  const payload = event.payload as { userId?: unknown } | null;
  if (
    payload !== null &&
    typeof payload === 'object' &&
    typeof payload.userId === 'string' &&
    payload.userId !== event.key
  ) {
    throw new InvalidEventError(
      topic,
      `event key ${JSON.stringify(event.key)} is not the payload's userId ${JSON.stringify(payload.userId)}`,
      {
        fields: [{ path: 'key', message: 'must equal payload.userId' }],
        eventId: event.id,
        eventType: event.type,
        eventVersion: event.version,
      },
    );
  }
}

function assertTopic(topic: string): asserts topic is TopicName {
  if (!isTopicName(topic)) {
    throw new ValidationError(
      `unknown topic ${JSON.stringify(topic)} (known: ${topicNames.join(', ')})`,
      { field: 'topic' },
    );
  }
}

/**
 * Validate an event for `topic` and serialize it to UTF-8 JSON bytes (amounts as decimal strings).
 * Throws UnknownEventTypeError / UnknownEventVersionError / InvalidEventError, or PayloadTooLarge-style
 * InvalidEventError when it exceeds eventBytesMax.
 */
export function encodeEvent<T extends TopicName>(topic: T, event: TopicEvent<T>): Buffer {
  return checkedBytes(topic, event, JSON.stringify(wireOf(topic, event)));
}

/** The end of an envelope's JSON text whose payload, its last key, was set to null. */
const nullPayloadTail = ',"payload":null}';

/**
 * encodeEvent, also giving the wire form it wrote (`JSON.parse(bytes)` without the parse: amounts
 * as strings, defaults as given) and the payload's JSON text (`JSON.stringify(wire.payload)`). The
 * bytes are built around that text (the envelope's other keys, then the payload, its last key), so
 * a caller that stores the payload apart (the stream jobs' alert records) has it without
 * stringifying it a second time. The wire object is the caller's: nothing else holds it.
 */
export function encodeEventWithWire<T extends TopicName>(
  topic: T,
  event: TopicEvent<T>,
): { bytes: Buffer; wire: Record<string, unknown>; payloadText: string } {
  const wire = wireOf(topic, event) as Record<string, unknown>;
  const payload = wire.payload;
  const payloadText = JSON.stringify(payload);
  // The envelope without its payload (the wire object is this function's until it returns).
  wire.payload = null;
  const head = JSON.stringify(wire);
  wire.payload = payload;
  // Every envelope schema ends with its payload (`envelopeSchema` adds it last).
  if (!head.endsWith(nullPayloadTail))
    throw new Error(`the wire form of a ${topic} event does not end with its payload`);
  const text = `${head.slice(0, head.length - 'null}'.length)}${payloadText}}`;
  return { bytes: checkedBytes(topic, event, text), wire, payloadText };
}

/** The wire form of a valid event for `topic` (what its bytes hold); throws as encodeEvent does. */
function wireOf<T extends TopicName>(topic: T, event: TopicEvent<T>): unknown {
  assertTopic(topic);
  const { type, version } = event as { type: string; version: number };
  const schema = eventSchemaOf(topic, type, version);
  if (schema === undefined) {
    if (knownVersions(topic, type).length === 0)
      throw new UnknownEventTypeError(topic, type, { eventId: event.id });
    throw new UnknownEventVersionError(topic, type, version, { eventId: event.id });
  }
  // The compiled encoder gives zod's result in one walk; whatever it does not decide (every
  // invalid event among others) goes through zod, which also words the errors.
  let data: unknown = fastEncoderOf(schema)?.(event) ?? notEncoded;
  if (data === notEncoded) {
    const result = z.safeEncode(schema, event);
    if (!result.success) {
      const fields = issuesToFields(result.error.issues);
      throw new InvalidEventError(
        topic,
        `cannot encode ${type} v${version}: ${summarize(fields)}`,
        {
          fields,
          eventId: event.id,
          eventType: type,
          eventVersion: version,
        },
      );
    }
    data = result.data;
  }
  checkKeyMatchesUser(topic, event as never);
  return data;
}

/** The UTF-8 bytes of an event's JSON text; throws InvalidEventError above eventBytesMax. */
function checkedBytes(topic: string, event: TopicEvent<TopicName>, text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength > eventBytesMax) {
    const { type, version } = event as { type: string; version: number };
    throw new InvalidEventError(
      topic,
      `encoded ${type} is ${bytes.byteLength} bytes, above eventBytesMax ${eventBytesMax}`,
      {
        fields: [{ path: 'payload', message: 'too large' }],
        eventId: event.id,
        eventType: type,
        eventVersion: version,
      },
    );
  }
  return bytes;
}

/**
 * Parse and validate bytes read from `topic`. Returns the typed event (bigint amounts). Throws
 * MalformedEventError, UnknownEventTypeError, UnknownEventVersionError or InvalidEventError, all
 * EventDecodeError with a `reason` for the dead-letter topic.
 */
export function decodeEvent<T extends TopicName>(
  topic: T,
  bytes: Uint8Array | string,
): TopicEvent<T> {
  assertTopic(topic);
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > eventBytesMax)
    throw new MalformedEventError(
      topic,
      `message is ${size} bytes, above eventBytesMax ${eventBytesMax}`,
    );
  let text: string;
  try {
    text = typeof bytes === 'string' ? bytes : decoder.decode(bytes);
  } catch (error) {
    throw new MalformedEventError(topic, 'message is not valid UTF-8', { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MalformedEventError(topic, `message is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MalformedEventError(topic, 'message is not a JSON object');
  }
  const head = raw as { id?: unknown; type?: unknown; version?: unknown };
  const eventId = typeof head.id === 'string' ? head.id : undefined;
  if (
    typeof head.type !== 'string' ||
    typeof head.version !== 'number' ||
    !Number.isInteger(head.version)
  ) {
    throw new MalformedEventError(
      topic,
      'message is not an event envelope: needs a string "type" and an integer "version"',
      {
        ...(eventId === undefined ? {} : { eventId }),
      },
    );
  }
  const { type, version } = head as { type: string; version: number };
  const schema = eventSchemaOf(topic, type, version);
  if (schema === undefined) {
    const details = eventId === undefined ? {} : { eventId };
    if (knownVersions(topic, type).length === 0)
      throw new UnknownEventTypeError(topic, type, details);
    throw new UnknownEventVersionError(topic, type, version, details);
  }
  // The compiled decoder gives zod's result in one walk; whatever it does not decide (every
  // invalid event among others) goes through zod, which also words the errors.
  let data: unknown = fastDecoderOf(schema)?.(raw) ?? notDecoded;
  if (data === notDecoded) {
    const result = z.safeDecode(schema, raw as never);
    if (!result.success) {
      const fields = issuesToFields(result.error.issues);
      throw new InvalidEventError(topic, `invalid ${type} v${version}: ${summarize(fields)}`, {
        fields,
        eventType: type,
        eventVersion: version,
        ...(eventId === undefined ? {} : { eventId }),
      });
    }
    data = result.data;
  }
  const event = data as TopicEvent<T>;
  checkKeyMatchesUser(topic, event as never);
  return event;
}

/** What a consumer knows about a message it gives up on. */
export interface DeadLetterInput {
  topic: string;
  partition?: number;
  offset?: bigint | string;
  key: string | null;
  value: Uint8Array;
  headers?: Record<string, string>;
  /** The consumer group or job name. */
  consumer: string;
  /** An EventDecodeError, or any error thrown while processing. */
  error: unknown;
  attempts?: number;
  /** This service's name, for the envelope's `source`. */
  source: string;
  now?: Date;
}

/**
 * Build the dead-letter event for a message a consumer gives up on. Its id is derived from the
 * original position (topic, partition, offset) when known, so dead-lettering the same message twice
 * yields the same id.
 */
export function deadLetterFor(input: DeadLetterInput): TopicEvent<typeof topics.deadLetter> {
  const now = (input.now ?? new Date()).toISOString();
  const truncated = input.value.byteLength > deadLetterValueBytesMax;
  const value = truncated ? input.value.subarray(0, deadLetterValueBytesMax) : input.value;
  const reason: DeadLetterV1['reason'] =
    input.error instanceof EventDecodeError
      ? input.error.toDeadLetterReason()
      : {
          code: 'processing_failed',
          message:
            (input.error instanceof Error ? input.error.message : String(input.error)).slice(
              0,
              2000,
            ) || 'unknown error',
          issues: [],
        };
  const decodeError = input.error instanceof EventDecodeError ? input.error : undefined;
  const offset = input.offset === undefined ? undefined : input.offset.toString();
  const position =
    input.partition !== undefined && offset !== undefined
      ? `${input.topic}:${input.partition}:${offset}`
      : `${input.topic}:${now}:${Math.random().toString(36).slice(2, 10)}`;
  const key =
    input.key !== null &&
    /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/.test(input.key) &&
    input.key.length <= 128
      ? input.key
      : 'unknown';
  return {
    id: idFrom(`dl:${position}`),
    type: 'dead_letter',
    version: 1,
    key,
    occurredAt: now,
    producedAt: now,
    source: input.source,
    payload: {
      original: {
        topic: input.topic,
        ...(input.partition === undefined ? {} : { partition: input.partition }),
        ...(offset === undefined ? {} : { offset }),
        key: input.key === null ? null : input.key.slice(0, 200),
        valueBase64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString(
          'base64',
        ),
        valueTruncated: truncated,
        headers: input.headers ?? {},
        ...(decodeError?.eventId === undefined ? {} : { eventId: decodeError.eventId }),
        ...(decodeError?.eventType === undefined ? {} : { eventType: decodeError.eventType }),
        ...(decodeError?.eventVersion === undefined
          ? {}
          : { eventVersion: decodeError.eventVersion }),
      },
      reason,
      consumer: input.consumer,
      attempts: input.attempts ?? 1,
      failedAt: now,
    },
  };
}

/** A message ready for the event-log port: key, validated value, and the routing headers. */
export interface EventMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Encode `event` as a message for `topic` (`eventLog.send(topic, [eventMessage(topic, event)])`):
 * the key is the envelope key (the user id), headers carry id, type and version.
 */
export function eventMessage<T extends TopicName>(topic: T, event: TopicEvent<T>): EventMessage {
  const value = encodeEvent(topic, event);
  return {
    key: event.key,
    value,
    headers: {
      [eventHeaders.id]: event.id,
      [eventHeaders.type]: event.type,
      [eventHeaders.version]: String(event.version),
      [eventHeaders.contentType]: 'application/json',
    },
  };
}
