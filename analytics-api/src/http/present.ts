/** Presenters: bigint amounts leave as the core wire form `{ amount: "1234", currency }`. */
import type { TransactionDoc } from '../query/analytics-store.js';

export interface MoneyJson {
  amount: string;
  currency: string;
}

export function moneyJson(amountMinor: bigint, currency: string): MoneyJson {
  return { amount: amountMinor.toString(), currency };
}

/** One transaction document as the API shows it. */
export function presentTransaction(doc: TransactionDoc) {
  return {
    id: doc.id,
    walletId: doc.walletId,
    kind: doc.kind,
    flow: doc.flow,
    status: doc.status,
    occurredAt: doc.occurredAt,
    localDate: doc.localDate,
    amount: moneyJson(doc.amountMinor, doc.currency),
    homeAmount: moneyJson(doc.homeAmountMinor, doc.homeCurrency),
    category: doc.category,
    subcategory: doc.subcategory,
    merchant: doc.merchant,
    merchantKey: doc.merchantKey,
    description: doc.description,
    note: doc.note,
    tags: doc.tags,
  };
}
