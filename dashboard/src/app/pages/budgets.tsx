/** Budgets: progress against the limit with the projected end-of-period spend; create and edit. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, json } from '../api.js';
import { Progress } from '../charts.js';
import { categoryLabel } from '../categories.js';
import { CategoryOptions } from '../category-options.js';
import { useApp } from '../context.js';
import {
  AmountError,
  formatDate,
  formatMoney,
  minorToDecimal,
  parseAmount,
  shiftDate,
  type Money,
} from '../format.js';
import { ErrorText, InitialSelect } from '../ui.js';

interface Budget {
  budgetId: string;
  name: string;
  limit: Money;
  period: { kind: string; startDay?: number };
  scope: { categories: string[]; walletIds: string[]; tags: string[]; merchantKeys: string[] };
  thresholds: number[];
  active: boolean;
}
interface Status {
  budgetId: string;
  period: { from: string; to: string };
  available: Money;
  spent: Money;
  remaining: Money;
  projected: Money;
  percentUsed: number;
  daysLeft: number;
}

function BudgetForm(props: {
  budget?: Budget;
  onDone(): void;
  onDeleted?(budgetId: string): void;
}): JSX.Element {
  const app = useApp();
  const { budget } = props;
  const [error, setError] = useState<string>();
  const currency = budget?.limit.currency ?? app.me.homeCurrency;
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setError(undefined);
    try {
      const kind = String(form.get('kind'));
      const thresholds = String(form.get('thresholds') ?? '')
        .split(/[,\s]+/)
        .filter(Boolean)
        .map(Number);
      const category = String(form.get('category') ?? '');
      const body = {
        name: String(form.get('name') ?? '').trim(),
        limit: {
          amount: parseAmount(String(form.get('limit') ?? ''), currency, app.locale),
          currency,
        },
        period: kind === 'month' ? { kind, startDay: Number(form.get('startDay') || 1) } : { kind },
        scope: {
          categories: category ? [category] : [],
          walletIds: [],
          tags: [],
          merchantKeys: [],
        },
        thresholds,
      };
      if (budget)
        await json('analytics', `/v1/budgets/${budget.budgetId}`, { method: 'PATCH', body });
      else await json('analytics', '/v1/budgets', { body });
      app.notify(`Budget ${body.name} saved`);
      props.onDone();
    } catch (e) {
      setError(
        e instanceof AmountError
          ? `Limit: ${e.message}.`
          : e instanceof ApiError
            ? e.message
            : 'Could not save.',
      );
    }
  }
  return (
    <form
      class="card form"
      onSubmit={submit}
      aria-label={budget ? `Edit ${budget.name}` : 'New budget'}
    >
      <h2>{budget ? `Edit ${budget.name}` : 'New budget'}</h2>
      <label>
        Name
        <input name="name" required maxLength={100} defaultValue={budget?.name ?? ''} />
      </label>
      <div class="row">
        <label>
          Limit ({currency})
          <input
            name="limit"
            inputMode="decimal"
            required
            defaultValue={budget ? minorToDecimal(budget.limit.amount, currency) : ''}
          />
        </label>
        <label>
          Every
          <InitialSelect name="kind" initial={budget?.period.kind ?? 'month'}>
            <option value="month">month</option>
            <option value="week">week</option>
            <option value="day">day</option>
          </InitialSelect>
        </label>
        <label>
          Month starts on day
          <input
            name="startDay"
            type="number"
            min={1}
            max={28}
            defaultValue={String(budget?.period.startDay ?? 1)}
          />
        </label>
      </div>
      <div class="row">
        <label>
          Category
          <InitialSelect name="category" initial={budget?.scope.categories[0] ?? ''}>
            <option value="">All spending</option>
            <CategoryOptions />
          </InitialSelect>
        </label>
        <label>
          Alert at (%)
          <input name="thresholds" defaultValue={(budget?.thresholds ?? [80, 100]).join(', ')} />
        </label>
      </div>
      <ErrorText message={error} />
      <div class="actions">
        {budget && (
          <>
            <button
              type="button"
              class="danger"
              onClick={async () => {
                try {
                  await json('analytics', `/v1/budgets/${budget.budgetId}`, { method: 'DELETE' });
                  app.notify(`Budget ${budget.name} deleted`);
                  props.onDeleted?.(budget.budgetId);
                  props.onDone();
                } catch (e) {
                  setError(e instanceof ApiError ? e.message : 'Could not delete.');
                }
              }}
            >
              Delete
            </button>
            <button type="button" onClick={props.onDone}>
              Cancel
            </button>
          </>
        )}
        <button type="submit" class="primary">
          {budget ? 'Save budget' : 'Create budget'}
        </button>
      </div>
    </form>
  );
}

export function BudgetsPage(): JSX.Element {
  const app = useApp();
  const [budgets, setBudgets] = useState<Budget[]>([]);
  const [statuses, setStatuses] = useState<Map<string, Status>>(new Map());
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<string>();
  const [reload, setReload] = useState(0);

  useEffect(() => {
    Promise.all([
      json<{ items: Budget[] }>('analytics', '/v1/budgets'),
      json<{ items: Status[] }>('analytics', '/v1/budgets/status'),
    ]).then(
      ([b, s]) => {
        setBudgets(b.items);
        setStatuses(new Map(s.items.map((x) => [x.budgetId, x])));
      },
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'Could not load budgets.'),
    );
  }, [app.tick, reload]);

  const done = () => {
    setEditing(undefined);
    setReload((n) => n + 1);
    app.bump();
  };

  return (
    <section aria-labelledby="budgets-title">
      <div class="page-head">
        <h1 id="budgets-title">Budgets</h1>
      </div>
      <ErrorText message={error} />
      <ul class="budget-list">
        {budgets.length === 0 && <li class="muted">No budgets yet.</li>}
        {budgets.map((b) => {
          const s = statuses.get(b.budgetId);
          return editing === b.budgetId ? (
            <li key={b.budgetId}>
              <BudgetForm
                budget={b}
                onDone={done}
                onDeleted={(id) => setBudgets((list) => list.filter((x) => x.budgetId !== id))}
              />
            </li>
          ) : (
            <li key={b.budgetId} class="card budget" data-budget={b.name}>
              <div class="wallet-head">
                <div>
                  <h2>{b.name}</h2>
                  <span class="muted">
                    {b.scope.categories.length
                      ? b.scope.categories.map(categoryLabel).join(', ')
                      : 'All spending'}{' '}
                    · every {b.period.kind}
                  </span>
                </div>
                <button
                  type="button"
                  onClick={() => setEditing(b.budgetId)}
                  aria-label={`Edit ${b.name}`}
                >
                  Edit
                </button>
              </div>
              {s && (
                <>
                  <Progress
                    label={`${b.name}: ${s.percentUsed}% used`}
                    value={Number(s.spent.amount)}
                    max={Number(s.available.amount)}
                    projected={Number(s.projected.amount)}
                  />
                  <p class="small">
                    <strong>{formatMoney(s.spent, app.locale)}</strong> of{' '}
                    {formatMoney(s.available, app.locale)} ({s.percentUsed}%) · projected{' '}
                    {formatMoney(s.projected, app.locale)} by{' '}
                    {formatDate(shiftDate(s.period.to, 'day', -1), app.me.timeZone, app.locale)} ·{' '}
                    {s.daysLeft} days left
                  </p>
                </>
              )}
            </li>
          );
        })}
      </ul>
      {editing === undefined && <BudgetForm key={reload} onDone={done} />}
    </section>
  );
}
