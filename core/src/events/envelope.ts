/**
 * The envelope every event travels in. The envelope is the same for every topic; the payload schema
 * is chosen by (type, version). Event ids are stable: a producer derives the id from what the event is
 * about (for example the transaction id and its version), so a retried publish carries the same id
 * and consumers deduplicate on it.
 */
import { z } from 'zod';
import { idSchema, isoDateTimeSchema, labelLengthMax } from './common.js';

/** Event type names: lower-case words separated by `.` or `_` (`transaction.raw`, `wallet.balance_changed`). */
export const eventTypeSchema = z
  .string()
  .min(1)
  .max(labelLengthMax)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/);

/** Highest schema version number we accept anywhere (a sanity bound, not a plan). */
export const eventVersionMax = 1000;

/** The envelope fields, without the payload. */
export const envelopeBaseSchema = z.object({
  /** Stable event id, unique per event; a re-publish of the same fact carries the same id. */
  id: idSchema,
  /** What happened, e.g. `transaction.raw`. */
  type: eventTypeSchema,
  /** Version of the payload schema for this type, starting at 1. */
  version: z.int().min(1).max(eventVersionMax),
  /** The message key: the user id the event belongs to. */
  key: idSchema,
  /** When the fact happened in the world (event time). */
  occurredAt: isoDateTimeSchema,
  /** When this event was produced. */
  producedAt: isoDateTimeSchema,
  /** Which service (and instance) produced it, e.g. `ingest-api`. */
  source: z.string().min(1).max(labelLengthMax),
  /** The event this one was caused by (for tracing a transaction through the pipeline). */
  causationId: idSchema.optional(),
  /** A request or batch id shared by every event of one operation. */
  correlationId: z.string().min(1).max(labelLengthMax).optional(),
});

export type EnvelopeBase = z.infer<typeof envelopeBaseSchema>;

/** The envelope schema of one (type, version) with its payload schema. */
export function envelopeSchema<const T extends string, const V extends number, P extends z.ZodType>(
  type: T,
  version: V,
  payload: P,
) {
  return envelopeBaseSchema.extend({
    type: z.literal(type),
    version: z.literal(version),
    payload,
  });
}

/** Any envelope: what a consumer sees before it knows the type. */
export const anyEnvelopeSchema = envelopeBaseSchema.extend({ payload: z.unknown() });
