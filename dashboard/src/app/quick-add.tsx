/**
 * Add an expense or income in a few keystrokes: the amount has the focus, Tab to the merchant (the
 * category is suggested from it: the user's rules first, as the stream jobs apply them, then their
 * last transaction there, then words in the name), Enter saves. Wallet and date default to the last used wallet and
 * today in the user's zone.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, json, newKey } from './api.js';
import { guessCategory } from './categories.js';
import { CategoryOptions } from './category-options.js';
import { ruleCategoryFor, type CategoryRule } from './category-rules.js';
import { useApp, type Transaction } from './context.js';
import { AmountError, formatMoney, occurredAtFor, parseAmount, todayIn } from './format.js';
import { ErrorText } from './ui.js';

const lastWalletKey = 'spendstream.lastWallet';
/** Wait this long after the last keystroke in the merchant before asking for a suggestion. */
const suggestDelayMs = 250;

export function QuickAdd(props: { onClose(): void }): JSX.Element {
  const app = useApp();
  const dialog = useRef<HTMLDialogElement>(null);
  const wallets = app.wallets.filter((w) => !w.archived && w.role !== 'viewer');
  const remembered = localStorage.getItem(lastWalletKey);
  const [kind, setKind] = useState<'expense' | 'income'>('expense');
  const [walletId, setWalletId] = useState(
    wallets.find((w) => w.id === remembered)?.id ?? wallets[0]?.id ?? '',
  );
  const [merchant, setMerchant] = useState('');
  const [category, setCategory] = useState('');
  const [categoryTouched, setCategoryTouched] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const key = useRef(newKey());
  const amountInput = useRef<HTMLInputElement>(null);
  // The user's rules: a category sent with the transaction skips them, so the suggestion follows
  // them. Without them (not loaded yet, or refused) the other suggestions stand.
  const [rules, setRules] = useState<readonly CategoryRule[]>([]);
  useEffect(() => {
    json<{ items: CategoryRule[] }>('analytics', '/v1/category-rules').then(
      (answer) => setRules(answer.items),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  useEffect(() => {
    if (categoryTouched || merchant.trim().length < 2) return;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      const wallet = wallets.find((w) => w.id === walletId);
      let amount: string | undefined;
      try {
        amount =
          wallet && parseAmount(amountInput.current?.value ?? '', wallet.currency, app.locale);
      } catch {
        // Not an amount yet: a rule with amount bounds stays undecided.
      }
      const byRule = ruleCategoryFor(rules, {
        merchant,
        kind,
        walletId,
        amount: wallet && amount ? { amount, currency: wallet.currency } : undefined,
      });
      if (byRule.kind !== 'none') {
        setCategory(byRule.kind === 'match' ? byRule.category : '');
        return;
      }
      const guess = guessCategory(merchant);
      // The most telling word of what was typed ("SQ *BLUE BOTTLE COFFEE" -> "BOTTLE").
      const word = (merchant.match(/\p{L}{3,}/gu) ?? []).sort((a, b) => b.length - a.length)[0];
      try {
        const found = word
          ? await json<{ items: Transaction[] }>(
              'analytics',
              `/v1/transactions?q=${encodeURIComponent(word)}&limit=1&flow=${kind === 'expense' ? 'spend' : 'income'}`,
              { signal: controller.signal },
            )
          : { items: [] };
        const mine = found.items[0];
        setCategory(mine ? (mine.subcategory ?? mine.category) : (guess ?? ''));
      } catch {
        if (!controller.signal.aborted) setCategory(guess ?? '');
      }
    }, suggestDelayMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [merchant, kind, walletId, rules, categoryTouched]);

  const wallet = wallets.find((w) => w.id === walletId);

  async function submit(event: Event) {
    event.preventDefault();
    if (!wallet) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setError(undefined);
    let amount: string;
    try {
      amount = parseAmount(String(form.get('amount') ?? ''), wallet.currency, app.locale);
    } catch (e) {
      setError(e instanceof AmountError ? `Amount: ${e.message}.` : String(e));
      return;
    }
    const date = String(form.get('date') ?? '') || todayIn(app.me.timeZone);
    setBusy(true);
    try {
      await json('wallet', '/v1/movements', {
        idempotencyKey: key.current,
        body: {
          kind,
          walletId: wallet.id,
          amount,
          currency: wallet.currency,
          ...(merchant.trim() ? { merchant: merchant.trim() } : {}),
          ...(category ? { category } : {}),
          occurredAt: occurredAtFor(date, app.me.timeZone),
        },
      });
      localStorage.setItem(lastWalletKey, wallet.id);
      app.notify(
        `${kind === 'expense' ? 'Expense' : 'Income'} of ${formatMoney({ amount, currency: wallet.currency }, app.locale)} saved`,
      );
      await app.reloadWallets();
      app.bump();
      props.onClose();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not save. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="quick-add-title" onClose={props.onClose}>
      <form onSubmit={submit} class="form">
        <h2 id="quick-add-title">Add {kind}</h2>
        {wallets.length === 0 ? (
          <p>Create a wallet first (Wallets).</p>
        ) : (
          <>
            <div class="segmented" role="radiogroup" aria-label="Kind">
              {(['expense', 'income'] as const).map((k) => (
                <label key={k}>
                  <input
                    type="radio"
                    name="kind"
                    value={k}
                    checked={kind === k}
                    onChange={() => setKind(k)}
                  />
                  {k === 'expense' ? 'Expense' : 'Income'}
                </label>
              ))}
            </div>
            <label>
              Amount ({wallet?.currency})
              <input
                name="amount"
                inputMode="decimal"
                autoComplete="off"
                required
                autoFocus
                placeholder="0.00"
                ref={amountInput}
              />
            </label>
            <label>
              Merchant
              <input
                name="merchant"
                autoComplete="off"
                maxLength={200}
                value={merchant}
                onInput={(e) => setMerchant((e.currentTarget as HTMLInputElement).value)}
              />
            </label>
            {/* Not wrapped in its label: a label's name would include every option's text, and
                one category is "Between own wallets". */}
            <div class="field">
              <label for="quick-add-category">
                Category {category && !categoryTouched && <small>(suggested)</small>}
              </label>
              <select
                id="quick-add-category"
                name="category"
                value={category}
                onChange={(e) => {
                  setCategory((e.currentTarget as HTMLSelectElement).value);
                  setCategoryTouched(true);
                }}
              >
                <option value="">Let Spendstream decide</option>
                <CategoryOptions />
              </select>
            </div>
            <div class="row">
              <label>
                Wallet
                <select
                  name="walletId"
                  value={walletId}
                  onChange={(e) => setWalletId((e.currentTarget as HTMLSelectElement).value)}
                >
                  {wallets.map((w) => (
                    <option key={w.id} value={w.id}>
                      {w.name} ({w.currency})
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Date
                <input name="date" type="date" defaultValue={todayIn(app.me.timeZone)} required />
              </label>
            </div>
          </>
        )}
        <ErrorText message={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          {wallets.length > 0 && (
            <button type="submit" class="primary" disabled={busy}>
              Save
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
