// The automation API calls (rules, follow-up tasks, outbound webhooks, what is available). Kept out of api.ts
// so they load with the lazy automations chunk; only `tasks` and `updateTask` also serve the profile page.
import type {
  AutomationRule,
  FollowUpTask,
  FormDefinition,
  RuleFiring,
  RuleInput,
  UserSummary,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEventType,
} from '../../wire.ts';
import { request } from './api.ts';

const site = (id: string) => `/api/sites/${encodeURIComponent(id)}`;
const rule = (id: string) => `/api/rules/${encodeURIComponent(id)}`;
const endpoint = (id: string) => `/api/webhooks/${encodeURIComponent(id)}`;

export type TaskStatus = 'open' | 'done' | 'all';

export interface AvailabilityReply {
  email: { available: boolean; reason?: string };
}

export interface EndpointInput {
  url: string;
  events: WebhookEventType[];
  enabled?: boolean;
}

export const automationsApi = {
  availability: (signal?: AbortSignal) => request<AvailabilityReply>('/api/automations', { signal }),
  users: (signal?: AbortSignal) => request<{ users: UserSummary[] }>('/api/users', { signal }),
  forms: (siteId: string, signal?: AbortSignal) =>
    request<{ forms: FormDefinition[] }>(`${site(siteId)}/forms`, { signal }),

  rules: (siteId: string, signal?: AbortSignal) =>
    request<{ rules: AutomationRule[] }>(`${site(siteId)}/rules`, { signal }),
  rule: (id: string, signal?: AbortSignal) =>
    request<{ rule: AutomationRule; firings: RuleFiring[] }>(rule(id), { signal }),
  createRule: (siteId: string, input: RuleInput) =>
    request<{ rule: AutomationRule }>(`${site(siteId)}/rules`, { method: 'POST', body: input }),
  /** The whole rule is sent: PUT replaces it. */
  saveRule: (id: string, input: RuleInput) =>
    request<{ rule: AutomationRule }>(rule(id), { method: 'PUT', body: input }),
  deleteRule: (id: string) => request<{ deleted: true }>(rule(id), { method: 'DELETE' }),

  tasks: (params: { site?: string; profile?: string; status: TaskStatus }, signal?: AbortSignal) => {
    const search = new URLSearchParams({ status: params.status });
    if (params.site) search.set('site', params.site);
    if (params.profile) search.set('profile', params.profile);
    return request<{ tasks: FollowUpTask[] }>(`/api/tasks?${search}`, { signal });
  },
  updateTask: (id: string, change: { done?: boolean; snoozeHours?: number }) =>
    request<{ task: FollowUpTask }>(`/api/tasks/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: change,
    }),

  endpoints: (siteId: string, signal?: AbortSignal) =>
    request<{ endpoints: WebhookEndpoint[] }>(`${site(siteId)}/webhooks`, { signal }),
  endpoint: (id: string, signal?: AbortSignal) =>
    request<{ endpoint: WebhookEndpoint; deliveries: WebhookDelivery[] }>(endpoint(id), { signal }),
  createEndpoint: (siteId: string, input: EndpointInput) =>
    request<WebhookEndpointCreated>(`${site(siteId)}/webhooks`, { method: 'POST', body: input }),
  updateEndpoint: (id: string, change: Partial<EndpointInput>) =>
    request<{ endpoint: WebhookEndpoint }>(endpoint(id), { method: 'PATCH', body: change }),
  deleteEndpoint: (id: string) => request<{ deleted: true }>(endpoint(id), { method: 'DELETE' }),
  rotateSecret: (id: string) => request<WebhookEndpointCreated>(`${endpoint(id)}/rotate`, { method: 'POST' }),
  testEvent: (id: string) =>
    request<{ delivery: WebhookDelivery }>(`${endpoint(id)}/test`, { method: 'POST' }),
  redeliver: (deliveryId: string) =>
    request<{ delivery: WebhookDelivery }>(
      `/api/webhooks/deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
      { method: 'POST' },
    ),
};
