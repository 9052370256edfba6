// The morning page: for a date range, the lifecycle funnel with stage-to-stage conversion, the median time
// between stages, speed to lead, new leads and customers per day, and which first clicks end in payments.
import { useState } from 'preact/hooks';
import type {
  AttributionModel,
  AttributionReply,
  AttributionRow,
  LtvRow,
  OverviewReply,
  SiteSummary,
} from '../../wire.ts';
import { api } from './api.ts';
import { DailyChart } from './chart.tsx';
import { ErrorNotice, Loading, PageTitle, StageBadge } from './components.tsx';
import { durationText } from './duration.ts';
import { formatMinor } from './format.ts';
import { Onboarding } from './onboarding.tsx';
import { BASE, Link, navigate, useLocation } from './router.tsx';
import './speed.css';
import { type RequestState, useRequest } from './use-request.ts';

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The day (YYYY-MM-DD) an instant falls on in a time zone. */
function isoDayIn(zone: string, ms: number): string {
  try {
    // en-CA writes dates as YYYY-MM-DD
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(ms);
  } catch {
    return isoDay(ms);
  }
}

/** The zone the collector counts these reports in: the site's, or all sites' when they share one, else UTC. */
function reportZone(sites: SiteSummary[], site: string): string {
  const chosen = site ? sites.filter((s) => s.id === site) : sites;
  const zones = new Set(chosen.map((s) => s.timeZone ?? 'UTC'));
  return zones.size === 1 ? [...zones][0] : 'UTC';
}
const PRESETS = [7, 30, 90, 365];

function validDay(value: string | null): string | null {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

function overviewHref(params: Record<string, string>): string {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const s = search.toString();
  return `${BASE}/overview${s ? `?${s}` : ''}`;
}

const percent = (x: number | null) =>
  x === null ? '—' : `${(x * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`;

function daysText(days: number | null): string {
  if (days === null) return '—';
  // Medians come from hourly histograms: the first hour is "under 1 h", never "0 h".
  if (days * 24 < 1) return 'under 1 h';
  if (days < 1) return `${Math.round(days * 24)} h`;
  return `${days.toLocaleString(undefined, { maximumFractionDigits: 1 })} ${days === 1 ? 'day' : 'days'}`;
}

export function OverviewPage() {
  const { query } = useLocation();
  const site = query.get('site') ?? '';
  const [sites] = useRequest((signal) => api.sites(signal), []);
  // Days are the site's days (Settings → Reports): "today" is today in its time zone. The reports wait for
  // the site list, so a range is never asked for in the wrong zone first.
  const zone = sites.status === 'ready' ? reportZone(sites.data.sites, site) : null;
  const today = isoDayIn(zone ?? 'UTC', Date.now());
  // A hand-edited URL with a bad date falls back to the default range instead of breaking the page.
  const to = validDay(query.get('to')) ?? today;
  const from = validDay(query.get('from')) ?? isoDay(Date.parse(to) - 29 * DAY);
  const known = zone !== null || sites.status === 'error';
  const later = <T,>(): Promise<T> => new Promise(() => {});
  const [state, retry] = useRequest(
    (signal) => (known ? api.overview({ from, to, site }, signal) : later<OverviewReply>()),
    [from, to, site, known],
  );
  const [attribution, retryAttribution] = useRequest(
    (signal) => (known ? api.attribution({ from, to, site }, signal) : later<AttributionReply>()),
    [from, to, site, known],
  );
  const set = (change: Record<string, string>) =>
    navigate(overviewHref({ from, to, site, ...change }), { replace: true });
  const siteList = sites.status === 'ready' ? sites.data.sites : [];
  const noEvents = siteList.length === 0 || siteList.every((s) => s.eventCount === 0);

  return (
    <>
      <div class="page-head">
        <PageTitle title="Overview">Overview</PageTitle>
        <form class="range" aria-label="Date range" onSubmit={(e) => e.preventDefault()}>
          <div class="presets" role="group" aria-label="Quick ranges">
            {PRESETS.map((n) => {
              const presetFrom = isoDay(Date.parse(today) - (n - 1) * DAY);
              const current = to === today && from === presetFrom;
              return (
                <button
                  key={n}
                  type="button"
                  class={`button button-small${current ? ' button-current' : ''}`}
                  aria-pressed={current}
                  onClick={() => set({ from: presetFrom, to: today })}
                >
                  {n === 365 ? '1 year' : `${n} days`}
                </button>
              );
            })}
          </div>
          <label class="field field-inline">
            From
            <input
              type="date"
              value={from}
              max={to}
              onChange={(e) => e.currentTarget.value && set({ from: e.currentTarget.value })}
            />
          </label>
          <label class="field field-inline">
            To
            <input
              type="date"
              value={to}
              min={from}
              onChange={(e) => e.currentTarget.value && set({ to: e.currentTarget.value })}
            />
          </label>
          {zone ? (
            <span class="muted range-zone" title="Settings → Reports sets a site's time zone">
              Days in {zone.replace(/_/g, ' ')}
            </span>
          ) : null}
          {siteList.length > 1 ? (
            <label class="field field-inline">
              Site
              <select value={site} onChange={(e) => set({ site: e.currentTarget.value })}>
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
      </div>
      {state.status === 'loading' ? <Loading label="Loading overview…" /> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} retry={retry} /> : null}
      {state.status === 'ready' ? (
        state.data.funnel[0].count === 0 && sites.status === 'ready' && noEvents ? (
          <Onboarding
            sites={sites as RequestState<{ sites: SiteSummary[] }>}
            siteId={site}
            onRecheck={retry}
          />
        ) : (
          <Overview data={state.data} />
        )
      ) : null}
      {state.status === 'ready' && !noEvents ? (
        <Attribution state={attribution} retry={retryAttribution} />
      ) : null}
      {state.status === 'ready' && !noEvents ? <LifetimeValue from={from} to={to} site={site} /> : null}
    </>
  );
}

function Overview({ data }: { data: OverviewReply }) {
  const reach = data.funnel[0].count;
  return (
    <div class="overview">
      <section class="card" aria-labelledby="funnel-title">
        <h2 id="funnel-title">
          Funnel <span class="muted">· profiles first seen in the range, by the furthest stage reached</span>
        </h2>
        {reach === 0 ? (
          <p class="muted">
            No new visitors in this range. Choose a longer range, or{' '}
            <Link href={`${BASE}/profiles`}>see all profiles</Link>.
          </p>
        ) : (
          <ol class="funnel">
            {data.funnel.map((step) => (
              <li key={step.stage}>
                <div class="funnel-label">
                  <StageBadge stage={step.stage} />
                  {step.conversion !== null ? (
                    <span class="funnel-rate" title="Conversion from the stage before">
                      {percent(step.conversion)} of the stage before
                    </span>
                  ) : null}
                </div>
                <div class="funnel-bar">
                  <span
                    class={`funnel-fill fill-${step.stage}`}
                    style={{
                      width: `${Math.max(reach ? (step.count / reach) * 100 : 0, step.count ? 1 : 0)}%`,
                    }}
                  />
                </div>
                <Link
                  class="funnel-count"
                  href={`${BASE}/profiles?${new URLSearchParams({
                    reached: step.stage,
                    from: data.from,
                    to: data.to,
                    ...(data.siteId ? { site: data.siteId } : {}),
                  })}`}
                  aria-label={`${step.count.toLocaleString()} profiles reached ${step.stage}`}
                >
                  {step.count.toLocaleString()}
                </Link>
              </li>
            ))}
          </ol>
        )}
        {data.bots && data.bots.requests > 0 ? (
          <p class="muted note bots-note">
            {data.bots.events.toLocaleString()} {data.bots.events === 1 ? 'page event' : 'page events'} from
            bots and headless browsers were kept out of these counts.
          </p>
        ) : null}
      </section>
      <section class="card" aria-labelledby="times-title">
        <h2 id="times-title">Median time between stages</h2>
        <dl class="intervals">
          {data.intervals.map((iv) => (
            <div key={`${iv.from}-${iv.to}`}>
              <dt>
                <StageBadge stage={iv.from} /> <span aria-hidden="true">→</span>
                <span class="visually-hidden"> to </span> <StageBadge stage={iv.to} />
              </dt>
              <dd>
                <strong>{daysText(iv.medianDays)}</strong>
                <span class="muted">
                  {' '}
                  · {iv.count.toLocaleString()} {iv.count === 1 ? 'profile' : 'profiles'}
                </span>
              </dd>
            </div>
          ))}
        </dl>
        <p class="muted note">
          A stage passed over on the way (a payment before the lead qualified) has no time of its own, so it
          is not timed.
        </p>
      </section>
      {data.speedToLead ? <SpeedToLeadCard speed={data.speedToLead} /> : null}
      <section class="card card-wide" aria-labelledby="chart-title">
        <h2 id="chart-title">New leads and customers per day</h2>
        <DailyChart days={data.days} />
      </section>
    </div>
  );
}

type Speed = NonNullable<OverviewReply['speedToLead']>;

/**
 * Speed to lead: for the leads whose clock started in the range (a form submitted, a first chat message), how
 * soon a person answered, how soon an automation acted, and how many still wait — overall and by channel.
 */
function SpeedToLeadCard({ speed }: { speed: Speed }) {
  return (
    <section class="card card-wide speed" aria-labelledby="speed-title">
      <h2 id="speed-title">
        Speed to lead{' '}
        <span class="muted">
          · from a form or first chat message to the first answer, for leads in the range
        </span>
      </h2>
      {speed.leads === 0 ? (
        <p class="muted">
          No leads in this range. A lead's clock starts at their first form submission or chat message, and
          stops when someone replies in the inbox or marks a follow-up task done.
        </p>
      ) : (
        <>
          <dl class="speed-stats">
            <div>
              <dt>Median first answer</dt>
              <dd>
                <strong>{durationText(speed.medianMs)}</strong>
                <span class="muted small">
                  {speed.answered
                    ? `by a person, over ${speed.answered.toLocaleString()} answered`
                    : 'no lead answered yet'}
                </span>
              </dd>
            </div>
            <div>
              <dt>Answered within 5 minutes</dt>
              <dd>
                <strong>{percent(speed.within5Min)}</strong>
                <span class="muted small">
                  of {speed.leads.toLocaleString()} {speed.leads === 1 ? 'lead' : 'leads'}
                </span>
              </dd>
            </div>
            <div class={speed.unanswered ? 'speed-waiting' : undefined}>
              <dt>Unanswered</dt>
              <dd>
                <strong>{speed.unanswered.toLocaleString()}</strong>
                {speed.unanswered ? (
                  <Link class="small" href={`${BASE}/inbox`}>
                    See who is waiting
                  </Link>
                ) : (
                  <span class="muted small">every lead had an answer</span>
                )}
              </dd>
            </div>
            <div>
              <dt>Median first automatic action</dt>
              <dd>
                <strong>{durationText(speed.medianAutoMs)}</strong>
                <span class="muted small">
                  {speed.medianAutoMs === null ? 'no automation acted' : 'a rule replied, assigned or tagged'}
                </span>
              </dd>
            </div>
          </dl>
          <div class="table-scroll">
            <table class="data attribution-table speed-table">
              <caption class="visually-hidden">Speed to lead by first-touch channel</caption>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col" class="num">
                    Leads
                  </th>
                  <th scope="col" class="num">
                    Unanswered
                  </th>
                  <th scope="col" class="num">
                    Median answer
                  </th>
                  <th scope="col" class="num">
                    Within 5 min
                  </th>
                  <th scope="col" class="num">
                    Median automatic
                  </th>
                </tr>
              </thead>
              <tbody>
                {speed.byChannel.map((r) => (
                  <tr key={r.channel}>
                    <th scope="row">{r.channel}</th>
                    <td class="num" data-label="Leads">
                      {r.leads.toLocaleString()}
                    </td>
                    <td class="num" data-label="Unanswered">
                      {r.unanswered ? (
                        <span class="speed-unanswered">{r.unanswered.toLocaleString()}</span>
                      ) : (
                        '0'
                      )}
                    </td>
                    <td class="num" data-label="Median answer">
                      {durationText(r.medianMs)}
                    </td>
                    <td class="num" data-label="Within 5 min">
                      {percent(r.within5Min)}
                    </td>
                    <td class="num" data-label="Median automatic">
                      {durationText(r.medianAutoMs)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const MODELS: { key: AttributionModel; label: string }[] = [
  { key: 'firstTouch', label: 'First touch' },
  { key: 'leadTouch', label: 'Lead touch' },
  { key: 'lastTouch', label: 'Last touch' },
];

function revenueText(revenue: Record<string, number>): string {
  const parts = Object.entries(revenue)
    .filter(([, v]) => v)
    .map(([c, v]) => formatMinor(v, c));
  return parts.length ? parts.join(' + ') : '—';
}

function Attribution({
  state,
  retry,
}: {
  state: RequestState<{ models: Record<AttributionModel, AttributionRow[]> }>;
  retry: () => void;
}) {
  const [model, setModel] = useState<AttributionModel>('firstTouch');
  return (
    <section class="card attribution" aria-labelledby="attribution-title">
      <div class="card-head">
        <h2 id="attribution-title">First click to final payment</h2>
        <label class="field field-inline">
          <span class="visually-hidden">Credit revenue to</span>
          <select value={model} onChange={(e) => setModel(e.currentTarget.value as AttributionModel)}>
            {MODELS.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.status === 'loading' ? <Loading label="Loading attribution…" /> : null}
      {state.status === 'error' ? (
        state.error.status === 404 ? (
          <p class="muted">Attribution is not available on this server yet.</p>
        ) : (
          <ErrorNotice error={state.error} retry={retry} />
        )
      ) : null}
      {state.status === 'ready' ? <AttributionTable rows={state.data.models[model] ?? []} /> : null}
    </section>
  );
}

/** The currency most of the rows' revenue is in: the chart draws that one. */
function mainCurrency(rows: LtvRow[]): string | null {
  const sums = new Map<string, number>();
  for (const r of rows)
    for (const w of r.windows)
      for (const [c, v] of Object.entries(w.revenue)) sums.set(c, (sums.get(c) ?? 0) + v);
  return [...sums].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/**
 * Lifetime value by first touch: for the profiles acquired in the range through each channel and campaign,
 * what each brought on average within 30, 90 and 180 days of the first touch, and the payback time.
 */
function LifetimeValue({ from, to, site }: { from: string; to: string; site: string }) {
  const [state, retry] = useRequest((signal) => api.ltv({ from, to, site }, signal), [from, to, site]);
  return (
    <section class="card ltv" aria-labelledby="ltv-title">
      <h2 id="ltv-title">
        Lifetime value by first touch{' '}
        <span class="muted">· revenue per profile acquired in the range, 30, 90 and 180 days on</span>
      </h2>
      {state.status === 'loading' ? <Loading label="Loading lifetime value…" /> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} retry={retry} /> : null}
      {state.status === 'ready' ? <LtvBody rows={state.data.rows} /> : null}
    </section>
  );
}

function LtvBody({ rows }: { rows: LtvRow[] }) {
  if (!rows.length) return <p class="muted">No profile's first touch falls in this range.</p>;
  const currency = mainCurrency(rows);
  const top = rows.slice(0, 6);
  const value = (r: LtvRow, i: number) => (currency ? (r.windows[i].perProfile[currency] ?? 0) : 0);
  const max = Math.max(1, ...top.flatMap((r) => r.windows.map((_, i) => value(r, i))));
  const label = (r: LtvRow) => (r.campaign ? `${r.channel} · ${r.campaign}` : r.channel);
  const summary = top
    .map(
      (r) =>
        `${label(r)}: ${r.windows
          .map(
            (w, i) =>
              `${w.days} days ${w.measured ? formatMinor(value(r, i), currency ?? 'USD') : 'not yet'}`,
          )
          .join(', ')}`,
    )
    .join('; ');
  return (
    <>
      {currency ? (
        <figure class="ltv-chart">
          <svg
            viewBox={`0 0 600 ${top.length * 64 + 30}`}
            role="img"
            aria-label={`Revenue per profile. ${summary}`}
          >
            {top.map((r, row) => (
              <g key={label(r)} transform={`translate(0, ${row * 64})`}>
                <text x="0" y="18" class="ltv-label">
                  {label(r).length > 40 ? `${label(r).slice(0, 39)}…` : label(r)}
                </text>
                {r.windows.map((w, i) => (
                  <rect
                    key={w.days}
                    class={`ltv-bar ltv-bar-${i}`}
                    x="0"
                    y={26 + i * 11}
                    height="9"
                    width={w.measured ? Math.max(2, (value(r, i) / max) * 590) : 0}
                  />
                ))}
              </g>
            ))}
            <g transform={`translate(0, ${top.length * 64 + 20})`} class="ltv-legend">
              {r0Days(rows).map((d, i) => (
                <g key={d} transform={`translate(${i * 150}, 0)`}>
                  <rect class={`ltv-bar ltv-bar-${i}`} width="10" height="10" y="-9" />
                  <text x="14" y="0">
                    {d} days
                  </text>
                </g>
              ))}
            </g>
          </svg>
          <figcaption class="muted small">
            Average revenue per acquired profile, in {currency}; a window that has not passed for anyone yet
            has no bar.
          </figcaption>
        </figure>
      ) : null}
      <div class="table-scroll">
        <table class="data attribution-table ltv-table">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Campaign</th>
              <th scope="col" class="num">
                Acquired
              </th>
              <th scope="col" class="num">
                Customers
              </th>
              {rows[0].windows.map((w) => (
                <th key={w.days} scope="col" class="num">
                  {w.days} days
                </th>
              ))}
              <th scope="col" class="num">
                Payback
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.channel}|${r.campaign ?? ''}`}>
                <th scope="row">{r.channel}</th>
                <td data-label="Campaign">{r.campaign ?? <span class="muted">—</span>}</td>
                <td class="num" data-label="Acquired">
                  {r.profiles.toLocaleString()}
                </td>
                <td class="num" data-label="Customers">
                  {r.customers.toLocaleString()}
                </td>
                {r.windows.map((w) => (
                  <td key={w.days} class="num revenue" data-label={`${w.days} days`}>
                    {w.measured ? revenueText(w.perProfile) : <span class="muted">not yet</span>}
                  </td>
                ))}
                <td class="num" data-label="Payback">
                  {r.medianDaysToFirstPayment === null ? '—' : daysText(r.medianDaysToFirstPayment)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">
        Per acquired profile, net of refunds, counted over the profiles whose first touch is at least that
        many days ago. Payback: the median time from the first touch to the first payment.
      </p>
    </>
  );
}

const r0Days = (rows: LtvRow[]) => rows[0].windows.map((w) => w.days);

function AttributionTable({ rows }: { rows: AttributionRow[] }) {
  if (!rows.length) return <p class="muted">No visitors with a recorded touch in this range.</p>;
  return (
    <div class="table-scroll">
      <table class="data attribution-table">
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Campaign</th>
            <th scope="col" class="num">
              Visitors
            </th>
            <th scope="col" class="num">
              Leads
            </th>
            <th scope="col" class="num">
              Customers
            </th>
            <th scope="col" class="num">
              Revenue
            </th>
            <th scope="col" class="num">
              Conversion
            </th>
            <th scope="col" class="num">
              Median days to pay
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.channel}|${r.campaign ?? ''}`}>
              <th scope="row">{r.channel}</th>
              <td data-label="Campaign">{r.campaign ?? <span class="muted">—</span>}</td>
              <td class="num" data-label="Visitors">
                {r.visitors.toLocaleString()}
              </td>
              <td class="num" data-label="Leads">
                {r.leads.toLocaleString()}
              </td>
              <td class="num" data-label="Customers">
                {r.customers.toLocaleString()}
              </td>
              <td class="num revenue" data-label="Revenue">
                {revenueText(r.revenue)}
              </td>
              <td class="num" data-label="Conversion">
                {percent(r.customerRate)}
              </td>
              <td class="num" data-label="Median days to pay">
                {r.medianDaysToFirstPayment === null
                  ? '—'
                  : r.medianDaysToFirstPayment.toLocaleString(undefined, { maximumFractionDigits: 1 })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
