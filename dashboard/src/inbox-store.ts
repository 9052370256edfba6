// Live inbox state shared by the navigation's unread count and the inbox page: one SSE stream of changes
// (opened first, so nothing falls between it and the list fetch), then the list; every change replaces the
// conversation it names.
import { useEffect, useState } from 'preact/hooks';
import type { ConversationSummary, InboxChange } from '../../wire.ts';
import { type ApiError, api } from './api.ts';
import { toApiError } from './use-request.ts';

export interface InboxState {
  conversations: ConversationSummary[];
  loaded: boolean;
  error: ApiError | null;
  /** Connected to the live stream right now. */
  live: boolean;
}

let state: InboxState = { conversations: [], loaded: false, error: null, live: false };
const listeners = new Set<() => void>();
const changeListeners = new Set<(change: InboxChange) => void>();
let source: EventSource | null = null;
let users = 0;

function set(next: Partial<InboxState>) {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

const byRecent = (a: ConversationSummary, b: ConversationSummary) =>
  a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0;

/** Puts a conversation as it is now into the list (a reply's or an action's answer, or a stream change). */
export function upsertConversation(conversation: ConversationSummary) {
  const rest = state.conversations.filter((c) => c.id !== conversation.id);
  set({ conversations: [conversation, ...rest].sort(byRecent) });
}

function load() {
  api.inbox().then(
    (reply) => set({ conversations: reply.conversations.sort(byRecent), loaded: true, error: null }),
    (err) => set({ error: toApiError(err), loaded: true }),
  );
}

function connect() {
  source = new EventSource('/api/inbox/stream');
  let first = true;
  source.addEventListener('ready', () => {
    set({ live: true });
    // After a reconnect the stream replays from Last-Event-ID; only the first connect needs the list.
    if (first) load();
    first = false;
  });
  source.addEventListener('conversation', (event) => {
    const change = JSON.parse((event as MessageEvent<string>).data) as InboxChange;
    upsertConversation(change.conversation);
    for (const listener of changeListeners) listener(change);
  });
  source.addEventListener('error', () => set({ live: false }));
}

/** Keeps the stream open while at least one component uses the inbox. */
export function useInbox(): InboxState {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    if (users++ === 0) connect();
    return () => {
      listeners.delete(listener);
      if (--users === 0) {
        source?.close();
        source = null;
        state = { conversations: [], loaded: false, error: null, live: false };
      }
    };
  }, []);
  return state;
}

/** Calls `listener` with every change the stream brings while the caller is mounted. */
export function useInboxChanges(listener: (change: InboxChange) => void) {
  useEffect(() => {
    changeListeners.add(listener);
    return () => {
      changeListeners.delete(listener);
    };
  }, [listener]);
}

export function unreadTotal(conversations: ConversationSummary[]): number {
  return conversations.reduce((n, c) => n + (c.status === 'open' ? c.unread : 0), 0);
}
