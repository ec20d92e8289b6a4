/** What every screen shares: the user, their wallets, the live tick, notifications. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Money } from './format.js';
import type { CategoryTree } from './categories.js';

export interface Me {
  id: string;
  email: string;
  displayName: string;
  homeCurrency: string;
  timeZone: string;
}

export interface Wallet {
  id: string;
  ownerId: string;
  name: string;
  type: string;
  currency: string;
  balance: string;
  overdraftLimit: string;
  role: 'owner' | 'editor' | 'viewer';
  archived: boolean;
}

export interface Transaction {
  id: string;
  walletId: string;
  kind: string;
  flow: string;
  status: string;
  occurredAt: string;
  localDate: string;
  amount: Money;
  homeAmount: Money;
  category: string;
  subcategory: string | null;
  merchant: string;
  description: string;
  note: string | null;
  tags: string[];
}

export interface Alert {
  seq: number;
  alertId: string;
  rule: string;
  severity: string;
  message: string;
  firedAt: string;
  read: boolean;
  subject?: { kind: string; id: string; name?: string };
  threshold?: { kind: string; percent?: number };
  amounts?: { observed?: Money; limit?: Money };
}

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'unavailable';

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'alert' | 'error';
}

export interface AppState {
  me: Me;
  locale: string | undefined;
  wallets: Wallet[];
  reloadWallets(): Promise<void>;
  /** Grows whenever the data may have changed (a write here, a live event): screens refetch. */
  tick: number;
  bump(): void;
  notify(text: string, kind?: Notice['kind']): void;
  openQuickAdd(): void;
  /** analytics-api's category tree (GET /v1/categories). */
  categories: CategoryTree;
  /** Reads the tree again (after a custom category changed), so every select offers it at once. */
  reloadCategories(): Promise<void>;
  /** Which optional API routes the servers offer (read from their OpenAPI documents). */
  features: { tags: boolean; transactionStream: boolean };
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside the signed-in app');
  return state;
}
