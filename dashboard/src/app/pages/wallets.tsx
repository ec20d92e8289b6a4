/** Wallets with balances; create one, transfer between them or to someone, share with members. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, json, newKey } from '../api.js';
import { useApp, type Wallet } from '../context.js';
import { AmountError, formatMoney, parseAmount } from '../format.js';
import { ErrorText, InitialSelect, WalletSelect } from '../ui.js';

const walletTypes = ['cash', 'bank', 'card', 'savings'];

function errorText(e: unknown): string {
  if (e instanceof AmountError) return `Amount: ${e.message}.`;
  return e instanceof ApiError ? e.message : 'Something went wrong. Try again.';
}

function CreateWallet(): JSX.Element {
  const app = useApp();
  const [error, setError] = useState<string>();
  const key = useRef(newKey());
  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    setError(undefined);
    try {
      const wallet = await json<Wallet>('wallet', '/v1/wallets', {
        idempotencyKey: key.current,
        body: {
          name: String(form.get('name') ?? '').trim(),
          type: String(form.get('type')),
          currency: String(form.get('currency') ?? app.me.homeCurrency).toUpperCase(),
        },
      });
      key.current = newKey();
      formElement.reset();
      app.notify(`Wallet ${wallet.name} created`);
      await app.reloadWallets();
      app.bump();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-wallet-title">
      <h2 id="new-wallet-title">New wallet</h2>
      <label>
        Name
        <input name="name" required maxLength={100} />
      </label>
      <div class="row">
        <label>
          Type
          <select name="type">
            {walletTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Currency
          <input
            name="currency"
            defaultValue={app.me.homeCurrency}
            pattern="[A-Za-z]{3}"
            required
            maxLength={3}
          />
        </label>
      </div>
      <ErrorText message={error} />
      <button type="submit" class="primary">
        Create wallet
      </button>
    </form>
  );
}

function Transfer(): JSX.Element {
  const app = useApp();
  const wallets = app.wallets.filter((w) => !w.archived && w.role !== 'viewer');
  const [error, setError] = useState<string>();
  const [toPerson, setToPerson] = useState(false);
  const key = useRef(newKey());
  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    setError(undefined);
    try {
      const from = wallets.find((w) => w.id === form.get('from'));
      if (!from)
        throw new ApiError(400, 'validation_failed', 'Choose the wallet to take the money from.');
      const to = toPerson ? String(form.get('email') ?? '').trim() : String(form.get('to') ?? '');
      if (!toPerson && to === from.id) {
        throw new ApiError(400, 'validation_failed', 'Choose another wallet to send the money to.');
      }
      const target = toPerson ? { email: to } : { walletId: to };
      const toWallet = app.wallets.find((w) => w.id === to);
      const amount = parseAmount(String(form.get('amount') ?? ''), from.currency, app.locale);
      const rate = String(form.get('rate') ?? '').trim();
      await json('wallet', '/v1/transfers', {
        idempotencyKey: key.current,
        body: {
          fromWalletId: from.id,
          to: target,
          amount,
          currency: from.currency,
          ...(toWallet && toWallet.currency !== from.currency
            ? { rate: rate.replace(',', '.') }
            : {}),
        },
      });
      key.current = newKey();
      formElement.reset();
      setToPerson(false);
      app.notify(`Transferred ${formatMoney({ amount, currency: from.currency }, app.locale)}`);
      await app.reloadWallets();
      app.bump();
    } catch (e) {
      setError(errorText(e));
    }
  }
  if (wallets.length === 0) return <></>;
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="transfer-title">
      <h2 id="transfer-title">Transfer</h2>
      <div class="row">
        <WalletSelect name="from" label="From" wallets={wallets} />
        <label>
          To
          <InitialSelect
            name="to"
            initial={wallets[1]?.id ?? ''}
            onChange={(e) => setToPerson((e.currentTarget as HTMLSelectElement).value === '')}
          >
            {app.wallets
              .filter((w) => !w.archived)
              .map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            <option value="">Another person…</option>
          </InitialSelect>
        </label>
        {toPerson && (
          <label>
            Their email
            <input name="email" type="email" required />
          </label>
        )}
      </div>
      <div class="row">
        <label>
          Amount
          <input name="amount" inputMode="decimal" required />
        </label>
        <label>
          Rate (other currency)
          <input name="rate" inputMode="decimal" placeholder="1.0" />
        </label>
      </div>
      <ErrorText message={error} />
      <button type="submit" class="primary">
        Transfer
      </button>
    </form>
  );
}

interface Member {
  userId: string;
  role: string;
  since: string;
}

function Members(props: { wallet: Wallet }): JSX.Element {
  const app = useApp();
  const [members, setMembers] = useState<Member[]>();
  const [error, setError] = useState<string>();
  const load = () =>
    json<{ items: Member[] }>('wallet', `/v1/wallets/${props.wallet.id}/members`).then(
      (m) => setMembers(m.items),
      (e: unknown) => setError(errorText(e)),
    );
  useEffect(() => {
    void load();
  }, [props.wallet.id]);
  async function add(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    setError(undefined);
    try {
      await json('wallet', `/v1/wallets/${props.wallet.id}/members`, {
        method: 'PUT',
        body: { email: String(form.get('email') ?? '').trim(), role: String(form.get('role')) },
      });
      formElement.reset();
      app.notify('Member added');
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <div class="members">
      <ul>
        {(members ?? []).map((m) => (
          <li key={m.userId}>
            {m.userId === app.me.id ? 'You' : m.userId.slice(0, 8)} · {m.role}
          </li>
        ))}
      </ul>
      {props.wallet.role === 'owner' && (
        <form class="inline-form" onSubmit={add} aria-label={`Share ${props.wallet.name}`}>
          <input
            name="email"
            type="email"
            placeholder="their email"
            aria-label="Member email"
            required
          />
          <select name="role" aria-label="Role">
            <option value="editor">editor</option>
            <option value="viewer">viewer</option>
          </select>
          <button type="submit">Share</button>
        </form>
      )}
      <ErrorText message={error} />
    </div>
  );
}

export function WalletsPage(): JSX.Element {
  const app = useApp();
  const [open, setOpen] = useState<string>();
  const active = app.wallets.filter((w) => !w.archived);
  return (
    <section aria-labelledby="wallets-title">
      <div class="page-head">
        <h1 id="wallets-title">Wallets</h1>
        <button type="button" class="primary" onClick={app.openQuickAdd}>
          Add expense or income
        </button>
      </div>
      <ul class="wallet-list">
        {active.length === 0 && <li class="muted">No wallets yet: create your first below.</li>}
        {active.map((w) => (
          <li key={w.id} class="card wallet" data-wallet={w.name}>
            <div class="wallet-head">
              <div>
                <h2>{w.name}</h2>
                <span class="muted">
                  {w.type} · {w.currency} · {w.role}
                </span>
              </div>
              <span
                class={BigInt(w.balance) < 0n ? 'balance negative' : 'balance'}
                data-testid="balance"
              >
                {formatMoney({ amount: w.balance, currency: w.currency }, app.locale)}
              </span>
            </div>
            <button
              type="button"
              class="link"
              aria-expanded={open === w.id}
              onClick={() => setOpen(open === w.id ? undefined : w.id)}
            >
              Members
            </button>
            {open === w.id && <Members wallet={w} />}
          </li>
        ))}
      </ul>
      <div class="grid">
        <CreateWallet />
        <Transfer />
      </div>
    </section>
  );
}
