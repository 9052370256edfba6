// The overview's aggregates for a date range: the lifecycle funnel, median time between stages and new leads
// and customers per day. Whole UTC days come from the distributions that triggers on profiles keep (overview_days
// for the funnel; migration 030 for the medians and the per-day counts), so a year costs a few thousand rows
// however many profiles there are; only a time zone's partial days at the ends read profile rows, through the
// covering indexes. Never the events table.
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
const QUARTER = 900_000;
/** Hours per band and days per block of the interval distributions (migration 030). */
const BAND = 32;
const BLOCK = 32;

/** Counts of durations by whole hour (or of hours by band), summed over sites. */
type Histogram = Map<number, number>;

const add = <K>(m: Map<K, number>, k: K, n: number) => m.set(k, (m.get(k) ?? 0) + n);

/**
 * The median of samples in whole hours (the lower middle for an even count), in days to 0.1: the band that holds
 * it from the counts per band of 32 hours, then its hour from `hoursIn(band)`, the counts by hour of that band.
 */
export async function histogramMedian(
  bands: Histogram,
  hoursIn: (band: number) => Histogram | Promise<Histogram>,
): Promise<{ medianDays: number | null; count: number }> {
  const count = [...bands.values()].reduce((n, c) => n + c, 0);
  if (!count) return { medianDays: null, count };
  const middle = Math.floor((count - 1) / 2);
  let seen = 0;
  for (const band of [...bands.keys()].sort((x, y) => x - y)) {
    if (seen + bands.get(band)! <= middle) {
      seen += bands.get(band)!;
      continue;
    }
    const h = await hoursIn(band);
    for (const hours of [...h.keys()].sort((x, y) => x - y)) {
      seen += h.get(hours)!;
      if (seen > middle) return { medianDays: Math.round(((hours * HOUR) / DAY) * 10) / 10, count };
    }
    break; // the hours of a band always add up to its count
  }
  return { medianDays: null, count };
}

/**
 * [from, to) in UTC days as the distributions' units: the aligned blocks of 32 days inside it (span 32, by first
 * day) and the single days (span 1) before and after them.
 */
function dayUnits(from: number, to: number): { span: number; from: number; to: number }[] {
  const a = Math.ceil(from / BLOCK) * BLOCK;
  const b = Math.floor(to / BLOCK) * BLOCK;
  const units =
    a < b
      ? [
          [1, from, a],
          [BLOCK, a, b],
          [1, b, to],
        ]
      : [[1, from, to]];
  return units.filter(([, f, t]) => f < t).map(([span, f, t]) => ({ span, from: f, to: t }));
}

/**
 * `select` (ending in a WHERE clause, with `args`) for the rows keyed by span and day in the units: one range of
 * the primary key each, as a UNION ALL (an OR of the ranges would also build a set to drop duplicates).
 */
function inUnits(
  select: string,
  args: (string | number)[],
  units: { span: number; from: number; to: number }[],
): { sql: string; args: (string | number)[] } {
  return {
    sql: units.map(() => `${select} AND span = ? AND day >= ? AND day < ?`).join(' UNION ALL '),
    args: units.flatMap((u) => [...args, u.span, u.from, u.to]),
  };
}

// The partial-day queries name site_id and `merged_into IS NULL`, so they are range scans of the covering partial
// indexes (profiles_cohort, profiles_lead_day, profiles_paid_day).
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
  // the kind the distributions file it under (migration 030)
  kind: `${from}-${to}`,
  hours: `(${b} - ${a}) / ${HOUR}`,
  // a stage entered by hand before the one below it has no time between them
  when: `${a} IS NOT NULL AND ${b} IS NOT NULL AND ${b} >= ${a}`,
}));
/** The samples of every interval of the cohort first seen in [?, ?) of site ?, by kind and hour. */
const PARTIAL_INTERVALS = INTERVALS.map(
  (iv) => `SELECT '${iv.kind}' AS kind, ${iv.hours} AS h, COUNT(*) AS n FROM profiles
    WHERE ${COHORT} AND ${iv.when} GROUP BY h`,
).join(' UNION ALL ');

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
  // Whole UTC days come from the maintained distributions; a zone's partial days at the ends from the profiles.
  const wholeFrom = Math.ceil(start / DAY) * DAY;
  const wholeTo = Math.max(wholeFrom, Math.floor(end / DAY) * DAY);
  const partials = [
    [start, Math.min(wholeFrom, end)],
    [Math.max(wholeTo, start), end],
  ].filter(([a, b]) => a < b && !(a >= wholeFrom && b <= wholeTo));
  const stretches = offsetStretches(zone, start, end);

  const atStage = new Map<string, number>();
  for (const siteId of siteIds) {
    // The cohort: profiles first seen in the range, counted by their current stage, from the per-day counts
    // that triggers on profiles maintain (overview_days; the range is whole UTC days).
    const byStage = await db.execute({
      sql: `SELECT stage, SUM(profiles) AS n FROM overview_days WHERE site_id = ? AND day >= ? AND day < ?
            GROUP BY stage`,
      args: [siteId, wholeFrom / DAY, wholeTo / DAY],
    });
    for (const r of byStage.rows) add(atStage, String(r.stage), Number(r.n));
    for (const [a, b] of partials) {
      const rs = await db.execute({
        sql: `SELECT stage, COUNT(*) AS n FROM profiles WHERE ${COHORT} GROUP BY stage`,
        args: [siteId, a, b],
      });
      for (const r of rs.rows) add(atStage, String(r.stage), Number(r.n));
    }
  }
  const intervals = await intervalMedians(db, siteIds, dayUnits(wholeFrom / DAY, wholeTo / DAY), partials);
  // New leads and customers per day, by when they became one (not by when they were first seen).
  const leads = await newPerDay(db, siteIds, 'lead', stretches);
  const customers = await newPerDay(db, siteIds, 'customer', stretches);

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

/**
 * The median time between stages of the cohort: whole UTC days (as units) from the interval distributions, the
 * partial days at the ends ([from, to) instants) from profile rows.
 */
async function intervalMedians(
  db: Db,
  siteIds: string[],
  units: { span: number; from: number; to: number }[],
  partials: number[][],
): Promise<StageInterval[]> {
  const bands = new Map(INTERVALS.map((iv) => [iv.kind, new Map<number, number>()]));
  const partialHours = new Map(INTERVALS.map((iv) => [iv.kind, new Map<number, number>()]));
  for (const siteId of siteIds) {
    if (units.length) {
      const rows = inUnits(
        'SELECT kind, band, profiles FROM overview_interval_bands WHERE site_id = ?',
        [siteId],
        units,
      );
      const rs = await db.execute({
        sql: `SELECT kind, band, SUM(profiles) AS n FROM (${rows.sql}) GROUP BY kind, band`,
        args: rows.args,
      });
      for (const r of rs.rows) add(bands.get(String(r.kind))!, Number(r.band), Number(r.n));
    }
    for (const [a, b] of partials) {
      const rs = await db.execute({
        sql: PARTIAL_INTERVALS,
        args: INTERVALS.flatMap(() => [siteId, a, b]),
      });
      for (const r of rs.rows) {
        add(bands.get(String(r.kind))!, Math.floor(Number(r.h) / BAND), Number(r.n));
        add(partialHours.get(String(r.kind))!, Number(r.h), Number(r.n));
      }
    }
  }
  const hoursIn = async (kind: string, band: number) => {
    const h: Histogram = new Map();
    for (const [hours, n] of partialHours.get(kind)!) if (Math.floor(hours / BAND) === band) add(h, hours, n);
    if (!units.length) return h;
    for (const siteId of siteIds) {
      const rows = inUnits(
        'SELECT hours, profiles FROM overview_interval_hours WHERE site_id = ? AND kind = ? AND band = ?',
        [siteId, kind, band],
        units,
      );
      const rs = await db.execute({
        sql: `SELECT hours, SUM(profiles) AS n FROM (${rows.sql}) GROUP BY hours`,
        args: rows.args,
      });
      for (const r of rs.rows) add(h, Number(r.hours), Number(r.n));
    }
    return h;
  };
  const out: StageInterval[] = [];
  for (const iv of INTERVALS)
    out.push({
      from: iv.from,
      to: iv.to,
      ...(await histogramMedian(bands.get(iv.kind)!, (band) => hoursIn(iv.kind, band))),
    });
  return out;
}

const MOMENT_COLUMNS = { lead: 'lead_at', customer: 'first_payment_at' } as const;

/**
 * Profiles that became a lead (or a customer) in the stretches, by local day number. The whole UTC days inside a
 * stretch come from the distributions (migration 030): a day's count, of which the quarters past the zone's
 * midnight belong to the next local day (east of UTC) or those before it to the day before (west). The partial
 * days at a stretch's ends, and a stretch whose offset is not whole quarters, come from profile rows.
 */
async function newPerDay(
  db: Db,
  siteIds: string[],
  kind: keyof typeof MOMENT_COLUMNS,
  stretches: { from: number; to: number; offset: number }[],
): Promise<Map<number, number>> {
  const column = MOMENT_COLUMNS[kind];
  const into = new Map<number, number>();
  for (const siteId of siteIds) {
    for (const { from, to, offset } of stretches) {
      const u1 = Math.ceil(from / DAY);
      const u2 = Math.floor(to / DAY);
      let rest = [[from, to]];
      if (u1 < u2 && offset % QUARTER === 0 && Math.abs(offset) < DAY) {
        rest = [
          [from, u1 * DAY],
          [u2 * DAY, to],
        ];
        // A UTC day's quarters from `split` on belong to the local day after those before it; the smaller side is
        // summed, a few dozen rows of the day's own key range.
        const split = (offset > 0 ? DAY - offset : -offset) / QUARTER;
        const early = split <= 48;
        const part = `(SELECT COALESCE(SUM(q.profiles), 0) FROM overview_moment_quarters AS q
          WHERE q.site_id = d.site_id AND q.kind = d.kind AND q.day = d.day AND q.quarter ${early ? '<' : '>='} ?)`;
        const rs = await db.execute({
          sql: `SELECT d.day, d.profiles, ${offset ? part : '0'} AS part FROM overview_moment_days AS d
                WHERE d.site_id = ? AND d.kind = ? AND d.day >= ? AND d.day < ?`,
          args: [...(offset ? [split] : []), siteId, kind, u1, u2],
        });
        for (const r of rs.rows) {
          const day = Number(r.day);
          const late = early ? Number(r.profiles) - Number(r.part) : Number(r.part);
          // east of UTC the late quarters are the next local day; west, the early ones are the day before
          add(into, offset < 0 ? day - 1 : day, Number(r.profiles) - late);
          if (late) add(into, offset > 0 ? day + 1 : day, late);
        }
      }
      for (const [a, b] of rest) {
        if (a >= b) continue;
        const rs = await db.execute({
          sql: `SELECT (${column} + CAST(? AS INTEGER)) / ${DAY} AS d, COUNT(*) AS n FROM profiles
                WHERE site_id = ? AND merged_into IS NULL AND ${column} >= ? AND ${column} < ? GROUP BY d`,
          args: [offset, siteId, a, b],
        });
        for (const r of rs.rows) add(into, Number(r.d), Number(r.n));
      }
    }
  }
  return into;
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
