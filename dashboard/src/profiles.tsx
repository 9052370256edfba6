// Every profile, most recently seen first: search, filters (site, stage, status, channel) and the order kept
// in the URL, sorted by the API (last seen, first seen, events, email) with "Load more" paging in that order,
// and a CSV export of exactly what is shown.
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  PROFILE_SORTS,
  PROFILE_STATUSES,
  type ProfileSort,
  type ProfileStatus,
  type ProfileSummary,
  STAGES,
  type SortOrder,
  type Stage,
} from '../../wire.ts';
import { type ApiError, api, isAbort, type ProfileFilters } from './api.ts';
import { ErrorNotice, Loading, PageTitle, RelativeTime, StageBadge } from './components.tsx';
import { CHANNELS, STATUS_LABEL, touchLabel, who } from './format.ts';
import { Onboarding } from './onboarding.tsx';
import { BASE, Link, navigate, useLocation } from './router.tsx';
import { toApiError, useRequest } from './use-request.ts';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

interface ListParams extends ProfileFilters {
  sort?: ProfileSort | '';
  dir?: SortOrder | '';
}

function listHref(params: ListParams): string {
  const search = new URLSearchParams();
  for (const key of [
    'q',
    'site',
    'stage',
    'status',
    'channel',
    'reached',
    'from',
    'to',
    'sort',
    'dir',
  ] as const) {
    const value = params[key];
    if (value) search.set(key, value);
  }
  const s = search.toString();
  return `${BASE}/profiles${s ? `?${s}` : ''}`;
}

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | '' {
  return value && allowed.includes(value as T) ? (value as T) : '';
}

/** A sort's first click: names A→Z, numbers and times largest first. */
const FIRST_ORDER: Record<ProfileSort, SortOrder> = {
  lastSeen: 'desc',
  firstSeen: 'desc',
  eventCount: 'desc',
  email: 'asc',
};

const SORT_OPTIONS: { value: string; label: string }[] = [
  { value: 'lastSeen:desc', label: 'Last seen: newest' },
  { value: 'lastSeen:asc', label: 'Last seen: oldest' },
  { value: 'firstSeen:desc', label: 'First seen: newest' },
  { value: 'firstSeen:asc', label: 'First seen: oldest' },
  { value: 'eventCount:desc', label: 'Events: most' },
  { value: 'eventCount:asc', label: 'Events: fewest' },
  { value: 'email:asc', label: 'Email: A to Z' },
  { value: 'email:desc', label: 'Email: Z to A' },
];

/** One CSV line per shown profile, in the shown order (RFC 4180 quoting). */
export function profilesCsv(profiles: ProfileSummary[]): string {
  const head = [
    'id',
    'email',
    'name',
    'user_id',
    'stage',
    'status',
    'channel',
    'first_touch',
    'score',
    'first_seen',
    'last_seen',
    'events',
  ];
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? '' : String(v);
    // A leading = + - @ would run as a formula in a spreadsheet: prefix it with a quote.
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows = profiles.map((p) =>
    [
      p.id,
      p.email,
      p.name,
      p.userId,
      p.stage,
      p.status ?? '',
      p.channel ?? '',
      p.firstTouch ? touchLabel(p.firstTouch) : '',
      p.leadScore ?? 0,
      p.firstSeen,
      p.lastSeen,
      p.eventCount,
    ]
      .map(cell)
      .join(','),
  );
  return [head.join(','), ...rows].join('\r\n') + '\r\n';
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
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
  const stage = pick<Stage>(query.get('stage'), STAGES);
  const status = pick<ProfileStatus>(query.get('status'), PROFILE_STATUSES);
  const channel = query.get('channel') ?? '';
  const reached = pick<Stage>(query.get('reached'), STAGES);
  const day = (v: string | null) => (v && /^\d{4}-\d\d-\d\d$/.test(v) ? v : '');
  const from = day(query.get('from'));
  const to = day(query.get('to'));
  const sort = pick(query.get('sort'), PROFILE_SORTS);
  const dir = pick(query.get('dir'), ['asc', 'desc'] as const);
  const filters = { q, site, stage, status, channel, reached, from, to };
  const params: ListParams = { ...filters, sort, dir };
  // What the API orders by: no sort in the URL is the API's default, last seen newest first.
  const order = { sort: sort || 'lastSeen', order: dir || (sort ? FIRST_ORDER[sort] : 'desc') } as const;
  const filtered = !!(stage || status || channel || reached || from || to);
  lastListHref = href;

  const [text, setText] = useState(q);
  // Back/forward changes ?q=; keep the box in step unless it already says the same.
  useEffect(() => {
    setText((current) => (current.trim() === q ? current : q));
  }, [q]);
  // Typing updates ?q= once the user pauses; replaceState so each keystroke is not a history entry.
  useEffect(() => {
    if (text.trim() === q) return;
    const timer = setTimeout(
      () => navigate(listHref({ ...params, q: text.trim() }), { replace: true }),
      SEARCH_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [text, q, site, stage, status, channel, reached, from, to, sort, dir]);

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
    api.profiles({ ...filters, ...order, limit: PAGE_SIZE }, controller.signal).then(
      (reply) =>
        setList({ profiles: reply.profiles, nextCursor: reply.nextCursor, loading: false, error: null }),
      (err) => {
        if (!isAbort(err)) setList((prev) => ({ ...prev, loading: false, error: toApiError(err) }));
      },
    );
    return () => controller.abort();
  }, [q, site, stage, status, channel, reached, from, to, sort, dir, attempt]);

  const loadMore = () => {
    if (!list.nextCursor || moreState.loading) return;
    const controller = new AbortController();
    more.current = controller;
    setMoreState({ loading: true, error: null });
    api.profiles({ ...filters, ...order, cursor: list.nextCursor, limit: PAGE_SIZE }, controller.signal).then(
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
  const profiles = list.profiles;
  const setFilter = (change: Partial<ListParams>) =>
    navigate(listHref({ ...params, q: text.trim(), ...change }), { replace: true });

  return (
    <>
      <div class="page-head">
        <PageTitle title="Profiles">Profiles</PageTitle>
        <search>
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setFilter({});
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
                <select value={site} onChange={(e) => setFilter({ site: e.currentTarget.value })}>
                  <option value="">All sites</option>
                  {siteList.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            <label class="field field-inline">
              <span class="visually-hidden">Stage</span>
              <select value={stage} onChange={(e) => setFilter({ stage: e.currentTarget.value as Stage })}>
                <option value="">All stages</option>
                {STAGES.map((s) => (
                  <option key={s} value={s}>
                    {s[0].toUpperCase() + s.slice(1)}
                  </option>
                ))}
              </select>
            </label>
            <label class="field field-inline">
              <span class="visually-hidden">Status</span>
              <select
                value={status}
                onChange={(e) => setFilter({ status: e.currentTarget.value as ProfileStatus })}
              >
                <option value="">Any status</option>
                {PROFILE_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABEL[s]}
                  </option>
                ))}
              </select>
            </label>
            <label class="field field-inline">
              <span class="visually-hidden">Channel</span>
              <select value={channel} onChange={(e) => setFilter({ channel: e.currentTarget.value })}>
                <option value="">All channels</option>
                {CHANNELS.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <label class="field field-inline">
              <span class="visually-hidden">Sort by</span>
              <select
                value={`${order.sort}:${order.order}`}
                onChange={(e) => {
                  const [key, to] = e.currentTarget.value.split(':') as [ProfileSort, SortOrder];
                  setFilter(
                    key === 'lastSeen' && to === 'desc' ? { sort: '', dir: '' } : { sort: key, dir: to },
                  );
                }}
              >
                {SORT_OPTIONS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          </form>
        </search>
      </div>

      {reached || from || to ? (
        <p class="cohort-note" role="note">
          {reached ? (
            <>
              Profiles that reached <StageBadge stage={reached} />
              {reached === 'loyal' ? '' : ' or went past it'}
            </>
          ) : (
            'Profiles'
          )}
          {from || to ? `, first seen ${from || '…'} to ${to || '…'}` : ''}: the overview's funnel count.{' '}
          <Link href={listHref({ ...params, reached: '', from: '', to: '' })}>Show all profiles</Link>
        </p>
      ) : null}

      <div id="profiles-results" aria-busy={list.loading}>
        {list.error ? <ErrorNotice error={list.error} retry={() => setAttempt((n) => n + 1)} /> : null}
        {profiles === null ? (
          list.loading ? (
            <Loading label="Loading profiles…" />
          ) : null
        ) : profiles.length === 0 ? (
          list.loading ? (
            <Loading label="Searching…" />
          ) : q || filtered ? (
            <div class="empty">
              <h2>{q ? `Nothing matched “${q}”` : 'No profile matches these filters'}</h2>
              <p>
                {q
                  ? 'No profile has an email, name or id containing that text'
                  : 'No profile has this stage, status and channel together'}
                {q && filtered ? ' with these filters.' : '.'}
              </p>
              <button
                type="button"
                class="button"
                onClick={() => {
                  setText('');
                  setFilter({ q: '', stage: '', status: '', channel: '', reached: '', from: '', to: '' });
                }}
              >
                {filtered ? 'Clear search and filters' : 'Clear search'}
              </button>
            </div>
          ) : (
            <Onboarding sites={sites} siteId={site} onRecheck={() => setAttempt((n) => n + 1)} />
          )
        ) : (
          <>
            <div class="table-tools">
              <p class="muted result-count" role="status">
                {list.loading
                  ? 'Updating…'
                  : `${profiles.length}${list.nextCursor ? '+' : ''} ${profiles.length === 1 ? 'profile' : 'profiles'}${q ? ` matching “${q}”` : ''}`}
              </p>
              <button
                type="button"
                class="button button-small"
                onClick={() =>
                  download(
                    `touchpoint-profiles-${new Date().toISOString().slice(0, 10)}.csv`,
                    profilesCsv(profiles),
                  )
                }
              >
                Export CSV
              </button>
            </div>
            <ProfileTable
              profiles={profiles}
              stale={list.loading}
              tableRef={table}
              sort={order.sort}
              dir={order.order}
              onSort={(key) => {
                const to = key === order.sort ? (order.order === 'asc' ? 'desc' : 'asc') : FIRST_ORDER[key];
                setFilter(
                  key === 'lastSeen' && to === 'desc' ? { sort: '', dir: '' } : { sort: key, dir: to },
                );
              }}
            />
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

// Columns with a sort ask the API for that order; the others are not sortable across every profile.
const COLUMNS: { label: string; sort?: ProfileSort; num?: boolean }[] = [
  { label: 'Who', sort: 'email' },
  { label: 'Stage' },
  { label: 'Status' },
  { label: 'First touch' },
  { label: 'Score', num: true },
  { label: 'Last seen', sort: 'lastSeen' },
  { label: 'Events', sort: 'eventCount', num: true },
];

const SORT_CAPTION: Record<ProfileSort, Record<SortOrder, string>> = {
  lastSeen: { desc: 'most recently seen first', asc: 'least recently seen first' },
  firstSeen: { desc: 'most recently first seen first', asc: 'earliest first seen first' },
  eventCount: { desc: 'most events first', asc: 'fewest events first' },
  email: { asc: 'by email, A to Z', desc: 'by email, Z to A' },
};

function ProfileTable({
  profiles,
  stale,
  tableRef,
  sort,
  dir,
  onSort,
}: {
  profiles: ProfileSummary[];
  stale: boolean;
  tableRef: RefObject<HTMLTableElement | null>;
  sort: ProfileSort;
  dir: SortOrder;
  onSort: (key: ProfileSort) => void;
}) {
  return (
    <table ref={tableRef} class={`profiles${stale ? ' stale' : ''}`}>
      <caption class="visually-hidden">Profiles, {SORT_CAPTION[sort][dir]}</caption>
      <thead>
        <tr>
          {COLUMNS.map((col) => {
            const key = col.sort;
            const active = !!key && sort === key;
            const order = active ? (dir === 'asc' ? 'ascending' : 'descending') : undefined;
            return (
              <th key={col.label} scope="col" class={col.num ? 'num' : undefined} aria-sort={order}>
                {key ? (
                  <button type="button" class="sort" onClick={() => onSort(key)}>
                    {col.label}
                    <span aria-hidden="true" class="sort-mark">
                      {active ? (dir === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                ) : (
                  col.label
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {profiles.map((profile) => {
          const name = who(profile);
          const status = profile.status ?? 'active';
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
              <td class={`status status-${status}`} data-label="Status">
                {STATUS_LABEL[status]}
              </td>
              <td class="source" data-label="First touch">
                {profile.channel ? <span class="channel">{profile.channel}</span> : null}
                {touchLabel(profile.firstTouch) !== profile.channel ? (
                  <span class="touch-detail">{touchLabel(profile.firstTouch)}</span>
                ) : null}
              </td>
              <td class="num score" data-label="Score">
                {(profile.leadScore ?? 0).toLocaleString()}
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
