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
import { DateTime } from 'luxon';
import type { TransactionAnnotatedV1 } from '@spendstream/core/events/transactions';
import type { Category } from '../categorize/categories.js';
import type { DocumentStore, StateEntry } from '../documents/store.js';
import type { UserContext } from '../enrich/enrich.js';

export const stateKinds = {
  settings: 'settings',
  budgets: 'budgets',
  rules: 'rules',
  wallets: 'wallets',
  override: 'override',
  merchantCorrection: 'merchant-correction',
  annotation: 'annotation',
} as const;

/** A per-transaction recategorization: the category and how many were accepted so far. */
export interface OverrideValue {
  category: string;
  revision: number;
}

/** One field the user set on a transaction, with the order of the annotation that set it. */
export interface AnnotatedField<T> {
  value: T;
  /** `annotatedAt|correctionId`: a field is replaced only by a greater order. */
  order: string;
}

/**
 * A per-transaction annotation (tags and note set by the user). Each field keeps the newest value
 * given for it, by its own order, so annotations that set different fields in any arrival order
 * add up to the same state; `revision` counts the accepted changes (it raises the version).
 */
export interface AnnotationValue {
  tags?: AnnotatedField<string[]> | undefined;
  /** `null`: the user cleared the note (the source's note is hidden too). */
  note?: AnnotatedField<string | null> | undefined;
  revision: number;
}

/**
 * Folds one `transaction.annotated` into the stored annotation. Returns the new value, or
 * undefined when nothing changes (a redelivery, or older than what each given field holds).
 */
export function mergeAnnotation(
  current: AnnotationValue | undefined,
  annotation: Pick<TransactionAnnotatedV1, 'tags' | 'note' | 'annotatedAt' | 'correctionId'>,
): AnnotationValue | undefined {
  const order = `${DateTime.fromISO(annotation.annotatedAt).toUTC().toISO()}|${annotation.correctionId}`;
  const next: AnnotationValue = { ...current, revision: current?.revision ?? 0 };
  let changed = false;
  if (annotation.tags !== undefined && (current?.tags?.order ?? '') < order) {
    next.tags = { value: [...new Set(annotation.tags)], order };
    changed = true;
  }
  if (annotation.note !== undefined && (current?.note?.order ?? '') < order) {
    next.note = { value: annotation.note, order };
    changed = true;
  }
  if (!changed) return undefined;
  next.revision += 1;
  return next;
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
  return (await loadUserStates(store, [userId])).get(userId)!;
}

/** Reads the reference state of several users with one query per kind. */
export async function loadUserStates(
  store: DocumentStore,
  userIds: string[],
): Promise<Map<string, UserState>> {
  const users = [...new Set(userIds)];
  const [settings, budgets, rules, wallets, corrections] = await Promise.all([
    store.getStates(stateKinds.settings, users),
    store.getStates(stateKinds.budgets, users),
    store.getStates(stateKinds.rules, users),
    store.getStates(stateKinds.wallets, users),
    store.listStatesOfUsers(stateKinds.merchantCorrection, users),
  ]);
  const states = new Map<string, UserState>();
  for (const userId of users) {
    const value = (entries: Map<string, StateEntry>) => entries.get(userId)?.value;
    states.set(userId, {
      settings: value(settings) ? userSettingsV1Schema.parse(value(settings)) : undefined,
      budgets: value(budgets) ? budgetsSnapshotV1Schema.parse(value(budgets)) : undefined,
      rules: value(rules) ? categoryRulesSnapshotV1Schema.parse(value(rules)) : undefined,
      wallets: value(wallets) ? walletsSnapshotV1Schema.parse(value(wallets)) : undefined,
      merchantCorrections: new Map(),
    });
  }
  for (const entry of corrections) {
    states
      .get(entry.userId)
      ?.merchantCorrections.set(
        entry.key.slice(entry.userId.length + 1),
        (entry.value as { category: string }).category,
      );
  }
  return states;
}

/** The enrichment context of one transaction of this user. */
export function userContextOf(
  state: UserState,
  override: OverrideValue | undefined,
  annotation?: AnnotationValue | undefined,
): UserContext {
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
    annotation: annotation
      ? {
          ...(annotation.tags ? { tags: annotation.tags.value } : {}),
          ...(annotation.note ? { note: annotation.note.value } : {}),
          revision: annotation.revision,
        }
      : undefined,
  };
}
