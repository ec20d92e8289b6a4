/**
 * The reference state the jobs keep per user, materialized from the compacted topics into the
 * documents store (so every worker, and a restarted one, sees it): settings, budgets, category
 * rules and custom categories, wallets; and from corrections: per-transaction overrides and
 * per-merchant corrections.
 */
import {
  budgetsSnapshotV1Schema,
  categoryRulesSnapshotV1Schema,
  userSettingsV1Schema,
  walletsSnapshotV1Schema,
  type BudgetsSnapshotV1,
  type CategoryRulesSnapshotV1,
  type UserSettingsV1,
  type WalletsSnapshotV1,
} from '@spendstream/core/events/reference';
import type { Category } from '../categorize/categories.js';
import type { DocumentStore } from '../documents/store.js';
import type { UserContext } from '../enrich/enrich.js';

export const stateKinds = {
  settings: 'settings',
  budgets: 'budgets',
  rules: 'rules',
  wallets: 'wallets',
  override: 'override',
  merchantCorrection: 'merchant-correction',
} as const;

/** A per-transaction recategorization: the category and how many were accepted so far. */
export interface OverrideValue {
  category: string;
  revision: number;
}

/** Orders snapshots by revision as strings. */
export function revisionOrder(revision: number): string {
  return revision.toString().padStart(12, '0');
}

export interface UserState {
  settings: UserSettingsV1 | undefined;
  budgets: BudgetsSnapshotV1 | undefined;
  rules: CategoryRulesSnapshotV1 | undefined;
  wallets: WalletsSnapshotV1 | undefined;
  merchantCorrections: Map<string, string>;
}

/** Reads one user's reference state; stored payloads are in wire form and decoded here. */
export async function loadUserState(store: DocumentStore, userId: string): Promise<UserState> {
  const [settings, budgets, rules, wallets, corrections] = await Promise.all([
    store.getState(stateKinds.settings, userId),
    store.getState(stateKinds.budgets, userId),
    store.getState(stateKinds.rules, userId),
    store.getState(stateKinds.wallets, userId),
    store.listStates(stateKinds.merchantCorrection, userId),
  ]);
  return {
    settings: settings ? userSettingsV1Schema.parse(settings.value) : undefined,
    budgets: budgets ? budgetsSnapshotV1Schema.parse(budgets.value) : undefined,
    rules: rules ? categoryRulesSnapshotV1Schema.parse(rules.value) : undefined,
    wallets: wallets ? walletsSnapshotV1Schema.parse(wallets.value) : undefined,
    merchantCorrections: new Map(
      corrections.map((entry) => [
        entry.key.slice(userId.length + 1),
        (entry.value as { category: string }).category,
      ]),
    ),
  };
}

/** The enrichment context of one transaction of this user. */
export function userContextOf(state: UserState, override: OverrideValue | undefined): UserContext {
  const custom = new Map<string, Category>(
    (state.rules?.categories ?? []).map((c) => [
      c.id,
      { id: c.id, name: c.name, parentId: c.parentId },
    ]),
  );
  return {
    settings: state.settings,
    budgets: state.budgets?.budgets ?? [],
    categorization: {
      transactionOverride: override?.category,
      rules: state.rules?.rules ?? [],
      merchantCorrections: state.merchantCorrections,
      customCategories: custom,
    },
    categoryRevision: override?.revision ?? 0,
  };
}
