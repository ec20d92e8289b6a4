/** The category tree as <option>s: each top-level category, then its subcategories, in a group. */
import type { JSX } from 'preact';
import { categoryLabel } from './categories.js';
import { useApp } from './context.js';

export function CategoryOptions(): JSX.Element {
  const { categories } = useApp();
  return (
    <>
      {categories.tops.map(({ id, children }) => (
        <optgroup key={id} label={categoryLabel(id)}>
          <option value={id}>{categoryLabel(id)}</option>
          {children.map((sub) => (
            <option key={sub} value={sub}>
              {categoryLabel(sub)}
            </option>
          ))}
        </optgroup>
      ))}
    </>
  );
}
