/**
 * Search with filters and facets, recategorize (one transaction, and when asked every later one at
 * that merchant through a rule the Categories screen lists),
 * tags (when analytics-api offers them), CSV export of the current filters, and a bank file import
 * with a progress bar (the upload's bytes, then the rows ingest-api has published).
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, json, newKey, url, accessToken } from '../api.js';
import { categoryLabel } from '../categories.js';
import { CategoryOptions } from '../category-options.js';
import { saveMerchantRule } from '../category-rules.js';
import { useApp, type Transaction } from '../context.js';
import { formatDate, formatMoney } from '../format.js';
import { ErrorText, WalletSelect } from '../ui.js';

interface Facet {
  value: string;
  count: number;
}
interface SearchAnswer {
  items: Transaction[];
  total: number;
  nextCursor: string | null;
  facets?: Record<string, Facet[]>;
}

/** Rows per page of results. */
const pageSize = 25;
/** How often an import's progress is asked for while it runs. */
const importPollMs = 300;

interface Filters {
  q: string;
  from: string;
  to: string;
  category: string[];
  walletId: string[];
  flow: string[];
  tag: string[];
}

function filtersFromHash(): Filters {
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return {
    q: query.get('q') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    category: query.getAll('category'),
    walletId: query.getAll('walletId'),
    flow: query.getAll('flow'),
    tag: query.getAll('tag'),
  };
}

function toQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.q.trim()) query.set('q', filters.q.trim());
  if (filters.from) query.set('from', filters.from);
  if (filters.to) query.set('to', filters.to);
  for (const key of ['category', 'walletId', 'flow', 'tag'] as const) {
    for (const value of filters[key]) query.append(key, value);
  }
  return query;
}

function Row(props: { tx: Transaction; onChanged(): void }): JSX.Element {
  const app = useApp();
  const { tx } = props;
  const [pending, setPending] = useState<string>();
  const [error, setError] = useState<string>();
  // "As a rule for this merchant": the transaction now, and the merchant's later ones by a rule.
  const [asRule, setAsRule] = useState(false);
  const wallet = app.wallets.find((w) => w.id === tx.walletId);
  const negative = tx.flow === 'spend';

  async function recategorize(category: string) {
    setError(undefined);
    setPending(category);
    try {
      await json('analytics', `/v1/transactions/${encodeURIComponent(tx.id)}/recategorize`, {
        body: { category, scope: 'transaction' },
      });
    } catch (e) {
      setPending(undefined);
      setError(e instanceof ApiError ? e.message : 'Could not recategorize.');
      return;
    }
    try {
      if (asRule) await saveMerchantRule(tx.merchant, category);
      app.notify(
        asRule
          ? `${tx.merchant} moved to ${categoryLabel(category)}, and a rule (Categories) sends its next ones there`
          : `${tx.merchant} moved to ${categoryLabel(category)}`,
      );
    } catch (e) {
      setError(
        `Moved, but the rule was not saved: ${e instanceof ApiError ? e.message : 'try again.'}`,
      );
    }
    props.onChanged();
  }

  async function saveTags(text: string) {
    setError(undefined);
    const tags = text
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    try {
      await json('analytics', `/v1/transactions/${encodeURIComponent(tx.id)}`, {
        method: 'PATCH',
        body: { tags },
      });
      app.notify('Tags saved');
      props.onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not save the tags.');
    }
  }

  // The leaf when the pipeline found one (coffee under food), else the top-level category.
  const shown =
    pending ?? (tx.subcategory && !tx.subcategory.includes('.') ? tx.subcategory : tx.category);
  return (
    <tr data-tx={tx.id} class={tx.status === 'reversed' ? 'reversed' : ''}>
      <td class="date">{formatDate(tx.localDate, app.me.timeZone, app.locale)}</td>
      <td>
        <span class="merchant">{tx.merchant}</span>
        <span class="muted small">
          <span class="phone-only">{formatDate(tx.localDate, app.me.timeZone, app.locale)} · </span>
          {wallet?.name ?? ''}
        </span>
      </td>
      <td>
        <select
          aria-label={`Category of ${tx.merchant}`}
          value={shown}
          onChange={(e) => void recategorize((e.currentTarget as HTMLSelectElement).value)}
        >
          {!app.categories.ids.has(shown) && <option value={shown}>{categoryLabel(shown)}</option>}
          <CategoryOptions />
        </select>
        <label class="small scope">
          <input
            type="checkbox"
            checked={asRule}
            disabled={!tx.merchant}
            onChange={(e) => setAsRule((e.currentTarget as HTMLInputElement).checked)}
          />
          as a rule for this merchant
        </label>
        {pending && pending !== tx.category && pending !== tx.subcategory && (
          <span class="muted small"> updating…</span>
        )}
      </td>
      <td>
        {app.features.tags ? (
          <input
            class="tags"
            aria-label={`Tags of ${tx.merchant}`}
            defaultValue={tx.tags.join(', ')}
            placeholder="tags"
            onKeyDown={(e) => {
              if (e.key === 'Enter') void saveTags((e.currentTarget as HTMLInputElement).value);
            }}
          />
        ) : (
          tx.tags.map((t) => (
            <span key={t} class="chip">
              {t}
            </span>
          ))
        )}
      </td>
      <td class={negative ? 'amount negative' : 'amount positive'}>
        {formatMoney(
          {
            amount: (negative ? -BigInt(tx.amount.amount) : BigInt(tx.amount.amount)).toString(),
            currency: tx.amount.currency,
          },
          app.locale,
        )}
        <ErrorText message={error} small />
      </td>
    </tr>
  );
}

function Import(props: { onDone(): void }): JSX.Element {
  const app = useApp();
  const wallets = app.wallets.filter((w) => !w.archived && w.role !== 'viewer');
  const [progress, setProgress] = useState<{ phase: string; fraction: number }>();
  const [result, setResult] = useState<string>();
  const [error, setError] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const file = form.get('file') as File | null;
    const wallet = wallets.find((w) => w.id === form.get('walletId'));
    if (!file || file.size === 0 || !wallet) {
      setError('Choose a wallet and a file.');
      return;
    }
    setError(undefined);
    setResult(undefined);
    const format = /\.(ofx|qfx)$/i.test(file.name)
      ? file.name.toLowerCase().endsWith('.qfx')
        ? 'qfx'
        : 'ofx'
      : 'csv';
    const query = new URLSearchParams({ format, timeZone: app.me.timeZone, partial: 'true' });
    if (format === 'csv') {
      query.set(
        'mapping',
        JSON.stringify({
          header: true,
          columns: {
            date: String(form.get('dateColumn') || 'date'),
            amount: String(form.get('amountColumn') || 'amount'),
            description: String(form.get('descriptionColumn') || 'description'),
          },
          dateFormat: String(form.get('dateFormat') || 'iso'),
          timeZone: app.me.timeZone,
          decimalSeparator: String(form.get('decimalSeparator') || '.'),
          sign: 'negative-is-out',
          currency: wallet.currency,
        }),
      );
    }
    const importId = newKey();
    const token = await accessToken();
    if (token === undefined) return;
    setProgress({ phase: 'Uploading', fraction: 0 });
    // Progress of ingest-api's two passes, asked for while the upload's answer is pending.
    let polling = true;
    const poll = async () => {
      while (polling) {
        await new Promise((r) => setTimeout(r, importPollMs));
        if (!polling) break;
        try {
          const response = await call('ingest', `/v1/imports/${importId}`);
          const status = (await response.json()) as {
            bytesRead?: number;
            rowsRead?: number;
            rowsPublished?: number;
            state?: string;
          };
          if (polling && status.rowsRead) {
            setProgress({
              phase: `Importing: ${status.rowsPublished ?? 0} of ${status.rowsRead} rows`,
              fraction: 0.5 + 0.5 * ((status.rowsPublished ?? 0) / Math.max(1, status.rowsRead)),
            });
          }
        } catch {
          // Not started yet on the server: ask again.
        }
      }
    };
    // XMLHttpRequest: fetch cannot report upload progress.
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(
        'POST',
        url('ingest', `/v1/wallets/${encodeURIComponent(wallet.id)}/imports?${query}`),
      );
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('idempotency-key', importId);
      xhr.setRequestHeader('content-type', format === 'csv' ? 'text/csv' : 'application/x-ofx');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable)
          setProgress({ phase: 'Uploading', fraction: 0.5 * (e.loaded / e.total) });
      };
      xhr.upload.onload = () => void poll();
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
      xhr.onerror = () => resolve({ status: 0, body: '' });
      xhr.send(file);
    });
    polling = false;
    let body: { accepted?: number; duplicate?: number; rejected?: number; detail?: string } = {};
    try {
      body = JSON.parse(answer.body) as typeof body;
    } catch {
      // Handled below through the status.
    }
    if (answer.status === 202 || answer.status === 200) {
      setProgress({ phase: 'Done', fraction: 1 });
      setResult(
        `Imported ${body.accepted ?? 0} new, ${body.duplicate ?? 0} already known, ${body.rejected ?? 0} skipped.`,
      );
      app.bump();
      props.onDone();
    } else {
      setProgress(undefined);
      setError(
        answer.status === 0
          ? 'Cannot reach the server.'
          : (body.detail ?? `Import failed (${answer.status}).`),
      );
    }
  }

  return (
    <form class="card form" onSubmit={submit} aria-labelledby="import-title">
      <h2 id="import-title">Import a bank file</h2>
      <div class="row">
        <WalletSelect name="walletId" label="Wallet" wallets={wallets} />
        <label>
          File (CSV, OFX, QFX)
          <input name="file" type="file" accept=".csv,.ofx,.qfx,text/csv" required />
        </label>
      </div>
      <details>
        <summary>CSV columns</summary>
        <div class="row">
          <label>
            Date column
            <input name="dateColumn" defaultValue="date" />
          </label>
          <label>
            Amount column
            <input name="amountColumn" defaultValue="amount" />
          </label>
          <label>
            Description column
            <input name="descriptionColumn" defaultValue="description" />
          </label>
        </div>
        <div class="row">
          <label>
            Date format
            <input name="dateFormat" defaultValue="iso" />
          </label>
          <label>
            Decimal separator
            <select name="decimalSeparator">
              <option value=".">.</option>
              <option value=",">,</option>
            </select>
          </label>
        </div>
      </details>
      {progress && (
        <div class="import-progress">
          <div
            class="progress ok"
            role="progressbar"
            aria-label="Import progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(progress.fraction * 100)}
          >
            <span class="progress-fill" style={{ width: `${progress.fraction * 100}%` }} />
          </div>
          <span class="small">{progress.phase}</span>
        </div>
      )}
      {result && (
        <p class="success" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <button type="submit" class="primary">
        Import
      </button>
    </form>
  );
}

export function TransactionsPage(): JSX.Element {
  const app = useApp();
  const [filters, setFilters] = useState<Filters>(filtersFromHash);
  const [answer, setAnswer] = useState<SearchAnswer>();
  const [more, setMore] = useState<Transaction[]>([]);
  const [error, setError] = useState<string>();
  const [refresh, setRefresh] = useState(0);
  const qInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    const query = toQuery(filters);
    query.set('facets', 'true');
    query.set('limit', String(pageSize));
    json<SearchAnswer>('analytics', `/v1/transactions?${query}`, {
      signal: controller.signal,
    }).then(
      (a) => {
        setAnswer(a);
        setMore([]);
        setError(undefined);
      },
      (e: unknown) => {
        if ((e as Error).name !== 'AbortError')
          setError(e instanceof ApiError ? e.message : 'Search failed.');
      },
    );
    return () => controller.abort();
  }, [filters, app.tick, refresh]);

  // A recategorization is applied by the stream jobs within a second or so: look again shortly.
  const changed = () => {
    for (const ms of [800, 2000, 4000]) setTimeout(() => setRefresh((n) => n + 1), ms);
  };

  const toggle = (key: 'category' | 'walletId' | 'flow' | 'tag', value: string) => {
    const values = filters[key].includes(value)
      ? filters[key].filter((v) => v !== value)
      : [...filters[key], value];
    setFilters({ ...filters, [key]: values });
  };

  async function loadMore() {
    if (!answer?.nextCursor) return;
    const query = toQuery(filters);
    query.set('limit', String(pageSize));
    query.set('cursor', answer.nextCursor);
    const page = await json<SearchAnswer>('analytics', `/v1/transactions?${query}`);
    setMore([...more, ...page.items]);
    setAnswer({ ...answer, nextCursor: page.nextCursor });
  }

  async function exportCsv() {
    try {
      const response = await call('analytics', `/v1/transactions/export?${toQuery(filters)}`);
      const blob = await response.blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'spendstream-transactions.csv';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Export failed.');
    }
  }

  const facetLabel = (key: string, value: string) =>
    key === 'category'
      ? categoryLabel(value)
      : key === 'wallet'
        ? (app.wallets.find((w) => w.id === value)?.name ?? value.slice(0, 8))
        : value;

  const rows = [...(answer?.items ?? []), ...more];
  return (
    <section aria-labelledby="tx-title">
      <div class="page-head">
        <h1 id="tx-title">Transactions</h1>
        <button type="button" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </div>
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...filters, q: qInput.current?.value ?? '' });
        }}
      >
        <input
          ref={qInput}
          name="q"
          type="search"
          aria-label="Search transactions"
          placeholder="Search merchant, note…"
          defaultValue={filters.q}
        />
        <input
          type="date"
          aria-label="From"
          value={filters.from}
          onChange={(e) =>
            setFilters({ ...filters, from: (e.currentTarget as HTMLInputElement).value })
          }
        />
        <input
          type="date"
          aria-label="To"
          value={filters.to}
          onChange={(e) =>
            setFilters({ ...filters, to: (e.currentTarget as HTMLInputElement).value })
          }
        />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      {answer?.facets && (
        <div class="facets" aria-label="Filters">
          {(['category', 'wallet', 'flow', 'tag'] as const).map((key) =>
            (answer.facets?.[key] ?? []).length === 0 ? null : (
              <div key={key} class="facet-group" role="group" aria-label={key}>
                {(answer.facets?.[key] ?? []).map((f) => {
                  const filterKey = key === 'wallet' ? 'walletId' : key;
                  const active = filters[filterKey].includes(f.value);
                  return (
                    <button
                      key={f.value}
                      type="button"
                      class={active ? 'chip active' : 'chip'}
                      aria-pressed={active}
                      onClick={() => toggle(filterKey, f.value)}
                    >
                      {facetLabel(key, f.value)} <span class="count">{f.count}</span>
                    </button>
                  );
                })}
              </div>
            ),
          )}
        </div>
      )}
      <ErrorText message={error} />
      <p class="muted" aria-live="polite">
        {answer ? `${answer.total} transaction${answer.total === 1 ? '' : 's'}` : 'Loading…'}
      </p>
      <div class="table-wrap">
        <table class="transactions">
          <thead>
            <tr>
              <th scope="col" class="date">
                Date
              </th>
              <th scope="col">Merchant</th>
              <th scope="col">Category</th>
              <th scope="col">Tags</th>
              <th scope="col" class="amount">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((tx) => (
              <Row
                key={`${tx.id}:${tx.category}:${tx.subcategory ?? ''}`}
                tx={tx}
                onChanged={changed}
              />
            ))}
          </tbody>
        </table>
      </div>
      {answer?.nextCursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
      <Import onDone={changed} />
    </section>
  );
}
