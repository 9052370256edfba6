// The home page: every profile, most recently seen first, with search, a site filter and "Load more".
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ProfileSummary } from '../../wire.ts';
import { type ApiError, api, isAbort } from './api.ts';
import { ErrorNotice, Loading, PageTitle, RelativeTime, StageBadge } from './components.tsx';
import { touchLabel, who } from './format.ts';
import { Onboarding } from './onboarding.tsx';
import { BASE, Link, navigate, useLocation } from './router.tsx';
import { toApiError, useRequest } from './use-request.ts';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

function listHref(q: string, site: string): string {
  const search = new URLSearchParams();
  if (q) search.set('q', q);
  if (site) search.set('site', site);
  const s = search.toString();
  return `${BASE}/profiles${s ? `?${s}` : ''}`;
}

// The profile page's back link returns to the list as the user left it (search and filter kept).
let lastListHref = `${BASE}/profiles`;
export function profilesListHref(): string {
  return lastListHref;
}

interface ListState {
  profiles: ProfileSummary[] | null;
  nextCursor: string | null;
  loading: boolean;
  error: ApiError | null;
}

export function ProfilesPage() {
  const { query, href } = useLocation();
  const q = (query.get('q') ?? '').trim();
  const site = query.get('site') ?? '';
  lastListHref = href;

  const [text, setText] = useState(q);
  // Back/forward changes ?q=; keep the box in step unless it already says the same.
  useEffect(() => {
    setText((current) => (current.trim() === q ? current : q));
  }, [q]);
  // Typing updates ?q= once the user pauses; replaceState so each keystroke is not a history entry.
  useEffect(() => {
    if (text.trim() === q) return;
    const timer = setTimeout(() => navigate(listHref(text.trim(), site), { replace: true }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, q, site]);

  const [sites] = useRequest((signal) => api.sites(signal), []);
  const [list, setList] = useState<ListState>({
    profiles: null,
    nextCursor: null,
    loading: true,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const more = useRef<AbortController | null>(null);
  // After "Load more" the button may vanish; focus moves to the first new row instead of being lost.
  const focusRow = useRef<number | null>(null);
  const table = useRef<HTMLTableElement>(null);
  const [moreState, setMoreState] = useState<{ loading: boolean; error: ApiError | null }>({
    loading: false,
    error: null,
  });
  useEffect(() => {
    const controller = new AbortController();
    more.current?.abort();
    setMoreState({ loading: false, error: null });
    setList((prev) => ({ ...prev, loading: true, error: null }));
    api.profiles({ q, site, limit: PAGE_SIZE }, controller.signal).then(
      (reply) =>
        setList({ profiles: reply.profiles, nextCursor: reply.nextCursor, loading: false, error: null }),
      (err) => {
        if (!isAbort(err)) setList((prev) => ({ ...prev, loading: false, error: toApiError(err) }));
      },
    );
    return () => controller.abort();
  }, [q, site, attempt]);

  const loadMore = () => {
    if (!list.nextCursor || moreState.loading) return;
    const controller = new AbortController();
    more.current = controller;
    setMoreState({ loading: true, error: null });
    api.profiles({ q, site, cursor: list.nextCursor, limit: PAGE_SIZE }, controller.signal).then(
      (reply) => {
        setList((prev) => {
          // New events can move a profile between pages; show each profile once.
          const seen = new Set(prev.profiles?.map((p) => p.id));
          const added = reply.profiles.filter((p) => !seen.has(p.id));
          if (added.length) focusRow.current = prev.profiles?.length ?? 0;
          return { ...prev, profiles: [...(prev.profiles ?? []), ...added], nextCursor: reply.nextCursor };
        });
        setMoreState({ loading: false, error: null });
      },
      (err) => {
        if (!isAbort(err)) setMoreState({ loading: false, error: toApiError(err) });
      },
    );
  };

  useEffect(() => {
    if (focusRow.current === null) return;
    table.current?.querySelectorAll<HTMLAnchorElement>('.row-link')[focusRow.current]?.focus();
    focusRow.current = null;
  }, [list.profiles]);

  const siteList = sites.status === 'ready' ? sites.data.sites : [];
  const { profiles } = list;

  return (
    <>
      <div class="page-head">
        <PageTitle title="Profiles">Profiles</PageTitle>
        <search>
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              navigate(listHref(text.trim(), site), { replace: true });
            }}
          >
            <label class="field field-inline">
              <span class="visually-hidden">Search profiles</span>
              <input
                type="search"
                placeholder="Search email, name or id"
                value={text}
                onInput={(e) => setText(e.currentTarget.value)}
                aria-controls="profiles-results"
              />
            </label>
            {siteList.length > 1 ? (
              <label class="field field-inline">
                <span class="visually-hidden">Site</span>
                <select
                  value={site}
                  onChange={(e) => navigate(listHref(q, e.currentTarget.value), { replace: true })}
                >
                  <option value="">All sites</option>
                  {siteList.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </form>
        </search>
      </div>

      <div id="profiles-results" aria-busy={list.loading}>
        {list.error ? <ErrorNotice error={list.error} retry={() => setAttempt((n) => n + 1)} /> : null}
        {profiles === null ? (
          list.loading ? (
            <Loading label="Loading profiles…" />
          ) : null
        ) : profiles.length === 0 ? (
          list.loading ? (
            <Loading label="Searching…" />
          ) : q ? (
            <div class="empty">
              <h2>Nothing matched “{q}”</h2>
              <p>No profile has an email, name or id containing that text.</p>
              <button type="button" class="button" onClick={() => setText('')}>
                Clear search
              </button>
            </div>
          ) : (
            <Onboarding sites={sites} siteId={site} onRecheck={() => setAttempt((n) => n + 1)} />
          )
        ) : (
          <>
            <p class="muted result-count" role="status">
              {list.loading
                ? 'Updating…'
                : `${profiles.length}${list.nextCursor ? '+' : ''} ${profiles.length === 1 ? 'profile' : 'profiles'}${q ? ` matching “${q}”` : ''}`}
            </p>
            <ProfileTable profiles={profiles} stale={list.loading} tableRef={table} />
            {list.nextCursor || moreState.error ? (
              <div class="load-more">
                {moreState.error ? <ErrorNotice error={moreState.error} /> : null}
                {list.nextCursor ? (
                  <button
                    type="button"
                    class="button"
                    onClick={loadMore}
                    disabled={moreState.loading}
                    aria-busy={moreState.loading}
                  >
                    {moreState.loading ? 'Loading…' : 'Load more'}
                  </button>
                ) : null}
              </div>
            ) : null}
          </>
        )}
      </div>
    </>
  );
}

function ProfileTable({
  profiles,
  stale,
  tableRef,
}: {
  profiles: ProfileSummary[];
  stale: boolean;
  tableRef: RefObject<HTMLTableElement | null>;
}) {
  return (
    <table ref={tableRef} class={`profiles${stale ? ' stale' : ''}`}>
      <caption class="visually-hidden">Profiles, most recently seen first</caption>
      <thead>
        <tr>
          <th scope="col">Who</th>
          <th scope="col">Stage</th>
          <th scope="col">First touch</th>
          <th scope="col">Last seen</th>
          <th scope="col" class="num">
            Events
          </th>
        </tr>
      </thead>
      <tbody>
        {profiles.map((profile) => {
          const name = who(profile);
          return (
            <tr key={profile.id}>
              <th scope="row" class="who">
                <Link
                  class={`row-link${name.anonymous ? ' anonymous' : ''}`}
                  href={`${BASE}/profiles/${encodeURIComponent(profile.id)}`}
                >
                  {name.label}
                </Link>
              </th>
              <td class="stage">
                <StageBadge stage={profile.stage} />
              </td>
              <td class="source" data-label="First touch">
                {touchLabel(profile.firstTouch)}
              </td>
              <td class="seen" data-label="Last seen">
                <RelativeTime iso={profile.lastSeen} />
              </td>
              <td class="num events" data-label="Events">
                {profile.eventCount.toLocaleString()}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
