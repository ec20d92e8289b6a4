/** Log in and sign up: one form each, errors said plainly next to the form. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, login, register } from '../api.js';
import { ErrorText, InitialSelect } from '../ui.js';

const currencies = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'INR', 'AUD', 'BRL', 'KWD'];

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function guessCurrency(): string {
  const region = new Intl.Locale(navigator.language).maximize().region;
  const byRegion: Record<string, string> = {
    US: 'USD',
    GB: 'GBP',
    JP: 'JPY',
    CH: 'CHF',
    IN: 'INR',
    AU: 'AUD',
    BR: 'BRL',
    KW: 'KWD',
  };
  return (region && byRegion[region]) || 'EUR';
}

export function AuthPage(props: { onSignedIn(): void }): JSX.Element {
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    setError(undefined);
    setBusy(true);
    try {
      if (mode === 'signup') {
        if (password.length < 10)
          throw new ApiError(400, 'validation_failed', 'Use a password of at least 10 characters.');
        await register({
          email,
          password,
          displayName: String(form.get('displayName') ?? '').trim() || email.split('@')[0]!,
          homeCurrency: String(form.get('homeCurrency') ?? 'EUR'),
          timeZone: String(form.get('timeZone') ?? browserZone()),
        });
      } else {
        await login(email, password);
      }
      props.onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth" id="main">
      <h1 class="brand">Spendstream</h1>
      <p class="tagline">Where your money goes, live.</p>
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'login'}
          onClick={() => {
            setMode('login');
            setError(undefined);
          }}
        >
          Log in
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'signup'}
          onClick={() => {
            setMode('signup');
            setError(undefined);
          }}
        >
          Sign up
        </button>
      </div>
      <form
        class="card form"
        onSubmit={submit}
        aria-label={mode === 'login' ? 'Log in' : 'Sign up'}
      >
        {mode === 'signup' && (
          <label>
            Name
            <input name="displayName" autoComplete="name" required maxLength={100} />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'signup' ? 10 : 1}
          />
        </label>
        {mode === 'signup' && (
          <div class="row">
            <label>
              Currency
              <InitialSelect name="homeCurrency" initial={guessCurrency()}>
                {currencies.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </InitialSelect>
            </label>
            <label>
              Time zone
              <input name="timeZone" defaultValue={browserZone()} required />
            </label>
          </div>
        )}
        <ErrorText message={error} />
        <button type="submit" class="primary" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
