// The dashboard's only door to the admin API: same-origin JSON fetches, one error type, one 401 hook.
import type {
  ApiErrorBody,
  AttributionReply,
  LtvReply,
  ChatMessage,
  ChatSettings,
  FormDefinition,
  FormInput,
  StripeSettingsReply,
  UnmatchedPaymentsReply,
  ConversationReply,
  ConversationSummary,
  InboxReply,
  OverviewReply,
  ProfileReply,
  TimelineReply,
  ProfileSort,
  ProfileStatus,
  ProfilesReply,
  SiteSummary,
  SortOrder,
  Stage,
} from '../../wire.ts';

export interface User {
  id: string;
  email: string;
  /** A member works with profiles, the inbox and automation rules; settings and webhooks are an admin's. */
  role?: 'admin' | 'member';
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
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** The login form handles its own 401 (bad credentials) instead of being sent to the login page. */
  redirectOn401?: boolean;
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** One admin API call; settings-api.ts (in the lazy settings chunk) builds its calls on it. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
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
  setupOpen: (token: string, signal?: AbortSignal) =>
    request<{ open: boolean }>(`/api/setup?token=${encodeURIComponent(token)}`, {
      signal,
      redirectOn401: false,
    }),
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
    params: ProfileFilters & {
      sort?: ProfileSort | '';
      order?: SortOrder | '';
      cursor?: string | null;
      limit?: number;
    },
    signal?: AbortSignal,
  ) => {
    const search = new URLSearchParams();
    if (params.q) search.set('q', params.q);
    if (params.site) search.set('site', params.site);
    if (params.stage) search.set('stage', params.stage);
    if (params.status) search.set('status', params.status);
    if (params.channel) search.set('channel', params.channel);
    if (params.reached) search.set('reached', params.reached);
    if (params.from) search.set('from', params.from);
    if (params.to) search.set('to', params.to);
    if (params.sort) search.set('sort', params.sort);
    if (params.order) search.set('order', params.order);
    if (params.cursor) search.set('cursor', params.cursor);
    search.set('limit', String(params.limit ?? 50));
    return request<ProfilesReply>(`/api/profiles?${search}`, { signal });
  },
  profile: (id: string, signal?: AbortSignal) =>
    request<ProfileReply>(`/api/profiles/${encodeURIComponent(id)}`, { signal }),
  olderEvents: (id: string, before: string) =>
    request<TimelineReply>(
      `/api/profiles/${encodeURIComponent(id)}/timeline?before=${encodeURIComponent(before)}`,
    ),
  overview: (params: { from?: string; to?: string; site?: string }, signal?: AbortSignal) =>
    request<OverviewReply>(`/api/overview?${query(params)}`, { signal }),
  attribution: (params: { from?: string; to?: string; site?: string }, signal?: AbortSignal) =>
    request<AttributionReply>(`/api/attribution?${query(params)}`, { signal }),
  ltv: (params: { from?: string; to?: string; site?: string }, signal?: AbortSignal) =>
    request<LtvReply>(`/api/attribution/ltv?${query(params)}`, { signal }),
  inbox: (signal?: AbortSignal) => request<InboxReply>('/api/inbox', { signal }),
  conversation: (id: string, signal?: AbortSignal) =>
    request<ConversationReply>(`/api/inbox/${encodeURIComponent(id)}`, { signal }),
  reply: (id: string, text: string) =>
    request<{ message: ChatMessage }>(`/api/inbox/${encodeURIComponent(id)}/messages`, {
      method: 'POST',
      body: { text },
    }),
  /** close, reopen or read (marks every visitor message read). */
  conversationAction: (id: string, action: 'close' | 'reopen' | 'read') =>
    request<{ conversation: ConversationSummary }>(`/api/inbox/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
    }),
  assign: (id: string, userId: string | null) =>
    request<{ conversation: ConversationSummary }>(`/api/inbox/${encodeURIComponent(id)}/assign`, {
      method: 'POST',
      body: { userId },
    }),
  forms: (siteId: string, signal?: AbortSignal) =>
    request<{ forms: FormDefinition[] }>(`/api/sites/${encodeURIComponent(siteId)}/forms`, { signal }),
  saveForm: (siteId: string, id: string | null, form: FormInput) =>
    request<{ form: FormDefinition }>(
      `/api/sites/${encodeURIComponent(siteId)}/forms${id ? `/${encodeURIComponent(id)}` : ''}`,
      { method: id ? 'PUT' : 'POST', body: form },
    ),
  deleteForm: (siteId: string, id: string) =>
    request<{ deleted: true }>(`/api/sites/${encodeURIComponent(siteId)}/forms/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    }),
  chatSettings: (siteId: string, signal?: AbortSignal) =>
    request<{ chat: ChatSettings | null }>(`/api/sites/${encodeURIComponent(siteId)}/chat`, { signal }),
  saveChatSettings: (siteId: string, chat: ChatSettings) =>
    request<{ chat: ChatSettings }>(`/api/sites/${encodeURIComponent(siteId)}/chat`, {
      method: 'PUT',
      body: chat,
    }),
  stripe: (siteId: string, signal?: AbortSignal) =>
    request<StripeSettingsReply>(`/api/sites/${encodeURIComponent(siteId)}/stripe`, { signal }),
  unmatchedPayments: (siteId: string, signal?: AbortSignal) =>
    request<UnmatchedPaymentsReply>(`/api/payments/unmatched?site=${encodeURIComponent(siteId)}`, { signal }),
  attachPayment: (paymentId: string, profileId: string) =>
    request<{ ok: true }>(`/api/payments/${encodeURIComponent(paymentId)}/attach`, {
      method: 'POST',
      body: { profileId },
    }),
  saveStripe: (siteId: string, secret: string | null) =>
    request<StripeSettingsReply>(`/api/sites/${encodeURIComponent(siteId)}/stripe`, {
      method: 'PUT',
      body: { secret },
    }),
  /** Merges `otherId` into `id`; answers with the surviving profile. */
  merge: (id: string, otherId: string, reason: string) =>
    request<ProfileReply>(`/api/profiles/${encodeURIComponent(id)}/merge`, {
      method: 'POST',
      body: { otherId, reason },
    }),
  /** Undoes a merge by revoking the link that caused it. */
  revokeLink: (linkId: string, reason: string) =>
    request<{ ok: true }>(`/api/links/${encodeURIComponent(linkId)}/revoke`, {
      method: 'POST',
      body: { reason },
    }),
  answerProposal: (linkId: string, accept: boolean) =>
    request<{ ok: true }>(`/api/merge-proposals/${encodeURIComponent(linkId)}`, {
      method: 'POST',
      body: { accept },
    }),
  reviewReferral: (id: string, messageId: string, approve: boolean) =>
    request<ProfileReply>(
      `/api/profiles/${encodeURIComponent(id)}/referrals/${encodeURIComponent(messageId)}/review`,
      { method: 'POST', body: { approve } },
    ),
  setStage: (id: string, stage: Stage, reason: string) =>
    request<ProfileReply>(`/api/profiles/${encodeURIComponent(id)}/stage`, {
      method: 'POST',
      body: { stage, reason },
    }),
};

export interface ProfileFilters {
  q?: string;
  site?: string;
  stage?: Stage | '';
  status?: ProfileStatus | '';
  channel?: string;
  /** The funnel's cohort: profiles that reached this stage (or went past it), first seen from…to (days). */
  reached?: Stage | '';
  from?: string;
  to?: string;
}

/** A query string from the params that have a value. */
function query(params: Record<string, string | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  return search.toString();
}
