// Speed to lead in the inbox: the leads no one has answered yet with how long each has waited, and beside an
// open conversation who the visitor is (first touch, stage, score, owner), this session's pages and the page
// they are on now, read again every few seconds while the conversation is open.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type {
  ConversationContextReply,
  InboxChange,
  InboxLeadsReply,
  SeenPage,
  UnansweredLead,
} from '../../wire.ts';
import { type ApiError, isAbort, type User } from './api.ts';
import { ErrorNotice, Loading, RelativeTime, StageBadge } from './components.tsx';
import { ageText, durationText } from './duration.ts';
import { channelLabel, formatClock, formatExact, safeHref, shortId, who } from './format.ts';
import { inboxApi } from './inbox-api.ts';
import { useInboxChanges } from './inbox-store.ts';
import { BASE, Link } from './router.tsx';
import './speed.css';
import { toApiError } from './use-request.ts';

/**
 * The list is read again this often (ages move on), and after a message: at once for an answer, and again once
 * the collector's automation round (every 250 ms) has had time to start a new lead's clock.
 */
const LEADS_REFRESH_MS = 20_000;
const LEADS_AFTER_CHANGE_MS = [300, 2_000];
/** The open conversation's context is read this often while the tab is visible, else rarely. */
const CONTEXT_POLL_MS = 3_000;
const CONTEXT_POLL_HIDDEN_MS = 30_000;
const SHOWN_LEADS = 20;

/** Who the lead is, named as the conversation list names them when they have no email or name. */
function leadLabel(lead: UnansweredLead): string {
  if (!lead.email && !lead.name && lead.anonymousId) return `Visitor ${shortId(lead.anonymousId)}`;
  return who({ ...lead, id: lead.profileId }).label;
}

const profileHref = (id: string) => `${BASE}/profiles/${encodeURIComponent(id)}`;
const since = (iso: string) => Date.now() - Date.parse(iso);

export function UnansweredLeads({
  current,
  href,
}: {
  current: string | null;
  /** The inbox link to a conversation (keeps the list's open/closed tab). */
  href: (conversationId: string) => string;
}) {
  const [reply, setReply] = useState<InboxLeadsReply | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const soon = useRef<() => void>(() => {});
  useEffect(() => {
    const controller = new AbortController();
    let timers: ReturnType<typeof setTimeout>[] = [];
    const load = () => {
      inboxApi.leads({ limit: SHOWN_LEADS }, controller.signal).then(
        (r) => {
          setReply(r);
          setError(null);
        },
        (err) => {
          if (!isAbort(err)) setError(toApiError(err));
        },
      );
    };
    load();
    const every = setInterval(load, LEADS_REFRESH_MS);
    soon.current = () => {
      timers.forEach(clearTimeout);
      timers = LEADS_AFTER_CHANGE_MS.map((ms) => setTimeout(load, ms));
    };
    return () => {
      controller.abort();
      clearInterval(every);
      timers.forEach(clearTimeout);
    };
  }, [attempt]);
  // A new message may start a clock (the automation round runs just after it) or answer one.
  useInboxChanges(
    useCallback((change: InboxChange) => {
      if (change.kind === 'message') soon.current();
    }, []),
  );

  const total = reply?.total ?? 0;
  return (
    <section class="inbox-leads" aria-labelledby="inbox-leads-title">
      <h2 id="inbox-leads-title" class="inbox-leads-title">
        Waiting for an answer
        {total ? (
          <span class="count">
            {total.toLocaleString()}
            <span class="visually-hidden"> {total === 1 ? 'lead' : 'leads'}</span>
          </span>
        ) : null}
      </h2>
      {error && !reply ? (
        <ErrorNotice error={error} retry={() => setAttempt((n) => n + 1)} />
      ) : !reply ? (
        <Loading label="Loading leads…" />
      ) : reply.leads.length === 0 ? (
        <p class="muted small inbox-leads-empty">
          No lead is waiting: every form and chat has had an answer from someone on the team.
        </p>
      ) : (
        <>
          <ul aria-label="Unanswered leads, oldest first">
            {reply.leads.map((lead) => {
              const mine = lead.conversationId !== null && lead.conversationId === current;
              return (
                <li key={lead.profileId}>
                  <Link
                    href={lead.conversationId ? href(lead.conversationId) : profileHref(lead.profileId)}
                    class={`lead-link${lead.overdue ? ' overdue' : ''}${mine ? ' current' : ''}`}
                    aria-current={mine ? 'page' : undefined}
                  >
                    <span class="lead-who">{leadLabel(lead)}</span>
                    <span class="lead-age" title={`Waiting since ${formatExact(lead.startedAt)}`}>
                      <span class="visually-hidden">waiting </span>
                      {ageText(since(lead.startedAt))}
                      {lead.overdue ? <span class="visually-hidden">, over 5 minutes</span> : null}
                    </span>
                    <span class="lead-meta">
                      {lead.startKind === 'chat_started' ? 'Chat' : 'Form'} · {lead.channel}
                      {lead.conversationId ? '' : ' · no conversation, opens the profile'}
                    </span>
                  </Link>
                </li>
              );
            })}
          </ul>
          {total > reply.leads.length ? (
            <p class="muted small inbox-leads-more">
              The {reply.leads.length} waiting longest; {(total - reply.leads.length).toLocaleString()} more.
            </p>
          ) : null}
        </>
      )}
      {error && reply ? <p class="muted small inbox-leads-more">Not updated: {error.message}</p> : null}
    </section>
  );
}

/** Beside an open conversation: who the visitor is and where they are, read again every few seconds. */
export function VisitorContext({ id, user }: { id: string; user: User }) {
  const [context, setContext] = useState<ConversationContextReply | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const poll = () => {
      inboxApi
        .context(id, controller.signal)
        .then(
          (r) => {
            setContext(r);
            setError(null);
          },
          (err) => {
            if (!isAbort(err)) setError(toApiError(err));
          },
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(poll, document.hidden ? CONTEXT_POLL_HIDDEN_MS : CONTEXT_POLL_MS);
        });
    };
    poll();
    // Back to a hidden tab: read now rather than at the slow pace.
    const onVisible = () => {
      if (document.hidden) return;
      clearTimeout(timer);
      poll();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [id, attempt]);
  // A message in this conversation (an answer, an email typed in the chat) changes what is shown: read at once.
  useInboxChanges(
    useCallback(
      (change: InboxChange) => {
        if (change.conversation.id === id && change.kind === 'message') setAttempt((n) => n + 1);
      },
      [id],
    ),
  );

  if (!context) {
    if (error?.status === 404) return null;
    return (
      <aside class="thread-context" aria-label="About the visitor">
        {error ? (
          <ErrorNotice error={error} retry={() => setAttempt((n) => n + 1)} />
        ) : (
          <Loading label="Loading the visitor…" />
        )}
      </aside>
    );
  }
  const { profile, lead, pages, currentPage } = context;
  return (
    <aside class="thread-context" aria-label="About the visitor">
      <section class="context-now" aria-label="Current page">
        <h3>
          <span class="live-dot on" aria-hidden="true" /> Now on
        </h3>
        {currentPage ? (
          <PageLine page={currentPage} />
        ) : (
          <p class="muted small">No page seen from this browser yet.</p>
        )}
      </section>
      {profile ? (
        <dl class="context-facts" aria-label="Lead">
          <dt>Profile</dt>
          <dd>
            <Link href={profileHref(profile.id)}>{who(profile).label}</Link>
          </dd>
          <dt>Stage</dt>
          <dd>
            <StageBadge stage={profile.stage} />
          </dd>
          <dt>Lead score</dt>
          <dd class="num">{profile.leadScore.toLocaleString(undefined, { maximumFractionDigits: 1 })}</dd>
          <dt>Lead owner</dt>
          <dd>
            {profile.ownerId === null ? (
              <span class="muted">Nobody</span>
            ) : profile.ownerId === user.id ? (
              'You'
            ) : (
              (profile.ownerEmail ?? 'a removed user')
            )}
          </dd>
          <dt>First touch</dt>
          <dd>{channelLabel(profile.firstTouch)}</dd>
          <dt>Answer</dt>
          <dd>
            {!lead ? (
              <span class="muted">Not a lead yet</span>
            ) : lead.answeredAt ? (
              `Answered in ${durationText(Date.parse(lead.answeredAt) - Date.parse(lead.startedAt))}`
            ) : (
              <span class={lead.overdue ? 'lead-waiting' : undefined}>
                Waiting {ageText(since(lead.startedAt))}
                {lead.overdue ? ', over 5 minutes' : ''}
              </span>
            )}
          </dd>
        </dl>
      ) : (
        <p class="muted small">No profile yet: it is made from the visitor's first stored event.</p>
      )}
      <section aria-label="Pages this session">
        <h3>
          This session{' '}
          <span class="context-count">
            · {pages.length} {pages.length === 1 ? 'page' : 'pages'}
          </span>
        </h3>
        {pages.length ? (
          <ol class="session-pages">
            {pages.map((p, i) => (
              <li key={`${p.at}-${i}`}>
                <span class="page-name" title={p.url ?? undefined}>
                  {p.title ?? p.path ?? p.url}
                </span>
                <time dateTime={p.at} title={formatExact(p.at)}>
                  {formatClock(p.at)}
                </time>
                {p.title && p.path ? <span class="context-page-path">{p.path}</span> : null}
              </li>
            ))}
          </ol>
        ) : (
          <p class="muted small">No pages since the visitor's last half-hour pause.</p>
        )}
      </section>
      {error ? <p class="muted small">Not updated: {error.message}</p> : null}
    </aside>
  );
}

/** A page the visitor sent, as text; its link only when it is http(s). */
function PageLine({ page }: { page: SeenPage }) {
  const href = safeHref(page.url);
  const name = page.title ?? page.path ?? page.url ?? 'A page';
  return (
    <p class="context-page">
      {href ? (
        <a class="context-page-title" href={href} target="_blank" rel="noopener noreferrer nofollow">
          {name}
        </a>
      ) : (
        <span class="context-page-title">{name}</span>
      )}
      {page.path && page.path !== name ? <span class="context-page-path">{page.path}</span> : null}
      <span class="muted small">
        <RelativeTime iso={page.at} />
      </span>
    </p>
  );
}
