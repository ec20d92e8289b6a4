/**
 * The dead-letter contract (topic `dead-letter`). A consumer that cannot decode or process a message
 * publishes it here with the reason instead of dropping it, then commits past it. The original value
 * is kept byte for byte (base64), so the message can be replayed after a fix.
 */
import { z } from 'zod';
import { idSchema, isoDateTimeSchema, labelLengthMax, textLengthMax } from './common.js';

/** Largest original value kept, in bytes; larger values are truncated and flagged. */
export const deadLetterValueBytesMax = 1024 * 1024;
/** Most validation issues kept per dead letter. */
export const deadLetterIssuesMax = 50;

/**
 * Why a message was dead-lettered:
 * - `malformed`: not JSON, or not an envelope;
 * - `unknown_type`: an event type this topic does not carry;
 * - `unknown_version`: a version of a known type this consumer does not know;
 * - `invalid_payload`: the envelope or payload failed its schema;
 * - `processing_failed`: decoded fine, but handling failed after every retry.
 */
export const deadLetterReasonCodes = [
  'malformed',
  'unknown_type',
  'unknown_version',
  'invalid_payload',
  'processing_failed',
] as const;
export type DeadLetterReasonCode = (typeof deadLetterReasonCodes)[number];

export const deadLetterIssueSchema = z.object({
  path: z.string().max(labelLengthMax),
  message: z.string().max(textLengthMax),
});

/** dead-letter, type `dead_letter`, version 1. */
export const deadLetterV1Schema = z.object({
  original: z.object({
    topic: z.string().min(1).max(labelLengthMax),
    partition: z.int().min(0).optional(),
    /** Kafka offsets are 64-bit: a decimal string. */
    offset: z
      .string()
      .regex(/^(0|[1-9][0-9]*)$/)
      .optional(),
    key: z.string().max(labelLengthMax).nullable(),
    /** The original value, base64. */
    valueBase64: z.string().max(Math.ceil(deadLetterValueBytesMax / 3) * 4 + 4),
    /** True when the value was longer than deadLetterValueBytesMax and cut. */
    valueTruncated: z.boolean().default(false),
    headers: z.record(z.string().max(labelLengthMax), z.string().max(textLengthMax)).default({}),
    /** The event id, type and version when they could be read. */
    eventId: idSchema.optional(),
    eventType: z.string().max(labelLengthMax).optional(),
    eventVersion: z.int().optional(),
  }),
  reason: z.object({
    code: z.enum(deadLetterReasonCodes),
    message: z.string().min(1).max(textLengthMax),
    issues: z.array(deadLetterIssueSchema).max(deadLetterIssuesMax).default([]),
  }),
  /** The consumer group (or job) that gave up. */
  consumer: z.string().min(1).max(labelLengthMax),
  attempts: z.int().min(1).default(1),
  failedAt: isoDateTimeSchema,
});
export type DeadLetterV1 = z.infer<typeof deadLetterV1Schema>;
