/** The category tree as <option>s: each top-level category, then its subcategories, in a group. */
import type { JSX } from 'preact';
import { categoryLabel, categoryTree } from './categories.js';

export function CategoryOptions(): JSX.Element {
  return (
    <>
      {categoryTree.map(([top, subs]) => (
        <optgroup key={top} label={categoryLabel(top)}>
          <option value={top}>{categoryLabel(top)}</option>
          {subs.map((sub) => (
            <option key={sub} value={sub}>
              {categoryLabel(sub)}
            </option>
          ))}
        </optgroup>
      ))}
    </>
  );
}
