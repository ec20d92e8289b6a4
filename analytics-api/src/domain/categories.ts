/**
 * Which category ids analytics accepts in filters, budgets and recategorizations, so a typo is a 400
 * instead of an empty answer, and where each sits in the tree (drill-down from a parent to its
 * children). Ids are the **leaf ids** of the pipeline's tree: unique across the tree and valid for
 * core's `categoryIdSchema` (lower case, no `.`), so a subcategory id travels unchanged in
 * `transactions.corrections` and `ref.budgets`. The tree is core's, the one stream-jobs uses;
 * custom categories will arrive on `ref.category-rules`, so the catalog is injectable.
 */
import { builtInCategoryTree, type CategoryTreeNode } from '@spendstream/core/categories';

export { builtInCategoryTree, type CategoryTreeNode };

export interface CategoryCatalog {
  has(id: string): boolean;
  /** Every category, each top-level one followed by its subcategories, in the tree's order. */
  entries(): readonly CategoryEntry[];
  /** The parent of a subcategory; `undefined` for a top-level or unknown id. */
  parentOf(id: string): string | undefined;
  /** The subcategories of a top-level id (empty for a leaf or unknown id). */
  childrenOf(id: string): readonly string[];
}

/** One category as the API lists it. */
export interface CategoryEntry {
  id: string;
  name: string;
  /** `null` for a top-level category. */
  parentId: string | null;
}

/**
 * The catalog of a tree (the built-in one by default). `extra` adds top-level ids without children
 * (named by their id). A duplicate id is a programming error: ids must be unique across the tree.
 */
export function createDefaultCategoryCatalog(
  extra: readonly string[] = [],
  tree: readonly CategoryTreeNode[] = builtInCategoryTree,
): CategoryCatalog {
  const parents = new Map<string, string | undefined>();
  const children = new Map<string, readonly string[]>();
  const entries: CategoryEntry[] = [];
  const add = (id: string, name: string, parent: string | undefined) => {
    if (parents.has(id)) throw new Error(`category id ${id} is not unique in the tree`);
    parents.set(id, parent);
    entries.push({ id, name, parentId: parent ?? null });
  };
  for (const [top, name, subs] of [...tree, ...extra.map((id) => [id, id, []] as const)]) {
    add(top, name, undefined);
    children.set(
      top,
      subs.map(([sub]) => sub),
    );
    for (const [sub, subName] of subs) add(sub, subName, top);
  }
  Object.freeze(entries);
  return {
    has: (id) => parents.has(id),
    entries: () => entries,
    parentOf: (id) => parents.get(id),
    childrenOf: (id) => children.get(id) ?? [],
  };
}
