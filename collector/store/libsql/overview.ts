// The overview's aggregates for a date range: the lifecycle funnel, median time between stages and new leads
// and customers per day. Reads the funnel counts from the overview_days rollup and the other maintained profile
// columns (first_seen, lead_at, qualified_at, first_payment_at, retained_at, loyal_at) through covering
// indexes; never the events table. Medians come from per-hour histograms, so the database returns a few
// hundred rows, not one per profile.
import {
  type FunnelStep,
  type OverviewDay,
  type OverviewReply,
  STAGES,
  type SpeedToLead,
  type Stage,
  type StageInterval,
} from '../../../wire.ts';
import type { Exec as Db } from './writer.ts';
import { Refused } from '../errors.ts';
import { SITE_COLUMNS, siteFromRow } from './sites.ts';
import {
  DEFAULT_TIME_ZONE,
  dayNumber,
  dayOf,
  midnight,
  nextDay,
  offsetStretches,
  zoneOfSites,
} from '../../reports/zone.ts';

const DAY = 86_400_000;
/** Longest range one request may ask for: the per-day series stays small. */
const MAX_DAYS = 3 * 366;

const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function parseDay(value: string | undefined, field: string): string | null {
  if (!value) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (Number.isNaN(ms) || dayText(ms) !== value)
    throw new Refused('invalid', 'invalid_query', `${field} must be a date as YYYY-MM-DD`, field);
  return value;
}

/**
 * The range as [start, end) in ms from the query's inclusive days in the time zone, with those days; the last
 * 30 days (today in the zone included) by default.
 */
export function overviewRange(
  from: string | undefined,
  to: string | undefined,
  now = Date.now(),
  zone = DEFAULT_TIME_ZONE,
): { start: number; end: number; fromDay: string; toDay: string } {
  const toDay = parseDay(to, 'to') ?? dayOf(zone, now);
  const fromDay = parseDay(from, 'from') ?? dayText(Date.parse(toDay) - 29 * DAY);
  if (fromDay > toDay) throw new Refused('invalid', 'invalid_query', 'from must not be after to', 'from');
  if (dayNumber(toDay) - dayNumber(fromDay) + 1 > MAX_DAYS)
    throw new Refused('invalid', 'invalid_query', `the range is at most ${MAX_DAYS} days`, 'from');
  return { start: midnight(zone, fromDay), end: midnight(zone, nextDay(toDay)), fromDay, toDay };
}

const HOUR = 3_600_000;

/** Counts of durations by whole hour, summed over sites: enough for a median to the hour. */
type Histogram = Map<number, number>;

/** The median of a histogram of whole hours (the lower middle for an even count), in days to 0.1. */
export function histogramMedian(h: Histogram): { medianDays: number | null; count: number } {
  const count = [...h.values()].reduce((n, c) => n + c, 0);
  if (!count) return { medianDays: null, count };
  const middle = Math.floor((count - 1) / 2);
  let seen = 0;
  for (const hours of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(hours)!;
    if (seen > middle) return { medianDays: Math.round(((hours * HOUR) / DAY) * 10) / 10, count };
  }
  return { medianDays: null, count };
}

// Every query names site_id and `merged_into IS NULL`, so it is a range scan of one of the covering partial
// indexes (profiles_cohort, profiles_lead_day, profiles_paid_day); "all sites" is the sum over each site.
const COHORT = 'site_id = ? AND merged_into IS NULL AND first_seen >= ? AND first_seen < ?';

/** Each step of the funnel, then first visit to first payment; `a`/`b` are the columns of entering the stages. */
const STEPS: [Stage, string, Stage, string][] = [
  ['reach', 'first_seen', 'lead', 'lead_at'],
  ['lead', 'lead_at', 'qualified', 'qualified_at'],
  ['qualified', 'qualified_at', 'customer', 'first_payment_at'],
  ['customer', 'first_payment_at', 'retained', 'retained_at'],
  ['retained', 'retained_at', 'loyal', 'loyal_at'],
  ['reach', 'first_seen', 'customer', 'first_payment_at'],
];
const INTERVALS = STEPS.map(([from, a, to, b]) => ({
  from,
  to,
  hours: `${b} - ${a}`,
  // a stage entered by hand before the one below it has no time between them
  when: `${a} IS NOT NULL AND ${b} IS NOT NULL AND ${b} >= ${a}`,
}));

export async function overview(
  db: Db,
  query: { from?: string; to?: string; siteId?: string },
): Promise<OverviewReply> {
  const sites = (
    await db.execute({
      sql: `SELECT ${SITE_COLUMNS} FROM sites ${query.siteId ? 'WHERE id = ?' : ''} ORDER BY id`,
      args: query.siteId ? [query.siteId] : [],
    })
  ).rows.map(siteFromRow);
  // Days are the site's days: its time zone (all sites' when they share one, else UTC).
  const zone = sites.length ? zoneOfSites(sites) : DEFAULT_TIME_ZONE;
  const { start, end, fromDay, toDay } = overviewRange(query.from, query.to, Date.now(), zone);
  const siteIds = query.siteId ? [query.siteId] : sites.map((s) => s.id);
  // Whole UTC days come from the overview_days rollup; a zone's partial days at the ends from the profiles.
  const wholeFrom = Math.ceil(start / DAY) * DAY;
  const wholeTo = Math.max(wholeFrom, Math.floor(end / DAY) * DAY);
  const partials = [
    [start, Math.min(wholeFrom, end)],
    [Math.max(wholeTo, start), end],
  ].filter(([a, b]) => a < b && !(a >= wholeFrom && b <= wholeTo));
  const stretches = offsetStretches(zone, start, end);

  const atStage = new Map<string, number>();
  const histograms: Histogram[] = INTERVALS.map(() => new Map());
  const leads = new Map<number, number>();
  const customers = new Map<number, number>();
  const add = (m: Map<number | string, number>, k: number | string, n: number) =>
    m.set(k, (m.get(k) ?? 0) + n);
  for (const siteId of siteIds) {
    const cohortArgs = [siteId, start, end];
    // The cohort: profiles first seen in the range, counted by their current stage, from the per-day counts
    // that triggers on profiles maintain (overview_days; the range is whole UTC days).
    const byStage = await db.execute({
      sql: `SELECT stage, SUM(profiles) AS n FROM overview_days WHERE site_id = ? AND day >= ? AND day < ?
            GROUP BY stage`,
      args: [siteId, wholeFrom / DAY, wholeTo / DAY],
    });
    for (const r of byStage.rows) add(atStage as Map<string, number>, String(r.stage), Number(r.n));
    for (const [a, b] of partials) {
      const rs = await db.execute({
        sql: `SELECT stage, COUNT(*) AS n FROM profiles WHERE ${COHORT} GROUP BY stage`,
        args: [siteId, a, b],
      });
      for (const r of rs.rows) add(atStage as Map<string, number>, String(r.stage), Number(r.n));
    }
    for (const [i, iv] of INTERVALS.entries()) {
      const rs = await db.execute({
        sql: `SELECT (${iv.hours}) / ${HOUR} AS h, COUNT(*) AS n FROM profiles
              WHERE ${COHORT} AND ${iv.when} GROUP BY h`,
        args: cohortArgs,
      });
      for (const r of rs.rows) add(histograms[i], Number(r.h), Number(r.n));
    }
    // New leads and customers per day, by when they became one (not by when they were first seen).
    for (const [column, into] of [
      ['lead_at', leads],
      ['first_payment_at', customers],
    ] as const) {
      // by local day: one count per stretch of the zone's offset (one stretch for UTC)
      for (const s of stretches) {
        const rs = await db.execute({
          sql: `SELECT (${column} + CAST(? AS INTEGER)) / ${DAY} AS d, COUNT(*) AS n FROM profiles
                WHERE site_id = ? AND merged_into IS NULL AND ${column} >= ? AND ${column} < ? GROUP BY d`,
          args: [s.offset, siteId, s.from, s.to],
        });
        for (const r of rs.rows) add(into, Number(r.d), Number(r.n));
      }
    }
  }

  const funnel: FunnelStep[] = [];
  let reached = 0;
  // A profile at a stage has reached every stage before it: sum from the last stage down.
  const counts = [...STAGES]
    .reverse()
    .map((stage) => (reached += atStage.get(stage) ?? 0))
    .reverse();
  STAGES.forEach((stage, i) => {
    const prev = i ? counts[i - 1] : null;
    funnel.push({ stage, count: counts[i], conversion: prev ? counts[i] / prev : null });
  });
  const intervals: StageInterval[] = INTERVALS.map((iv, i) => ({
    from: iv.from,
    to: iv.to,
    ...histogramMedian(histograms[i]),
  }));
  const days: OverviewDay[] = [];
  for (let day = fromDay; day <= toDay; day = nextDay(day)) {
    const d = dayNumber(day);
    days.push({ day, leads: leads.get(d) ?? 0, customers: customers.get(d) ?? 0 });
  }
  return {
    from: fromDay,
    to: toDay,
    timeZone: zone,
    siteId: query.siteId ?? null,
    funnel,
    intervals,
    days,
    speedToLead: await speedToLead(db, siteIds, start, end),
    bots: await botsIn(db, siteIds, start, end),
    cookieless: { views: await cookielessIn(db, siteIds, start, end) },
  };
}

/** Page views before consent in the range, by the UTC days it touches. */
async function cookielessIn(db: Db, siteIds: string[], start: number, end: number): Promise<number> {
  let views = 0;
  for (const siteId of siteIds) {
    const rs = await db.execute({
      sql: 'SELECT COALESCE(SUM(views), 0) AS v FROM cookieless_days WHERE site_id = ? AND day >= ? AND day <= ?',
      args: [siteId, Math.floor(start / DAY), Math.floor((end - 1) / DAY)],
    });
    views += Number(rs.rows[0].v);
  }
  return views;
}

/** Bot requests and events kept apart in the range, by the UTC days it touches. */
async function botsIn(db: Db, siteIds: string[], start: number, end: number) {
  const out = { requests: 0, events: 0 };
  for (const siteId of siteIds) {
    const rs = await db.execute({
      sql: `SELECT COALESCE(SUM(requests), 0) AS r, COALESCE(SUM(events), 0) AS e FROM bot_days
            WHERE site_id = ? AND day >= ? AND day <= ?`,
      args: [siteId, Math.floor(start / DAY), Math.floor((end - 1) / DAY)],
    });
    out.requests += Number(rs.rows[0].r);
    out.events += Number(rs.rows[0].e);
  }
  return out;
}

const FIVE_MINUTES = 5 * 60_000;

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
}

function summarise(rows: { started: number; auto: number | null; human: number | null }[]): SpeedToLead {
  const human = rows.filter((r) => r.human !== null).map((r) => r.human! - r.started);
  const auto = rows.filter((r) => r.auto !== null).map((r) => r.auto! - r.started);
  return {
    leads: rows.length,
    answered: human.length,
    unanswered: rows.length - human.length,
    medianMs: median(human),
    within5Min: rows.length ? human.filter((ms) => ms <= FIVE_MINUTES).length / rows.length : null,
    medianAutoMs: median(auto),
  };
}

/**
 * Speed to lead for the leads whose clock started in the range (a form submitted or a first chat message):
 * time to the first human answer and to the first automation action, overall and by first-touch channel.
 */
async function speedToLead(db: Db, siteIds: string[], start: number, end: number) {
  const rows: { channel: string; started: number; auto: number | null; human: number | null }[] = [];
  for (const siteId of siteIds) {
    const rs = await db.execute({
      sql: `SELECT channel, started_at, first_auto_at, first_human_at FROM lead_responses
            WHERE site_id = ? AND started_at >= ? AND started_at < ?`,
      args: [siteId, start, end],
    });
    for (const r of rs.rows)
      rows.push({
        channel: String(r.channel),
        started: Number(r.started_at),
        auto: r.first_auto_at == null ? null : Number(r.first_auto_at),
        human: r.first_human_at == null ? null : Number(r.first_human_at),
      });
  }
  const channels = [...new Set(rows.map((r) => r.channel))].sort();
  return {
    ...summarise(rows),
    byChannel: channels.map((channel) => ({
      channel,
      ...summarise(rows.filter((r) => r.channel === channel)),
    })),
  };
}
