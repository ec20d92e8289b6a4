/**
 * The app shell: session restore (through the refresh cookie), hash routes (so the static build
 * works behind any server without rewrite rules), the live connection, notifications and the quick
 * add dialog ("n" opens it from anywhere).
 */
import { render, type JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, json, logout, onSessionChange, refresh, signedIn } from './api.js';
import {
  AppContext,
  type Alert,
  type AppState,
  type LiveState,
  type Me,
  type Notice,
  type Transaction,
  type Wallet,
} from './context.js';
import { alertText, formatMoney } from './format.js';
import {
  categoryTreeOf,
  emptyCategoryTree,
  type CategoryEntry,
  type CategoryTree,
} from './categories.js';
import { AuthPage } from './pages/auth.js';
import { BudgetsPage } from './pages/budgets.js';
import { CategoriesPage } from './pages/categories.js';
import { OverviewPage } from './pages/overview.js';
import { TransactionsPage } from './pages/transactions.js';
import { WalletsPage } from './pages/wallets.js';
import { QuickAdd } from './quick-add.js';
import { openStream } from './sse.js';
import './styles.css';

/** How long a notification stays. */
const noticeMs = 6_000;
/** Without a transaction stream, how often the newest transactions are looked at. */
const pollMs = 3_000;
/** New transactions arriving within this window share one notification. */
const noticeGroupMs = 1_000;
/** Shortest time between two refetches caused by live events. */
const bumpIntervalMs = 1_000;
/** At most this many notifications at once. */
const noticesMax = 4;

const routes = ['overview', 'transactions', 'budgets', 'categories', 'wallets'] as const;
type Route = (typeof routes)[number];

function currentRoute(): Route {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] as Route;
  return routes.includes(name) ? name : 'overview';
}

function Shell(props: { me: Me }): JSX.Element {
  const [route, setRoute] = useState<Route>(currentRoute);
  const [wallets, setWallets] = useState<Wallet[]>([]);
  const [tick, setTick] = useState(0);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [quickAdd, setQuickAdd] = useState(false);
  const [live, setLive] = useState<LiveState>('connecting');
  const [features, setFeatures] = useState({ tags: false, transactionStream: false });
  // analytics-api's category tree; the screens wait for it (or for its failure) so that forms
  // open with their options.
  const [categories, setCategories] = useState<CategoryTree>();
  const nextNotice = useRef(1);
  const locale = navigator.language || undefined;

  const notify = useCallback((text: string, kind: Notice['kind'] = 'info') => {
    const id = nextNotice.current++;
    setNotices((list) => [...list.slice(-(noticesMax - 1)), { id, text, kind }]);
    setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), noticeMs);
  }, []);
  // Screens refetch on each tick: at most one tick per bumpIntervalMs, however many events arrive
  // (the generator of `npm run demo` sends dozens a second).
  const lastBump = useRef(0);
  const bumpTimer = useRef<number | undefined>(undefined);
  // Offline, a refetch could only fail: it waits for the browser to be back online.
  const bumpWhenOnline = useRef(false);
  const bump = useCallback(() => {
    if (bumpTimer.current !== undefined) return;
    const wait = Math.max(0, lastBump.current + bumpIntervalMs - Date.now());
    bumpTimer.current = window.setTimeout(() => {
      bumpTimer.current = undefined;
      if (!navigator.onLine) {
        bumpWhenOnline.current = true;
        return;
      }
      lastBump.current = Date.now();
      setTick((t) => t + 1);
    }, wait);
  }, []);
  useEffect(() => {
    const onOnline = () => {
      if (!bumpWhenOnline.current) return;
      bumpWhenOnline.current = false;
      bump();
    };
    window.addEventListener('online', onOnline);
    return () => window.removeEventListener('online', onOnline);
  }, []);
  const reloadWallets = useCallback(async () => {
    try {
      const answer = await json<{ items: Wallet[] }>('wallet', '/v1/wallets?limit=200');
      setWallets(answer.items);
    } catch (error) {
      // The screens say what failed; a later tick tries again.
      if (error instanceof ApiError && error.status !== 0) notify(error.message, 'error');
    }
  }, []);

  const loadCategories = useCallback(async () => {
    try {
      const answer = await json<{ categories: CategoryEntry[] }>('analytics', '/v1/categories');
      setCategories(categoryTreeOf(answer.categories));
    } catch (error) {
      // Without the tree the screens still work (labels from the ids); the next tick asks again.
      setCategories((current) => current ?? emptyCategoryTree);
      if (error instanceof ApiError && error.status !== 0) notify(error.message, 'error');
    }
  }, []);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    void loadCategories();
    window.addEventListener('hashchange', onHash);
    void reloadWallets();
    // Optional routes other services may add: ask their OpenAPI documents.
    json<{ paths: Record<string, Record<string, unknown>> }>('analytics', '/openapi.json').then(
      (doc) =>
        setFeatures({
          tags: Boolean(doc.paths['/v1/transactions/{id}']?.patch),
          transactionStream: Boolean(doc.paths['/v1/transactions/stream']),
        }),
      () => undefined,
    );
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (
        e.key === 'n' &&
        !e.ctrlKey &&
        !e.metaKey &&
        !e.altKey &&
        !/INPUT|SELECT|TEXTAREA/.test(target.tagName) &&
        !target.isContentEditable
      ) {
        e.preventDefault();
        setQuickAdd(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  // Alerts, live: a notification, and every screen refetches.
  useEffect(() => {
    const stream = openStream('analytics', '/v1/alerts/stream', {
      onState: setLive,
      onEvent(event) {
        if (event.event !== 'alert') return;
        const alert = JSON.parse(event.data) as Alert;
        notify(alertText(alert, locale), 'alert');
        bump();
      },
    });
    return () => stream.close();
  }, []);

  // New transactions, live: the transaction stream when analytics-api offers one, else a poll of
  // the newest transactions while the page is visible.
  useEffect(() => {
    const seen = new Set<string>();
    let first = true;
    // New transactions are told in one notification per second at most: a burst (an import, a
    // bank's batch) is one line, not a wall of them.
    let fresh: Transaction[] = [];
    let freshTimer: number | undefined;
    const tell = () => {
      freshTimer = undefined;
      const latest = fresh[fresh.length - 1];
      if (!latest) return;
      const signed = latest.flow === 'spend' ? `-${latest.amount.amount}` : latest.amount.amount;
      const line = `${latest.merchant} ${formatMoney({ amount: signed, currency: latest.amount.currency }, locale)}`;
      notify(
        fresh.length === 1 ? `New: ${line}` : `${fresh.length} new transactions, the last: ${line}`,
      );
      fresh = [];
    };
    const announce = (tx: Transaction) => {
      if (seen.has(tx.id)) return;
      seen.add(tx.id);
      if (first) return;
      fresh.push(tx);
      freshTimer ??= window.setTimeout(tell, noticeGroupMs);
    };
    if (features.transactionStream) {
      // The stream has no replay: every (re)connect first reads the newest transactions, so what
      // happened while disconnected is on screen, then follows the stream.
      const catchUp = async () => {
        try {
          const answer = await json<{ items: Transaction[] }>(
            'analytics',
            '/v1/transactions?limit=50',
          );
          for (const tx of answer.items) announce(tx);
        } catch {
          // The stream's own reconnect will try again.
        }
        first = false;
        bump();
      };
      const stream = openStream('analytics', '/v1/transactions/stream', {
        onState(s) {
          if (s === 'open') void catchUp();
        },
        onEvent(event) {
          if (event.event !== 'transaction') return;
          try {
            announce(JSON.parse(event.data) as Transaction);
          } catch {
            // Not a transaction: ignore it.
          }
          bump();
        },
      });
      return () => {
        window.clearTimeout(freshTimer);
        stream.close();
      };
    }
    let total: number | undefined;
    let stopped = false;
    const look = async () => {
      if (stopped || document.visibilityState !== 'visible' || !navigator.onLine) return;
      try {
        const answer = await json<{ items: Transaction[]; total: number }>(
          'analytics',
          '/v1/transactions?limit=5',
        );
        const changed = total !== undefined && answer.total !== total;
        total = answer.total;
        for (const tx of [...answer.items].reverse()) announce(tx);
        first = false;
        if (changed) bump();
      } catch {
        // A dropped connection: the next look tries again.
      }
    };
    void look();
    const timer = setInterval(() => void look(), pollMs);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.clearTimeout(freshTimer);
    };
  }, [features.transactionStream]);

  const state: AppState = useMemo(
    () => ({
      me: props.me,
      locale,
      wallets,
      reloadWallets,
      tick,
      bump,
      notify,
      openQuickAdd: () => setQuickAdd(true),
      features,
      categories: categories ?? emptyCategoryTree,
      reloadCategories: loadCategories,
    }),
    [props.me, wallets, tick, features, categories],
  );

  // Balances move with every transaction: refetch them on each tick.
  useEffect(() => {
    if (tick > 0) void reloadWallets();
    if (tick > 0 && categories === emptyCategoryTree) void loadCategories();
  }, [tick]);

  return (
    <AppContext.Provider value={state}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Spendstream</span>
        <nav aria-label="Main">
          {routes.map((r) => (
            <a key={r} href={`#/${r}`} aria-current={route === r ? 'page' : undefined}>
              {r.charAt(0).toUpperCase() + r.slice(1)}
            </a>
          ))}
        </nav>
        <div class="top-right">
          <span class={`live live-${live}`} role="status" title="Live updates">
            {live === 'open'
              ? 'Live'
              : live === 'connecting'
                ? 'Connecting…'
                : live === 'reconnecting'
                  ? 'Reconnecting…'
                  : 'Offline'}
          </span>
          <button
            type="button"
            class="primary add"
            onClick={() => setQuickAdd(true)}
            aria-keyshortcuts="n"
          >
            + Add
          </button>
          <span class="user">{props.me.displayName}</span>
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {categories === undefined ? (
          <p class="muted" role="status">
            Loading…
          </p>
        ) : (
          <>
            {route === 'overview' && <OverviewPage />}
            {route === 'transactions' && <TransactionsPage />}
            {route === 'budgets' && <BudgetsPage />}
            {route === 'categories' && <CategoriesPage />}
            {route === 'wallets' && <WalletsPage />}
          </>
        )}
      </main>
      {quickAdd && categories !== undefined && <QuickAdd onClose={() => setQuickAdd(false)} />}
      <div class="notices" aria-live="polite" aria-atomic="false">
        {notices.map((n) => (
          <div
            key={n.id}
            class={`notice notice-${n.kind}`}
            role={n.kind === 'alert' ? 'alert' : 'status'}
          >
            {n.text}
            <button
              type="button"
              aria-label="Dismiss"
              onClick={() => setNotices((l) => l.filter((x) => x.id !== n.id))}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </AppContext.Provider>
  );
}

function App(): JSX.Element {
  const [phase, setPhase] = useState<'starting' | 'out' | 'in'>('starting');
  const [me, setMe] = useState<Me>();

  const enter = useCallback(async () => {
    setMe(await json<Me>('wallet', '/v1/me'));
    setPhase('in');
  }, []);

  useEffect(() => {
    const off = onSessionChange((inNow) => {
      if (!inNow) {
        setPhase('out');
        setMe(undefined);
      }
    });
    refresh().then(
      (ok) => (ok ? enter() : setPhase('out')),
      () => setPhase('out'),
    );
    return off;
  }, []);

  if (phase === 'starting') return <p class="muted center">Loading…</p>;
  if (phase === 'out' || !me || !signedIn()) return <AuthPage onSignedIn={() => void enter()} />;
  return <Shell me={me} />;
}

render(<App />, document.getElementById('app')!);
