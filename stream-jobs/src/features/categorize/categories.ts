/**
 * Categories by id, from core's built-in tree (shared with analytics-api), and their resolution
 * against a user's custom categories. A category's place in the tree travels as its path
 * (`['food', 'groceries']`). Users may add custom categories under any built-in one
 * (ref.category-rules).
 */
import { builtInCategoryTree, uncategorizedId } from '@spendstream/core/categories';

export { uncategorizedId };

export interface Category {
  id: string;
  name: string;
  /** `undefined` for a top-level category. */
  parentId?: string | undefined;
}

/** Deepest path we follow through custom categories before declaring a cycle. */
export const categoryDepthMax = 5;

function buildCategories(): Map<string, Category> {
  const categories = new Map<string, Category>();
  for (const [parentId, name, children] of builtInCategoryTree) {
    categories.set(parentId, { id: parentId, name });
    for (const [id, childName] of children) {
      if (categories.has(id)) throw new Error(`category id ${id} is not unique`);
      categories.set(id, { id, name: childName, parentId });
    }
  }
  return categories;
}

/** Every built-in category by id, parents and subcategories alike. */
export const builtInCategories: ReadonlyMap<string, Category> = buildCategories();

/** A category and its place in the tree, as documents and events carry it. */
export interface ResolvedCategory {
  id: string;
  name: string;
  /** Ids from the root to this category, inclusive. */
  path: string[];
}

/**
 * Resolves `id` against the built-in tree and a user's custom categories (custom ones may hang under
 * built-in ones). Unknown ids and cyclic custom trees resolve to `null`.
 */
export function resolveCategory(
  id: string,
  custom: ReadonlyMap<string, Category> = new Map(),
): ResolvedCategory | null {
  const lookup = (key: string) => custom.get(key) ?? builtInCategories.get(key);
  const leaf = lookup(id);
  if (!leaf) return null;
  const path = [leaf.id];
  let current = leaf;
  while (current.parentId !== undefined) {
    const parent = lookup(current.parentId);
    if (!parent || path.length >= categoryDepthMax || path.includes(parent.id)) return null;
    path.unshift(parent.id);
    current = parent;
  }
  return { id: leaf.id, name: leaf.name, path };
}
