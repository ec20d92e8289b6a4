/**
 * `transaction.enriched` v1 payloads for contract documents (the reverse of the projector's
 * mapping), so the projector can be fed the same data set the contract suite checks.
 */
import { DateTime } from 'luxon';
import type { EnrichedTransactionV1 } from '@spendstream/core/events';
import type { TransactionDoc } from '../../src/query/analytics-store.js';

export function enrichedOf(doc: TransactionDoc, version: number): EnrichedTransactionV1 {
  const leaf = doc.subcategory ?? undefined;
  const local = DateTime.fromISO(doc.occurredAt).setZone(doc.timeZone);
  return {
    transactionId: doc.id,
    source: 'test-bank',
    externalId: doc.id,
    userId: doc.userId,
    walletId: doc.walletId,
    kind: doc.kind,
    amount: { amount: doc.amountMinor, currency: doc.currency as 'EUR' },
    occurredAt: doc.occurredAt,
    ...(doc.merchant
      ? {
          merchant: doc.merchant.toUpperCase(),
          merchantClean: doc.merchant,
          merchantKey: doc.merchant.toLowerCase(),
        }
      : {}),
    description: doc.description,
    category: {
      id: leaf ?? doc.category,
      name: leaf ?? doc.category,
      path: leaf ? [doc.category, leaf] : [doc.category],
      source: 'rule',
    },
    tags: doc.tags,
    ...(doc.note === null ? {} : { note: doc.note }),
    metadata: {},
    ...(doc.flow === 'neutral'
      ? { transfer: { transferId: `trf_${doc.id}`, internal: true } }
      : {}),
    version,
    status: doc.status as 'booked' | 'reversed',
    homeAmount: { amount: doc.homeAmountMinor, currency: doc.homeCurrency as 'EUR' },
    conversion: { rate: '1', rateDate: doc.localDate, rounding: 'half-even', provider: 'identity' },
    timeZone: doc.timeZone,
    localDate: doc.localDate,
    localWeek: local.toFormat("kkkk-'W'WW"),
    localMonth: local.toFormat('yyyy-MM'),
  };
}
