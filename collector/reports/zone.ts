// Report days in a site's time zone (an IANA name; UTC by default). A report's `from` and `to` are inclusive
// days in that zone: this turns them into instants, and splits a range into stretches of one UTC offset so
// that a database can count by local day with plain arithmetic (`(t + offset) / DAY`) inside each stretch.
const DAY = 86_400_000;

export const DEFAULT_TIME_ZONE = 'UTC';

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(zone, f);
  }
  return f;
}

/** Whether the runtime knows this IANA time zone name. */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || !name || name.length > 64) return false;
  try {
    format(name);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms (local time = UTC + offset). */
export function offsetAt(zone: string, ms: number): number {
  const p: Record<string, number> = {};
  for (const { type, value } of format(zone).formatToParts(ms)) p[type] = Number(value);
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The instant a local day (YYYY-MM-DD) starts in the zone. */
export function midnight(zone: string, day: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  let t = wall - offsetAt(zone, wall);
  // the offset at the guess may differ from the one at midnight (a change in between): settle on it
  t = wall - offsetAt(zone, t);
  return t;
}

/** The local day (YYYY-MM-DD) of an instant in the zone. */
export function dayOf(zone: string, ms: number): string {
  return new Date(ms + offsetAt(zone, ms)).toISOString().slice(0, 10);
}

/** The day after a YYYY-MM-DD day, as text. */
export const nextDay = (day: string): string => new Date(Date.parse(day) + DAY).toISOString().slice(0, 10);

/** Days since 1970-01-01 of a YYYY-MM-DD day: the key a `(t + offset) / DAY` count gives. */
export const dayNumber = (day: string): number => Date.parse(day) / DAY;

/**
 * [start, end) split where the zone's offset changes: within each stretch, `floor((t + offset) / DAY)` is the
 * local day number of any instant t. Offsets are sampled every 6 hours and each change found to the second.
 */
export function offsetStretches(
  zone: string,
  start: number,
  end: number,
): { from: number; to: number; offset: number }[] {
  const out: { from: number; to: number; offset: number }[] = [];
  if (zone === 'UTC') return start < end ? [{ from: start, to: end, offset: 0 }] : [];
  const STEP = 6 * 3_600_000;
  let from = start;
  let offset = offsetAt(zone, start);
  for (let t = start; t < end;) {
    const next = Math.min(t + STEP, end);
    const o = next < end ? offsetAt(zone, next) : offset;
    if (o !== offset) {
      // the change lies in (t, next]: find its first second
      let lo = t;
      let hi = next;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetAt(zone, mid) === offset) lo = mid;
        else hi = mid;
      }
      out.push({ from, to: hi, offset });
      from = hi;
      offset = o;
    }
    t = next;
  }
  out.push({ from, to: end, offset });
  return out;
}

/** The zone reports over these sites use: theirs when they all share one, else UTC (and the reply says so). */
export function zoneOfSites(sites: { settings: Record<string, unknown> }[]): string {
  const zones = new Set(sites.map((s) => siteTimeZone(s.settings)));
  return zones.size === 1 ? [...zones][0] : DEFAULT_TIME_ZONE;
}

/** A site's report time zone from its settings JSON (`reports.timeZone`), UTC when unset or unknown. */
export function siteTimeZone(settings: Record<string, unknown>): string {
  const reports = settings.reports as { timeZone?: unknown } | undefined;
  return isTimeZone(reports?.timeZone) ? reports.timeZone : DEFAULT_TIME_ZONE;
}

/**
 * A report range from the query: inclusive local days as [start, end) instants, or ISO instants as given.
 * `fallbackDays` back from today (in the zone) when `from` is missing; today when `to` is.
 */
export function reportRange(
  zone: string,
  from: string | undefined,
  to: string | undefined,
  fallbackDays: number,
  now = Date.now(),
): { start: number; end: number; fromDay: string | null; toDay: string | null } | { field: 'from' | 'to' } {
  const isDay = (s: string) => {
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(s) ? Date.parse(s) : Number.NaN;
    return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(s);
  };
  const toDay = !to ? dayOf(zone, now) : isDay(to) ? to : null;
  let end: number;
  if (toDay) end = midnight(zone, nextDay(toDay));
  else {
    end = Date.parse(to!);
    // NaN, or so far out that a day around it cannot be written: refused, never an error later
    if (!(Math.abs(end) < 8.6e15)) return { field: 'to' };
  }
  let start: number;
  let fromDay: string | null = null;
  if (!from) {
    const last = toDay ?? dayOf(zone, end - 1);
    fromDay = new Date(Date.parse(last) - (fallbackDays - 1) * DAY).toISOString().slice(0, 10);
    start = midnight(zone, fromDay);
  } else if (isDay(from)) {
    fromDay = from;
    start = midnight(zone, from);
  } else {
    start = Date.parse(from);
    if (!(Math.abs(start) < 8.6e15)) return { field: 'from' };
  }
  return { start, end, fromDay, toDay };
}

/** The zone a report over one site (or, with no id, all sites) counts days in. */
export async function reportZone(
  sites: {
    list(): Promise<{ settings: Record<string, unknown> }[]>;
    byId(id: string): Promise<{ settings: Record<string, unknown> } | null>;
  },
  siteId: string | undefined,
): Promise<string> {
  if (!siteId) return zoneOfSites(await sites.list());
  const site = await sites.byId(siteId);
  return site ? siteTimeZone(site.settings) : DEFAULT_TIME_ZONE;
}
