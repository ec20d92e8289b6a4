/**
 * `transaction.enriched` v1 payloads for contract documents (the reverse of the projector's
 * mapping), so the projector can be fed the same data set the contract suite checks.
 */
import { DateTime } from 'luxon';
import type { EnrichedTransactionV1 } from '@spendstream/core/events';
import type { TransactionDoc } from '../../src/query/analytics-store.js';
import type { VersionedDoc } from '../../src/features/projection/enriched-to-doc.js';
import { seededRandom } from '@spendstream/core/testing/random';

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
        }
      : {}),
    ...(doc.merchantKey === null ? {} : { merchantKey: doc.merchantKey }),
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

/** Versions 1..3 of each document's history: only the last equals the final document. */
export function noisyHistory(docs: TransactionDoc[]): VersionedDoc[] {
  const random = seededRandom(99);
  const deliveries: VersionedDoc[] = [];
  for (const doc of docs) {
    const stale: TransactionDoc = {
      ...doc,
      amountMinor: doc.amountMinor + 1234n,
      homeAmountMinor: doc.homeAmountMinor + 1234n,
      category: 'shopping',
      subcategory: null,
      // An earlier version on another local day: the projector must take it out of that day.
      localDate: doc.localDate === '2025-01-01' ? '2025-01-02' : '2025-01-01',
      status: 'booked',
    };
    const finalVersion = 3;
    deliveries.push({ doc: stale, version: 1 });
    deliveries.push({ doc, version: finalVersion });
    if (random() < 0.3) deliveries.push({ doc, version: finalVersion }); // duplicate
    if (random() < 0.3) deliveries.push({ doc: stale, version: 2 }); // stale after newer
  }
  // Shuffle within bounds: later versions may come before earlier ones.
  for (let index = deliveries.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [deliveries[index], deliveries[other]] = [deliveries[other]!, deliveries[index]!];
  }
  return deliveries;
}
