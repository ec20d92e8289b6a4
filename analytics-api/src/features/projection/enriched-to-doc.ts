/**
 * The analytics read model's document for one `transaction.enriched` v1 event (core's schema, the
 * stable contract with stream-jobs): the category path split into top level and subcategory, the
 * cleaned merchant, the flow from the kind and the transfer flag, the version for last-wins.
 */
import { transactionKindDirection, type EnrichedTransactionV1 } from '@spendstream/core/events';
import type { Flow, TransactionDoc } from '../../query/analytics-store.js';

/** A document with the version that orders its updates (a higher one replaces a lower one). */
export interface VersionedDoc {
  doc: TransactionDoc;
  version: number;
}

/** The flow of a transaction: transfers between the user's own wallets are neither spend nor income. */
export function flowOf(event: Pick<EnrichedTransactionV1, 'kind' | 'transfer'>): Flow {
  if (event.transfer?.internal) return 'neutral';
  return transactionKindDirection[event.kind] === 'out' ? 'spend' : 'income';
}

export function docFromEnriched(event: EnrichedTransactionV1): VersionedDoc {
  const path = event.category.path;
  const top = path[0] ?? event.category.id;
  const leaf = path.length > 1 ? path[path.length - 1] : undefined;
  return {
    version: event.version,
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
      subcategory: leaf === undefined ? null : `${top}.${leaf}`,
      merchant: event.merchantClean ?? event.merchant ?? null,
      description: event.description ?? '',
      note: event.note ?? null,
      tags: [...new Set(event.tags)],
    },
  };
}
