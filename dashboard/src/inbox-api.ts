// The inbox's speed-to-lead calls: the leads no one has answered yet, and what to show beside a conversation.
import type { ConversationContextReply, InboxLeadsReply } from '../../wire.ts';
import { request } from './api.ts';

export const inboxApi = {
  leads: (params: { site?: string; limit?: number } = {}, signal?: AbortSignal) => {
    const search = new URLSearchParams();
    if (params.site) search.set('site', params.site);
    if (params.limit) search.set('limit', String(params.limit));
    const q = search.toString();
    return request<InboxLeadsReply>(`/api/inbox/leads${q ? `?${q}` : ''}`, { signal });
  },
  context: (id: string, signal?: AbortSignal) =>
    request<ConversationContextReply>(`/api/inbox/${encodeURIComponent(id)}/context`, { signal }),
};
