/** Small pieces every screen uses. */
import type { ComponentChildren, JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { Wallet } from './context.js';

/** An error said next to what failed, announced to screen readers. */
export function ErrorText(props: {
  message: string | undefined;
  small?: boolean;
}): JSX.Element | null {
  if (!props.message) return null;
  return (
    <p class={props.small ? 'error small' : 'error'} role="alert">
      {props.message}
    </p>
  );
}

/** A <select> of wallets by name. */
export function WalletSelect(props: {
  name: string;
  label: string;
  wallets: Wallet[];
}): JSX.Element {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        {props.wallets.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A <select> that opens on `initial` and is then the user's. Preact sets a select's `defaultValue`
 * before its options exist, where it is no property of the element (the first option showed and
 * was saved: an edited weekly budget became monthly), and `value` would be put back on every
 * render; so the choice is set once, when the options are there.
 */
export function InitialSelect(props: {
  name: string;
  initial: string;
  required?: boolean;
  'aria-invalid'?: boolean | undefined;
  onChange?: (event: Event & { currentTarget: HTMLSelectElement }) => void;
  children: ComponentChildren;
}): JSX.Element {
  const { initial, children, ...rest } = props;
  const ref = useRef<HTMLSelectElement>(null);
  useLayoutEffect(() => {
    if (ref.current) ref.current.value = initial;
  }, []);
  return (
    <select ref={ref} {...rest}>
      {children}
    </select>
  );
}
