/**
 * Identifiers: UUIDv7 (RFC 9562), time-ordered so a primary key doubles as a stable creation-order
 * cursor, and random enough (74 bits) that ids cannot be guessed.
 */
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/** A new UUIDv7; ids made by one process are strictly increasing. */
export function newId(now = Date.now()): string {
  // Within one millisecond a 12-bit counter in rand_a keeps ids made by this process ordered.
  if (now <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
  } else {
    lastMs = now;
    sequence = 0;
  }
  const bytes = randomBytes(16);
  const ms = BigInt(lastMs);
  for (let i = 0; i < 6; i += 1) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The shape of an id in a path or body; anything else is a 404 or a 400 before any query runs. */
export const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
