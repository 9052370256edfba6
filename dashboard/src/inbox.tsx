// The live inbox: conversations as they change (SSE through inbox-store.ts), one conversation's messages,
// reply, close or reopen, and assign; the leads no one has answered yet, and beside a conversation who the
// visitor is and the page they are on now. Loaded lazily: most mornings start on the overview.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage, ConversationSummary, InboxChange, UserSummary } from '../../wire.ts';
import { type ApiError, api, isAbort, type User } from './api.ts';
import { ErrorNotice, Loading, PageTitle, RelativeTime } from './components.tsx';
import { formatClock, formatDay, shortId } from './format.ts';
import { UnansweredLeads, VisitorContext } from './inbox-leads.tsx';
import { unreadTotal, upsertConversation, useInbox, useInboxChanges } from './inbox-store.ts';
import { BASE, Link, useLocation } from './router.tsx';
import { settingsApi } from './settings-api.ts';
import { type RequestState, toApiError, useRequest } from './use-request.ts';

type Users = RequestState<{ users: UserSummary[] }>;

/** "you" for the signed-in user, else the user's email; a removed user is said so. */
function assigneeName(id: string, user: User, users: Users): string {
  if (id === user.id) return 'you';
  const found = users.status === 'ready' ? users.data.users.find((u) => u.id === id) : undefined;
  return found ? found.email : users.status === 'ready' ? 'a removed user' : 'another user';
}

export function conversationLabel(c: ConversationSummary): string {
  return c.email ?? `Visitor ${shortId(c.anonymousId)}`;
}

const inboxHref = (id: string | null, status: string) =>
  `${BASE}/inbox${id ? `/${encodeURIComponent(id)}` : ''}${status === 'closed' ? '?status=closed' : ''}`;

export function InboxPage({ id, user }: { id: string | null; user: User }) {
  const inbox = useInbox();
  const { query } = useLocation();
  const status = query.get('status') === 'closed' ? 'closed' : 'open';
  const shown = inbox.conversations.filter((c) => c.status === status);
  const unread = unreadTotal(inbox.conversations);
  const [users, retryUsers] = useRequest((signal) => settingsApi.users(signal), []);
  return (
    <>
      <div class="page-head">
        <PageTitle title={unread ? `Inbox (${unread})` : 'Inbox'}>Inbox</PageTitle>
        <p class="muted live" role="status">
          <span class={`live-dot${inbox.live ? ' on' : ''}`} aria-hidden="true" />
          {inbox.live ? 'Live' : 'Connecting…'}
        </p>
      </div>
      <div class={`inbox${id ? ' has-thread' : ''}`}>
        <div class="inbox-side">
          <UnansweredLeads current={id} href={(conversation) => inboxHref(conversation, status)} />
          <nav class="inbox-list" aria-label="Conversations">
            <div class="tabs" role="group" aria-label="Show">
              {(['open', 'closed'] as const).map((s) => (
                <Link
                  key={s}
                  href={inboxHref(id, s)}
                  class={`tab${status === s ? ' current' : ''}`}
                  aria-current={status === s ? 'page' : undefined}
                >
                  {s === 'open' ? 'Open' : 'Closed'}
                </Link>
              ))}
            </div>
            {inbox.error ? <ErrorNotice error={inbox.error} /> : null}
            {!inbox.loaded ? (
              <Loading label="Loading conversations…" />
            ) : shown.length === 0 ? (
              <div class="empty empty-small">
                <h2>{status === 'open' ? 'No open conversations' : 'No closed conversations'}</h2>
                {status === 'open' ? (
                  <p>
                    When a visitor writes in the chat on your site, the conversation appears here at once.
                    Turn the chat on under <Link href={`${BASE}/settings`}>Settings</Link>.
                  </p>
                ) : null}
              </div>
            ) : (
              <ul>
                {shown.map((c) => (
                  <li key={c.id}>
                    <Link
                      href={inboxHref(c.id, status)}
                      class={`conversation-link${c.id === id ? ' current' : ''}${c.unread ? ' unread' : ''}`}
                      aria-current={c.id === id ? 'page' : undefined}
                    >
                      <span class="conversation-who">{conversationLabel(c)}</span>
                      {c.unread ? (
                        <span class="count">
                          {c.unread}
                          <span class="visually-hidden"> unread</span>
                        </span>
                      ) : null}
                      <span class="conversation-last">{c.lastMessage?.text ?? ''}</span>
                      <span class="conversation-meta">
                        <RelativeTime iso={c.updatedAt} />
                        {c.assigneeId
                          ? c.assigneeId === user.id
                            ? ' · yours'
                            : ` · ${assigneeName(c.assigneeId, user, users)}`
                          : ''}
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </nav>
        </div>
        <section class="inbox-thread" aria-label="Conversation">
          {id ? (
            <Thread key={id} id={id} user={user} users={users} retryUsers={retryUsers} status={status} />
          ) : (
            <p class="muted thread-placeholder">Choose a conversation.</p>
          )}
        </section>
      </div>
    </>
  );
}

interface ThreadProps {
  id: string;
  user: User;
  users: Users;
  retryUsers: () => void;
  status: string;
}

function Thread({ id, user, users, retryUsers, status }: ThreadProps) {
  const inbox = useInbox();
  const conversation = inbox.conversations.find((c) => c.id === id) ?? null;
  const [messages, setMessages] = useState<ChatMessage[] | null>(null);
  const [loaded, setLoaded] = useState<ConversationSummary | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const list = useRef<HTMLOListElement>(null);

  const load = useCallback(
    (signal?: AbortSignal) =>
      api.conversation(id, signal).then(
        (reply) => {
          setMessages(reply.messages);
          setLoaded(reply.conversation);
          setError(null);
          // Opening a conversation reads it.
          if (reply.conversation.unread)
            api.conversationAction(id, 'read').then(
              (r) => upsertConversation(r.conversation),
              () => {},
            );
        },
        (err) => {
          if (!isAbort(err)) setError(toApiError(err));
        },
      ),
    [id],
  );
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => controller.abort();
  }, [load, attempt]);
  useInboxChanges(
    useCallback(
      (change: InboxChange) => {
        if (change.conversation.id === id && change.kind === 'message') load();
      },
      [id, load],
    ),
  );
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages]);

  const current = conversation ?? loaded;
  if (error && error.status === 404)
    return <p class="muted thread-placeholder">This conversation does not exist.</p>;
  if (error) return <ErrorNotice error={error} retry={() => setAttempt((n) => n + 1)} />;
  if (!current || !messages) return <Loading label="Loading conversation…" />;

  let lastDay = '';
  return (
    <>
      <header class="thread-head">
        <Link class="back-link thread-back" href={inboxHref(null, status)}>
          <span aria-hidden="true">←</span> Conversations
        </Link>
        <h2>{conversationLabel(current)}</h2>
        {current.email ? (
          <Link class="thread-profile" href={`${BASE}/profiles?q=${encodeURIComponent(current.email)}`}>
            Find the profile
          </Link>
        ) : null}
        <ThreadActions conversation={current} user={user} users={users} retryUsers={retryUsers} />
      </header>
      <div class="thread-body">
        <div class="thread-main">
          <ol class="messages" ref={list} aria-label="Messages" tabIndex={0}>
            {messages.map((m) => {
              const day = formatDay(m.at);
              const showDay = day !== lastDay;
              lastDay = day;
              return (
                <li key={m.id} class={`message message-${m.author}`}>
                  {showDay ? <p class="message-day">{day}</p> : null}
                  <div class="bubble">
                    <span class="visually-hidden">
                      {m.author === 'visitor'
                        ? 'Visitor'
                        : m.author === 'agent'
                          ? 'Agent'
                          : 'Automatic reply'}
                      :{' '}
                    </span>
                    {m.text}
                  </div>
                  <time class="message-time" dateTime={m.at}>
                    {m.author === 'auto' ? 'auto-reply · ' : ''}
                    {formatClock(m.at)}
                  </time>
                </li>
              );
            })}
          </ol>
          <ReplyBox
            id={id}
            closed={current.status === 'closed'}
            onSent={(m) => setMessages((ms) => (ms?.some((x) => x.id === m.id) ? ms : [...(ms ?? []), m]))}
          />
        </div>
        <VisitorContext id={id} user={user} />
      </div>
    </>
  );
}

function ThreadActions({
  conversation,
  user,
  users,
  retryUsers,
}: {
  conversation: ConversationSummary;
  user: User;
  users: Users;
  retryUsers: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = (action: () => Promise<{ conversation: ConversationSummary }>) => {
    setBusy(true);
    setError(null);
    action().then(
      (r) => {
        upsertConversation(r.conversation);
        setBusy(false);
      },
      (err) => {
        setError(toApiError(err));
        setBusy(false);
      },
    );
  };
  const closed = conversation.status === 'closed';
  const assignee = conversation.assigneeId;
  // You first, then everyone else by email; an assignee no longer in the list still shows.
  const others =
    users.status === 'ready'
      ? users.data.users.filter((u) => u.id !== user.id).sort((a, b) => a.email.localeCompare(b.email))
      : [];
  const listed = !assignee || assignee === user.id || others.some((u) => u.id === assignee);
  const selectId = `assignee-${conversation.id}`;
  return (
    <div class="thread-actions">
      <div class="field field-inline assign">
        <label for={selectId}>Assigned to</label>
        <select
          id={selectId}
          value={assignee ?? ''}
          disabled={busy}
          aria-busy={busy}
          onChange={(e) => {
            const value = e.currentTarget.value || null;
            if (value !== assignee) run(() => api.assign(conversation.id, value));
          }}
        >
          <option value="">Nobody</option>
          <option value={user.id}>Me ({user.email})</option>
          {others.map((u) => (
            <option key={u.id} value={u.id}>
              {u.email}
            </option>
          ))}
          {listed ? null : <option value={assignee}>{assigneeName(assignee, user, users)}</option>}
        </select>
      </div>
      <button
        type="button"
        class="button button-small"
        disabled={busy}
        onClick={() => run(() => api.conversationAction(conversation.id, closed ? 'reopen' : 'close'))}
      >
        {closed ? 'Reopen' : 'Close'}
      </button>
      {error ? <ErrorNotice error={error} /> : null}
      {users.status === 'error' ? <ErrorNotice error={users.error} retry={retryUsers} /> : null}
    </div>
  );
}

function ReplyBox({ id, closed, onSent }: { id: string; closed: boolean; onSent: (m: ChatMessage) => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const send = () => {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(null);
    api.reply(id, body).then(
      (r) => {
        setText('');
        setBusy(false);
        onSent(r.message);
      },
      (err) => {
        setError(toApiError(err));
        setBusy(false);
      },
    );
  };
  return (
    <form
      class="reply"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {error ? <ErrorNotice error={error} /> : null}
      <label class="visually-hidden" for="reply-text">
        Reply
      </label>
      <textarea
        id="reply-text"
        rows={3}
        maxLength={4000}
        placeholder={
          closed ? 'This conversation is closed; you can still reply.' : 'Write a reply… (Ctrl+Enter sends)'
        }
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="button button-primary" disabled={busy || !text.trim()}>
        {busy ? 'Sending…' : 'Send'}
      </button>
    </form>
  );
}
