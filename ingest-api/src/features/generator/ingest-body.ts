/** Generated deliveries as ingest-api request bodies (the CLI's HTTP mode and the benchmark use this). */
import type { RawTransactionV1 } from '@spendstream/core/events';
import { formatMoney } from '@spendstream/core/money';

/** The JSON body ingest-api takes for a generated delivery, with wallet ids mapped to real ones. */
export function toIngestBody(event: RawTransactionV1, walletIds: Map<string, string> = new Map()) {
  return {
    externalId: event.externalId,
    walletId: walletIds.get(event.walletId) ?? event.walletId,
    kind: event.kind,
    amount: formatMoney(event.amount),
    currency: event.amount.currency,
    occurredAt: event.occurredAt,
    ...(event.merchant ? { merchant: event.merchant } : {}),
    ...(event.description ? { description: event.description } : {}),
    ...(event.mcc ? { mcc: event.mcc } : {}),
    ...(event.bankCategory ? { bankCategory: event.bankCategory } : {}),
    ...(event.tags.length > 0 ? { tags: event.tags } : {}),
    ...(Object.keys(event.metadata).length > 0 ? { metadata: event.metadata } : {}),
    ...(event.status === 'reversed' ? { status: 'reversed' as const } : {}),
  };
}
