// The settings-only admin API calls (site rules, creating and editing sites, users, API tokens). Kept out of
// api.ts so they load with the lazy settings chunk, not with the dashboard's first download.
import type {
  SiteCreatedReply,
  SiteRuleSettings,
  SiteSettingsReply,
  SiteSummary,
  TokenCreatedReply,
  TokenSummary,
  UserSummary,
} from '../../wire.ts';
import { request } from './api.ts';

const site = (id: string) => `/api/sites/${encodeURIComponent(id)}`;

export const settingsApi = {
  rules: (siteId: string, signal?: AbortSignal) =>
    request<SiteSettingsReply>(`${site(siteId)}/settings`, { signal }),
  /** Only the fields sent change; the rest of the site's settings stay. */
  saveRules: (
    siteId: string,
    settings: {
      score?: Partial<SiteRuleSettings['score']>;
      identity?: Partial<SiteRuleSettings['identity']>;
      reports?: Partial<SiteRuleSettings['reports']>;
      consent?: Partial<SiteRuleSettings['consent']>;
      privacy?: { retentionDays: number | null };
    },
  ) => request<SiteSettingsReply>(`${site(siteId)}/settings`, { method: 'PUT', body: settings }),
  createSite: (name: string, origins: string[]) =>
    request<SiteCreatedReply>('/api/sites', { method: 'POST', body: { name, origins } }),
  updateSite: (siteId: string, change: { name?: string; origins?: string[] }) =>
    request<{ site: SiteSummary }>(site(siteId), { method: 'PATCH', body: change }),
  users: (signal?: AbortSignal) => request<{ users: UserSummary[] }>('/api/users', { signal }),
  me: (signal?: AbortSignal) => request<{ user: { id: string; email: string } }>('/api/me', { signal }),
  addUser: (email: string, password: string) =>
    request<{ user: UserSummary }>('/api/users', { method: 'POST', body: { email, password } }),
  removeUser: (id: string) =>
    request<{ deleted: true }>(`/api/users/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  tokens: (signal?: AbortSignal) => request<{ tokens: TokenSummary[] }>('/api/tokens', { signal }),
  createToken: (name: string) =>
    request<TokenCreatedReply>('/api/tokens', { method: 'POST', body: { name } }),
  revokeToken: (id: string) =>
    request<{ deleted: true }>(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};
