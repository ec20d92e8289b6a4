/**
 * The analytics read model's document for one `transaction.enriched` v1 event (core's schema, the
 * stable contract with stream-jobs): the category path split into top level and subcategory (leaf
 * id), the cleaned merchant and its key, the flow from the kind and the transfer flag, the version for
 * last-wins.
 */
import { transactionKindDirection, type EnrichedTransactionV1 } from '@spendstream/core/events';
import type { Flow, TransactionDoc } from '../../query/analytics-store.js';

/** A document with the version that orders its updates (a higher one replaces a lower one). */
export interface VersionedDoc {
  doc: TransactionDoc;
  version: number;
}

/**
 * Revisions that fit in one source version: stream-jobs numbers a document version
 * `rawVersion * revisionSlots + categoryRevision + annotationRevision` (docs/stream-jobs.md).
 */
export const revisionSlots = 1_048_576;

/**
 * The version that orders the enriched events of one transaction. The payload's `version` is the
 * source's (it does not move when the user recategorizes or annotates), so the document version
 * stream-jobs puts in the event id (`<transactionId>:v<version>`, docs/stream-jobs.md) is used when
 * it is there and agrees with the payload; otherwise the source version alone
 * (`version * revisionSlots`), so a later recategorization of it still orders after it.
 */
export function orderVersionOf(eventId: string | undefined, payloadVersion: number): number {
  const match = eventId === undefined ? null : /:v([0-9]{1,16})$/.exec(eventId);
  const fromId = match ? Number(match[1]) : NaN;
  if (Number.isSafeInteger(fromId) && Math.floor(fromId / revisionSlots) === payloadVersion)
    return fromId;
  return payloadVersion * revisionSlots;
}

/** The flow of a transaction: transfers between the user's own wallets are neither spend nor income. */
export function flowOf(event: Pick<EnrichedTransactionV1, 'kind' | 'transfer'>): Flow {
  if (event.transfer?.internal) return 'neutral';
  return transactionKindDirection[event.kind] === 'out' ? 'spend' : 'income';
}

/** The document of an enriched event; `eventId` (the envelope's id) refines the version. */
export function docFromEnriched(event: EnrichedTransactionV1, eventId?: string): VersionedDoc {
  const path = event.category.path;
  const top = path[0] ?? event.category.id;
  const leaf = path.length > 1 ? path[path.length - 1] : undefined;
  return {
    version: orderVersionOf(eventId, event.version),
    doc: {
      id: event.transactionId,
      userId: event.userId,
      walletId: event.walletId,
      kind: event.kind,
      flow: flowOf(event),
      status: event.status,
      occurredAt: new Date(event.occurredAt).toISOString(),
      localDate: event.localDate,
      timeZone: event.timeZone,
      amountMinor: event.amount.amount,
      currency: event.amount.currency,
      homeAmountMinor: event.homeAmount.amount,
      homeCurrency: event.homeAmount.currency,
      category: top,
      subcategory: leaf ?? null,
      merchant: event.merchantClean ?? event.merchant ?? null,
      merchantKey: event.merchantKey ?? null,
      description: event.description ?? '',
      note: event.note ?? null,
      tags: [...new Set(event.tags)],
    },
  };
}
