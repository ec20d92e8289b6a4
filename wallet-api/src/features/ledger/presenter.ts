/** How a movement looks over HTTP: amounts as strings of minor units, times as ISO 8601. */
import type { Movement } from './store.js';

export interface MovementView {
  id: string;
  kind: Movement['kind'];
  walletId: string;
  amount: string;
  currency: string;
  counterWalletId: string | null;
  counterAmount: string | null;
  counterCurrency: string | null;
  rate: string | null;
  rounding: string | null;
  category: string | null;
  merchant: string | null;
  note: string | null;
  tags: string[];
  occurredAt: string;
  reversesId: string | null;
  createdBy: string;
  createdAt: string;
}

export function presentMovement(m: Movement): MovementView {
  return {
    id: m.id,
    kind: m.kind,
    walletId: m.walletId,
    amount: m.amount.toString(),
    currency: m.currency,
    counterWalletId: m.counterWalletId,
    counterAmount: m.counterAmount === null ? null : m.counterAmount.toString(),
    counterCurrency: m.counterCurrency,
    rate: m.rate,
    rounding: m.rounding,
    category: m.category,
    merchant: m.merchant,
    note: m.note,
    tags: m.tags,
    occurredAt: m.occurredAt,
    reversesId: m.reversesId,
    createdBy: m.userId,
    createdAt: new Date(m.createdAt).toISOString(),
  };
}
