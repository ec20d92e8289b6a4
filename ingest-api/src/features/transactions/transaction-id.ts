/**
 * The transaction id is derived from (source, externalId) alone, so it is stable: a retried, duplicated,
 * corrected or reversed delivery of the same bank transaction always carries the same id, even if the
 * dedupe store were lost, and the generator can predict the ids ingest-api will assign.
 */
import { hash } from 'node:crypto';

/** `tx_` + 32 hex characters of SHA-256 over the source and the external id. */
export function transactionIdFor(source: string, externalId: string): string {
  // One-shot hash: the same digest as createHash().update()..., without a Hash object per call.
  return `tx_${hash('sha256', `${source}\u0000${externalId}`, 'hex').slice(0, 32)}`;
}
