// The dashboard's only door to the admin API: same-origin JSON fetches, one error type, one 401 hook.
import type { ApiErrorBody, ProfileReply, ProfilesReply, SiteSummary } from '../../wire.ts';

export interface User {
  id: string;
  email: string;
}

/** Every failed request becomes one of these; `message` is fit to show to the user. */
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

let onUnauthorized: () => void = () => {};

/** The app decides what a 401 means (forget the user, show the login page); api.ts only reports it. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  signal?: AbortSignal;
  /** The login form handles its own 401 (bad credentials) instead of being sent to the login page. */
  redirectOn401?: boolean;
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (method !== 'GET') {
    // A JSON content type on every write also makes a cross-site form post impossible without a preflight.
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(
      0,
      'network',
      'Could not reach the Touchpoint server. Check your connection and try again.',
    );
  }
  if (res.status === 401 && options.redirectOn401 !== false) onUnauthorized();
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(res.status, 'bad_reply', 'The server sent a reply the dashboard could not read.');
  }
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const { error } = (await res.json()) as ApiErrorBody;
    if (error && typeof error.message === 'string') {
      return new ApiError(res.status, error.code || 'error', error.message, error.field);
    }
  } catch {
    // Not our JSON (a proxy's HTML page, an empty body): fall through to a generic message.
  }
  return new ApiError(res.status, 'http', `The server answered ${res.status} ${res.statusText}`.trim());
}

export const api = {
  login: (email: string, password: string) =>
    request<{ user: User }>('/api/login', {
      method: 'POST',
      body: { email, password },
      redirectOn401: false,
    }),
  /** The one-time first-start link: creates the first admin and signs them in. */
  setup: (token: string, email: string, password: string) =>
    request<{ user: User }>('/api/setup', {
      method: 'POST',
      body: { token, email, password },
      redirectOn401: false,
    }),
  logout: () => request<void>('/api/logout', { method: 'POST' }),
  me: (signal?: AbortSignal) => request<{ user: User }>('/api/me', { signal }),
  sites: (signal?: AbortSignal) => request<{ sites: SiteSummary[] }>('/api/sites', { signal }),
  profiles: (
    params: { q?: string; site?: string; cursor?: string | null; limit?: number },
    signal?: AbortSignal,
  ) => {
    const search = new URLSearchParams();
    if (params.q) search.set('q', params.q);
    if (params.site) search.set('site', params.site);
    if (params.cursor) search.set('cursor', params.cursor);
    search.set('limit', String(params.limit ?? 50));
    return request<ProfilesReply>(`/api/profiles?${search}`, { signal });
  },
  profile: (id: string, signal?: AbortSignal) =>
    request<ProfileReply>(`/api/profiles/${encodeURIComponent(id)}`, { signal }),
};
