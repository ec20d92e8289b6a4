/**
 * A user's categorization rules and custom categories: list, read, create, change, delete. Each
 * change is one SQL transaction that bumps the user's revision and checks the change against the
 * set as it is at that moment (limits, known categories, no cycles, nothing deleted that is still
 * used); then the user's whole set is handed to the in-memory view the other features read, so a
 * new custom category is accepted by filters, budgets and recategorizations as soon as the change
 * answers, and published as `category_rules.snapshot` on the compacted `ref.category-rules`
 * (stream-jobs categorizes with it) through its outbox (`snapshots.ts`): a send that fails is
 * retried by the sweep, the change itself is stored and answered.
 */
import { randomUUID } from 'node:crypto';
import {
  categoryRulesPerUserMax,
  customCategoriesPerUserMax,
  type CategoryRule,
} from '@spendstream/core/events';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '@spendstream/core/errors';
import type { SnapshotOutboxes } from '../../snapshots.js';
import type { CategoryCatalog } from '../../domain/categories.js';
import type { CustomCategory, CustomCategoryStore } from '../categories/custom-categories.js';
import {
  listIds,
  type CategoryRuleEdit,
  type CategoryRuleSet,
  type CategoryRuleStore,
} from './category-rule-store.js';

/**
 * Longest path from a top-level category down to a custom one, in categories. stream-jobs resolves
 * no deeper (its `categoryDepthMax`, which a test keeps equal), so a deeper one would never be
 * assigned.
 */
export const customCategoryDepthMax = 5;

/** What a caller gives to create a custom category; without `id`, one is generated. */
export interface CustomCategoryDraft {
  id?: string | undefined;
  name: string;
  parentId?: string | undefined;
}

/** A change to a custom category; `parentId: null` makes it top-level. */
export interface CustomCategoryChanges {
  name?: string | undefined;
  parentId?: string | null | undefined;
}

/** What a caller gives to create a rule (the rule id, origin and creation time are the server's). */
export type CategoryRuleDraft = Pick<CategoryRule, 'priority' | 'match' | 'category' | 'addTags'>;

/**
 * The revisions an `If-Match` accepts; `undefined` when the change is unconditional (no header,
 * or `*`). An empty list matches nothing.
 */
export type ExpectedRevisions = readonly number[] | undefined;

export interface CategoryRuleServiceDeps {
  categoryRules: CategoryRuleStore;
  categories: CategoryCatalog;
  /** The view of custom categories the other features read (also fed from the topic). */
  customCategories: CustomCategoryStore;
  /** Publishes each user's set to ref.category-rules after a change. */
  snapshots: Pick<SnapshotOutboxes, 'categoryRules'>;
  clock: () => Date;
}

/** One item and the revision of the user's set it belongs to (the ETag). */
export interface Revisioned<T> {
  revision: number;
  item: T;
}

function checkPrecondition(current: CategoryRuleSet, expected: ExpectedRevisions): void {
  if (expected === undefined || expected.includes(current.revision)) return;
  throw new PreconditionFailedError(
    `your rules and categories are at revision ${current.revision}, not the one If-Match names: ` +
      'read them again and retry',
  );
}

function findCategory(set: CategoryRuleSet, id: string): CustomCategory {
  const category = set.categories.find((candidate) => candidate.id === id);
  // Another user's id answers exactly like one that does not exist.
  if (!category) throw new NotFoundError(`no custom category ${id}`, { field: 'id' });
  return category;
}

function findRule(set: CategoryRuleSet, ruleId: string): CategoryRule {
  const rule = set.rules.find((candidate) => candidate.ruleId === ruleId);
  if (!rule) throw new NotFoundError(`no rule ${ruleId}`, { field: 'id' });
  return rule;
}

/**
 * Every custom category must reach a top-level category through known parents, without a cycle,
 * within `customCategoryDepthMax` levels (built-in ancestors count).
 */
export function assertCategoryTree(
  categories: readonly CustomCategory[],
  builtIn: Pick<CategoryCatalog, 'has' | 'parentOf'>,
): void {
  const byId = new Map(categories.map((category) => [category.id, category]));
  for (const category of categories) {
    const path = [category.id];
    let parentId = category.parentId;
    while (parentId !== undefined) {
      if (path.includes(parentId)) {
        throw new ValidationError(`a cycle of categories: ${[...path, parentId].join(' under ')}`, {
          field: 'parentId',
        });
      }
      path.push(parentId);
      const custom = byId.get(parentId);
      if (custom) parentId = custom.parentId;
      else if (builtIn.has(parentId)) parentId = builtIn.parentOf(parentId);
      else throw new ValidationError(`unknown parent category ${parentId}`, { field: 'parentId' });
    }
    if (path.length > customCategoryDepthMax) {
      throw new ValidationError(
        `category ${category.id} would be ${path.length} levels deep; at most ${customCategoryDepthMax} (customCategoryDepthMax)`,
        { field: 'parentId' },
      );
    }
  }
}

function assertRule(rule: CategoryRule, set: CategoryRuleSet, builtIn: CategoryCatalog): void {
  if (!builtIn.has(rule.category) && !set.categories.some((c) => c.id === rule.category)) {
    throw new ValidationError(`unknown category ${JSON.stringify(rule.category)}`, {
      field: 'category',
    });
  }
  const { amountMin, amountMax } = rule.match;
  if (amountMin && amountMax) {
    if (amountMin.currency !== amountMax.currency) {
      throw new ValidationError('amountMin and amountMax must be in the same currency', {
        field: 'match.amountMax',
      });
    }
    if (amountMin.amount > amountMax.amount) {
      throw new ValidationError('amountMax must not be below amountMin', {
        field: 'match.amountMax',
      });
    }
  }
}

export function createCategoryRuleService(deps: CategoryRuleServiceDeps) {
  async function change<T>(
    userId: string,
    expected: ExpectedRevisions,
    plan: (current: CategoryRuleSet) => { edit: CategoryRuleEdit; item: T },
  ): Promise<Revisioned<T>> {
    let item: T | undefined;
    const after = await deps.categoryRules.change(userId, (current) => {
      checkPrecondition(current, expected);
      const planned = plan(current);
      item = planned.item;
      return planned.edit;
    });
    // Visible to this instance's routes at once, whether or not the send below succeeds.
    await deps.customCategories.put(userId, after.revision, after.categories);
    await deps.snapshots.categoryRules.publish(userId);
    return { revision: after.revision, item: item as T };
  }

  return {
    read: (userId: string) => deps.categoryRules.read(userId),

    async category(userId: string, id: string): Promise<Revisioned<CustomCategory>> {
      const set = await deps.categoryRules.read(userId);
      return { revision: set.revision, item: findCategory(set, id) };
    },

    createCategory(userId: string, draft: CustomCategoryDraft, expected: ExpectedRevisions) {
      return change(userId, expected, (current) => {
        const id = draft.id ?? `custom-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
        if (deps.categories.has(id)) {
          throw new ConflictError(`${id} is a built-in category id; choose another`, {
            field: 'id',
          });
        }
        if (current.categories.some((category) => category.id === id)) {
          throw new ConflictError(`you already have a custom category ${id}`, { field: 'id' });
        }
        if (current.categories.length >= customCategoriesPerUserMax) {
          throw new ConflictError(
            `at most ${customCategoriesPerUserMax} custom categories per user; delete one first`,
          );
        }
        const category: CustomCategory = { id, name: draft.name };
        if (draft.parentId !== undefined) category.parentId = draft.parentId;
        assertCategoryTree([...current.categories, category], deps.categories);
        return {
          edit: { kind: 'put_category', category, createdAt: deps.clock().toISOString() },
          item: category,
        };
      });
    },

    updateCategory(
      userId: string,
      id: string,
      changes: CustomCategoryChanges,
      expected: ExpectedRevisions,
    ) {
      return change(userId, expected, (current) => {
        const existing = findCategory(current, id);
        const category: CustomCategory = { id, name: changes.name ?? existing.name };
        const parentId = changes.parentId === undefined ? existing.parentId : changes.parentId;
        if (parentId !== null && parentId !== undefined) category.parentId = parentId;
        assertCategoryTree(
          current.categories.map((candidate) => (candidate.id === id ? category : candidate)),
          deps.categories,
        );
        const createdAt = deps.clock().toISOString(); // unused: the store keeps the first one
        return { edit: { kind: 'put_category', category, createdAt }, item: category };
      });
    },

    removeCategory(userId: string, id: string, expected: ExpectedRevisions) {
      return change(userId, expected, (current) => {
        findCategory(current, id);
        const rules = current.rules.filter((rule) => rule.category === id);
        if (rules.length > 0) {
          throw new ConflictError(
            `category ${id} is used by ${rules.length} rule(s) (${listIds(rules.map((rule) => rule.ruleId))}); change or delete them first`,
            { field: 'id' },
          );
        }
        const children = current.categories.filter((category) => category.parentId === id);
        if (children.length > 0) {
          throw new ConflictError(
            `category ${id} is the parent of ${listIds(children.map((child) => child.id))}; move or delete them first`,
            { field: 'id' },
          );
        }
        return { edit: { kind: 'delete_category', categoryId: id }, item: null };
      });
    },

    async rule(userId: string, ruleId: string): Promise<Revisioned<CategoryRule>> {
      const set = await deps.categoryRules.read(userId);
      return { revision: set.revision, item: findRule(set, ruleId) };
    },

    createRule(userId: string, draft: CategoryRuleDraft, expected: ExpectedRevisions) {
      return change(userId, expected, (current) => {
        if (current.rules.length >= categoryRulesPerUserMax) {
          throw new ConflictError(
            `at most ${categoryRulesPerUserMax} rules per user; delete one first`,
          );
        }
        const rule: CategoryRule = {
          ...draft,
          ruleId: `rule_${randomUUID().replaceAll('-', '')}`,
          origin: 'user',
          createdAt: deps.clock().toISOString(),
        };
        assertRule(rule, current, deps.categories);
        return { edit: { kind: 'put_rule', rule }, item: rule };
      });
    },

    updateRule(
      userId: string,
      ruleId: string,
      changes: Partial<CategoryRuleDraft>,
      expected: ExpectedRevisions,
    ) {
      return change(userId, expected, (current) => {
        const rule: CategoryRule = { ...findRule(current, ruleId), ...changes };
        assertRule(rule, current, deps.categories);
        return { edit: { kind: 'put_rule', rule }, item: rule };
      });
    },

    removeRule(userId: string, ruleId: string, expected: ExpectedRevisions) {
      return change(userId, expected, (current) => {
        findRule(current, ruleId);
        return { edit: { kind: 'delete_rule', ruleId }, item: null };
      });
    },
  };
}

export type CategoryRuleService = ReturnType<typeof createCategoryRuleService>;
