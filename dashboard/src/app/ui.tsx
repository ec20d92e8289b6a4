/** Small pieces every screen uses. */
import type { JSX } from 'preact';
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
