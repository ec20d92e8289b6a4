/**
 * The period at a glance: spend by category (click a category for its subcategories), daily spend
 * against the budget line, top merchants, cash flow, and this period against the last. Refetched
 * whenever the live tick moves, so it changes without a reload.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, json } from '../api.js';
import { Bars, Donut, SpendChart } from '../charts.js';
import { categoryLabel } from '../categories.js';
import { useApp, type Alert } from '../context.js';
import {
  alertText,
  formatDateTime,
  formatMoney,
  periodLabel,
  shiftDate,
  todayIn,
  type Money,
} from '../format.js';
import { ErrorText } from '../ui.js';

export type PeriodKind = 'week' | 'month' | 'year';

const startDayKey = 'spendstream.monthStartDay';

/** "25 Oct – 24 Nov" for a half-open range of local dates. */
function rangeLabel(from: string, to: string, locale: string | undefined): string {
  const day = (d: string) =>
    new Intl.DateTimeFormat(locale, { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(
      new Date(`${d}T12:00:00Z`),
    );
  return `${day(from)} – ${day(shiftDate(to, 'day', -1))}`;
}

interface BreakdownItem {
  key: string;
  amount: Money;
  count: number;
  sharePercent: number;
  subcategories?: BreakdownItem[];
}
interface Breakdown {
  period: { from: string; to: string; timeZone: string };
  total: Money;
  items: BreakdownItem[];
}
interface Series {
  points: { start: string; spend: Money; income: Money }[];
}
interface CashFlow {
  income: Money;
  spend: Money;
  net: Money;
  internalTransfers: Money;
  savingsRatePercent: number | null;
  projectedSpend: Money;
  dailyAverageSpend: Money;
}
interface Comparison {
  current: { total: Money; from: string };
  previous: { total: Money; change: Money; changePercent: number | null; from: string };
  categories: { category: string; current: Money; previous: Money }[];
}
interface BudgetStatus {
  budgetId: string;
  name: string;
  period: { from: string; to: string };
  available: Money;
}
interface Budget {
  budgetId: string;
  scope: { categories: string[]; walletIds: string[]; tags: string[]; merchantKeys: string[] };
  active: boolean;
}

interface OverviewData {
  breakdown: Breakdown;
  merchants: Breakdown;
  series: Series;
  cashFlow: CashFlow;
  comparison: Comparison;
  budgetLine?: bigint;
}

const toNumber = (money: Money) => Number(money.amount);

export function OverviewPage(): JSX.Element {
  const app = useApp();
  const [period, setPeriod] = useState<PeriodKind>('month');
  const [date, setDate] = useState(() => todayIn(app.me.timeZone));
  // A month may start on payday ("from the 25th"): remembered in this browser.
  const [startDay, setStartDay] = useState(() =>
    Math.min(28, Math.max(1, Number(localStorage.getItem(startDayKey) ?? 1) || 1)),
  );
  const [data, setData] = useState<OverviewData>();
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<string>();

  useEffect(() => {
    const controller = new AbortController();
    const q = `period=${period}&date=${date}${period === 'month' && startDay > 1 ? `&startDay=${startDay}` : ''}`;
    const get = <T,>(path: string) => json<T>('analytics', path, { signal: controller.signal });
    Promise.all([
      get<Breakdown>(`/v1/analytics/breakdown?by=category&${q}`),
      get<Breakdown>(`/v1/analytics/top-merchants?limit=8&${q}`),
      get<Series>(`/v1/analytics/time-series?bucket=${period === 'year' ? 'month' : 'day'}&${q}`),
      get<CashFlow>(`/v1/analytics/cash-flow?${q}`),
      get<Comparison>(`/v1/analytics/comparison?${q}`),
      get<{ items: Budget[] }>('/v1/budgets'),
      get<{ items: BudgetStatus[] }>('/v1/budgets/status'),
    ]).then(
      ([breakdown, merchants, series, cashFlow, comparison, budgets, statuses]) => {
        // The budget line: budgets over all spend whose current period is the one shown.
        const overall = new Set(
          budgets.items
            .filter(
              (b) =>
                b.active &&
                b.scope.categories.length +
                  b.scope.walletIds.length +
                  b.scope.tags.length +
                  b.scope.merchantKeys.length ===
                  0,
            )
            .map((b) => b.budgetId),
        );
        const lines = statuses.items.filter(
          (s) =>
            overall.has(s.budgetId) &&
            s.period.from === breakdown.period.from &&
            s.period.to === breakdown.period.to,
        );
        const budgetLine =
          lines.length > 0
            ? lines.reduce((sum, s) => sum + BigInt(s.available.amount), 0n)
            : undefined;
        setData({
          breakdown,
          merchants,
          series,
          cashFlow,
          comparison,
          ...(budgetLine !== undefined ? { budgetLine } : {}),
        });
        setError(undefined);
      },
      (e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e instanceof ApiError ? e.message : 'Could not load the overview.');
      },
    );
    return () => controller.abort();
  }, [period, date, startDay, app.tick]);

  const currency = data?.breakdown.total.currency ?? app.me.homeCurrency;
  const money = (amount: bigint | string | number) =>
    formatMoney(
      { amount: typeof amount === 'number' ? BigInt(Math.round(amount)) : amount, currency },
      app.locale,
    );
  const selectedItem = data?.breakdown.items.find((i) => i.key === selected);

  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <div class="period-picker" role="group" aria-label="Period">
          <select
            aria-label="Period length"
            value={period}
            onChange={(e) => setPeriod((e.currentTarget as HTMLSelectElement).value as PeriodKind)}
          >
            <option value="week">Week</option>
            <option value="month">Month</option>
            <option value="year">Year</option>
          </select>
          {period === 'month' && (
            <label class="small start-day">
              from day
              <input
                type="number"
                min={1}
                max={28}
                // Not `value`: a refetch's render between typing and leaving the field would put
                // the old day back (and the change would be lost); the field is the user's.
                defaultValue={String(startDay)}
                aria-label="Month starts on day"
                onChange={(e) => {
                  const input = e.currentTarget as HTMLInputElement;
                  const day = Math.min(28, Math.max(1, Number(input.value) || 1));
                  input.value = String(day);
                  localStorage.setItem(startDayKey, String(day));
                  setStartDay(day);
                }}
              />
            </label>
          )}
          <button
            type="button"
            aria-label="Previous period"
            onClick={() => setDate(shiftDate(data?.breakdown.period.from ?? date, period, -1))}
          >
            ‹
          </button>
          <span class="period-label" aria-live="polite">
            {data
              ? period === 'month' && startDay > 1
                ? rangeLabel(data.breakdown.period.from, data.breakdown.period.to, app.locale)
                : periodLabel(period, data.breakdown.period.from, app.locale)
              : '…'}
          </span>
          <button
            type="button"
            aria-label="Next period"
            onClick={() => setDate(shiftDate(data?.breakdown.period.from ?? date, period, 1))}
          >
            ›
          </button>
        </div>
      </div>
      <ErrorText message={error} />
      {data && (
        <div class="grid">
          <article class="card stat-card" aria-label="Cash flow">
            <h2>Cash flow</h2>
            <dl class="stats">
              <div>
                <dt>Spent</dt>
                <dd data-testid="total-spend">{formatMoney(data.cashFlow.spend, app.locale)}</dd>
              </div>
              <div>
                <dt>Income</dt>
                <dd>{formatMoney(data.cashFlow.income, app.locale)}</dd>
              </div>
              <div>
                <dt>Net</dt>
                <dd class={BigInt(data.cashFlow.net.amount) < 0n ? 'negative' : 'positive'}>
                  {formatMoney(data.cashFlow.net, app.locale, { signDisplay: 'exceptZero' })}
                </dd>
              </div>
              <div>
                <dt>Projected spend</dt>
                <dd>{formatMoney(data.cashFlow.projectedSpend, app.locale)}</dd>
              </div>
              {data.cashFlow.savingsRatePercent !== null && (
                <div>
                  <dt>Savings rate</dt>
                  <dd>
                    {new Intl.NumberFormat(app.locale, {
                      style: 'percent',
                      maximumFractionDigits: 1,
                    }).format(data.cashFlow.savingsRatePercent / 100)}
                  </dd>
                </div>
              )}
            </dl>
          </article>
          <article class="card" aria-label="This period against the last">
            <h2>Against last {period}</h2>
            <p class="compare">
              <span class="big">{formatMoney(data.comparison.current.total, app.locale)}</span>
              <span
                class={
                  BigInt(data.comparison.previous.change.amount) > 0n ? 'negative' : 'positive'
                }
              >
                {formatMoney(data.comparison.previous.change, app.locale, {
                  signDisplay: 'exceptZero',
                })}
                {data.comparison.previous.changePercent !== null &&
                  ` (${data.comparison.previous.changePercent > 0 ? '+' : ''}${data.comparison.previous.changePercent}%)`}
              </span>
            </p>
            <p class="muted">
              Last {period}: {formatMoney(data.comparison.previous.total, app.locale)}
            </p>
            <Bars
              title="Categories, this period"
              items={data.comparison.categories.slice(0, 5).map((c) => ({
                key: c.category,
                label: `${categoryLabel(c.category)} (was ${formatMoney(c.previous, app.locale)})`,
                value: toNumber(c.current),
                display: formatMoney(c.current, app.locale),
              }))}
            />
          </article>
          <article class="card wide" aria-label="Spend by category">
            <h2>Spend by category</h2>
            {data.breakdown.items.length === 0 ? (
              <p class="muted">No spending in this period yet.</p>
            ) : (
              <div class="drill">
                <Donut
                  title="Spend by category"
                  center={formatMoney(data.breakdown.total, app.locale)}
                  selected={selected}
                  onSelect={(key) => setSelected(key === selected ? undefined : key)}
                  slices={data.breakdown.items.map((i) => ({
                    key: i.key,
                    label: categoryLabel(i.key),
                    value: toNumber(i.amount),
                    display: formatMoney(i.amount, app.locale),
                  }))}
                />
                <div class="subcategories" aria-live="polite">
                  {selectedItem ? (
                    <>
                      <h3>{categoryLabel(selectedItem.key)}</h3>
                      <Bars
                        title={`Subcategories of ${categoryLabel(selectedItem.key)}`}
                        items={(selectedItem.subcategories ?? []).map((s) => ({
                          key: s.key,
                          label: categoryLabel(s.key),
                          value: toNumber(s.amount),
                          display: formatMoney(s.amount, app.locale),
                        }))}
                      />
                      <a href={`#/transactions?category=${encodeURIComponent(selectedItem.key)}`}>
                        See these transactions
                      </a>
                    </>
                  ) : (
                    <p class="muted">Choose a category to see its subcategories.</p>
                  )}
                </div>
              </div>
            )}
          </article>
          <article class="card wide" aria-label="Daily spend">
            <h2>Daily spend</h2>
            <SpendChart
              days={data.series.points.map((p) => ({ date: p.start, spend: toNumber(p.spend) }))}
              {...(data.budgetLine !== undefined ? { budget: Number(data.budgetLine) } : {})}
              format={(v) => money(v)}
              until={todayIn(app.me.timeZone)}
              dayLabel={(d) =>
                new Intl.DateTimeFormat(app.locale, {
                  timeZone: 'UTC',
                  day: 'numeric',
                  month: 'short',
                }).format(new Date(`${d}T12:00:00Z`))
              }
            />
          </article>
          <article class="card" aria-label="Top merchants">
            <h2>Top merchants</h2>
            {data.merchants.items.length === 0 ? (
              <p class="muted">Nothing yet.</p>
            ) : (
              <Bars
                title="Top merchants"
                color="#E69F00"
                items={data.merchants.items.map((m) => ({
                  key: m.key,
                  label: m.key,
                  value: toNumber(m.amount),
                  display: formatMoney(m.amount, app.locale),
                }))}
              />
            )}
          </article>
          <RecentAlerts />
        </div>
      )}
    </section>
  );
}

/** How many alerts the overview lists. */
const recentAlertsMax = 5;

/** The latest alerts (the live notifications vanish; these stay until read). */
function RecentAlerts(): JSX.Element {
  const app = useApp();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [reload, setReload] = useState(0);
  const [error, setError] = useState<string>();
  useEffect(() => {
    json<{ items: Alert[] }>('analytics', `/v1/alerts?limit=${recentAlertsMax}`).then(
      (answer) => setAlerts(answer.items),
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'Could not load the alerts.'),
    );
  }, [app.tick, reload]);
  const markRead = async (alert: Alert) => {
    try {
      await json('analytics', `/v1/alerts/${encodeURIComponent(alert.alertId)}/read`, {
        method: 'POST',
      });
      setReload((n) => n + 1);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not mark it read.');
    }
  };
  return (
    <article class="card" aria-label="Alerts">
      <h2>Alerts</h2>
      <ErrorText message={error} />
      {alerts.length === 0 ? (
        <p class="muted">No alerts yet.</p>
      ) : (
        <ul class="alerts">
          {alerts.map((alert) => (
            <li key={alert.alertId} class={alert.read ? 'alert read' : 'alert unread'}>
              <span class={`severity severity-${alert.severity}`}>{alert.severity}</span>
              <span class="alert-text">
                {alertText(alert, app.locale)}
                <span class="muted small">
                  {' '}
                  · {formatDateTime(alert.firedAt, app.me.timeZone, app.locale)}
                </span>
              </span>
              {!alert.read && (
                <button type="button" class="link" onClick={() => void markRead(alert)}>
                  Mark read
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
