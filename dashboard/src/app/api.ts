/**
 * The three public APIs, same origin: `api/wallet`, `api/ingest`, `api/analytics` (relative, so the
 * app works under any path prefix of a reverse proxy that routes them). The access token lives in
 * this module's memory only. Behind the dashboard server the refresh token is an httpOnly cookie
 * the page cannot read; behind another proxy it stays in memory (a reload then asks to log in).
 */

export type Service = 'wallet' | 'ingest' | 'analytics';

/** Refresh this long before the access token expires, so no call races its expiry. */
export const refreshMarginMs = 30_000;
/** The non-secret marker cookie that tells the page a refresh cookie may exist. */
export const sessionMarkerCookie = 'spendstream_session';

/** A problem+json answer (or a network failure) as a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface Tokens {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  refreshTokenIn?: 'cookie';
}

interface Session {
  accessToken: string;
  expiresAt: number;
  /** Only when no dashboard server keeps it in a cookie. */
  refreshToken?: string;
}

let session: Session | undefined;
let refreshing: Promise<boolean> | undefined;
const sessionListeners = new Set<(signedIn: boolean) => void>();

export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function setSession(tokens: Tokens | undefined): void {
  const was = session !== undefined;
  session = tokens && {
    accessToken: tokens.accessToken,
    expiresAt: Date.now() + tokens.expiresIn * 1000,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
  };
  if (was !== (session !== undefined)) for (const l of sessionListeners) l(session !== undefined);
}

export function url(service: Service, path: string): string {
  return `api/${service}${path}`;
}

const friendly: Record<string, string> = {
  unauthorized: 'Your session has ended: please log in again.',
  rate_limited: 'Too many attempts. Wait a little and try again.',
  unavailable: 'The service is not answering right now. Try again in a moment.',
  insufficient_funds: 'Not enough money in that wallet.',
  internal: 'Something went wrong on the server.',
};

/** Turns a failed answer into an ApiError with the API's own detail. */
export async function problemFrom(response: Response): Promise<ApiError> {
  let body: { code?: string; detail?: string; title?: string; field?: string } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not JSON: the status alone speaks.
  }
  const code = body.code ?? `http_${response.status}`;
  const retry = response.headers.get('retry-after');
  let message =
    body.detail ?? body.title ?? friendly[code] ?? `Request failed (${response.status})`;
  if (code === 'rate_limited') message = friendly.rate_limited!;
  if (code === 'rate_limited' && retry) message += ` (about ${retry} s)`;
  if (code === 'unavailable' && response.status === 502) message = friendly.unavailable!;
  return new ApiError(response.status, code, message, body.field);
}

async function send(input: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
  }
}

function hasSessionMarker(): boolean {
  return document.cookie.split(';').some((c) => c.trim().startsWith(`${sessionMarkerCookie}=`));
}

/** One refresh at a time; resolves false when there is no session to refresh. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const body = session?.refreshToken ? { refreshToken: session.refreshToken } : {};
      if (!session?.refreshToken && !hasSessionMarker()) {
        setSession(undefined);
        return false;
      }
      const response = await send(url('wallet', '/v1/auth/refresh'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
      if (!response.ok) {
        setSession(undefined);
        return false;
      }
      setSession((await response.json()) as Tokens);
      return true;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** A valid access token, refreshed when about to expire; undefined when signed out. */
export async function accessToken(): Promise<string | undefined> {
  if (session && session.expiresAt - Date.now() > refreshMarginMs) return session.accessToken;
  if (!(await refresh())) return undefined;
  return session?.accessToken;
}

export function signedIn(): boolean {
  return session !== undefined;
}

/** Calls an API with the bearer token; one refresh and retry on a 401. */
export async function call(
  service: Service,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken();
    if (token === undefined) throw new ApiError(401, 'unauthorized', friendly.unauthorized!);
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    const response = await send(url(service, path), { ...init, headers });
    if (response.status === 401 && attempt === 0) {
      session = session && { ...session, expiresAt: 0 };
      continue;
    }
    if (!response.ok) throw await problemFrom(response);
    return response;
  }
}

/** JSON in, JSON out. */
export async function json<T>(
  service: Service,
  path: string,
  options: { method?: string; body?: unknown; idempotencyKey?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  const response = await call(service, path, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.status === 204 || response.status === 202) {
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return (await response.json()) as T;
}

export async function login(email: string, password: string): Promise<void> {
  const response = await send(url('wallet', '/v1/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    credentials: 'same-origin',
  });
  if (response.status === 401) {
    throw new ApiError(401, 'unauthorized', 'Wrong email or password.');
  }
  if (!response.ok) throw await problemFrom(response);
  setSession((await response.json()) as Tokens);
}

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
  homeCurrency: string;
  timeZone: string;
}

export async function register(input: RegisterInput): Promise<void> {
  const response = await send(url('wallet', '/v1/auth/register'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (!response.ok) {
    const error = await problemFrom(response);
    if (error.status === 409) {
      throw new ApiError(
        409,
        error.code,
        'An account with this email exists: log in instead.',
        'email',
      );
    }
    throw error;
  }
  await login(input.email, input.password);
}

export async function logout(): Promise<void> {
  try {
    const token = await accessToken();
    if (token !== undefined) {
      await send(url('wallet', '/v1/auth/logout'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(session?.refreshToken ? { refreshToken: session.refreshToken } : {}),
        credentials: 'same-origin',
      });
    }
  } finally {
    setSession(undefined);
  }
}

/** A fresh Idempotency-Key for one intended write (kept while the form is retried). */
export function newKey(): string {
  return crypto.randomUUID();
}
