// Lengths of time in a marketer's words ("42 s", "12 min", "3.5 h", "2 days"): speed to lead and a lead's age.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const one = (x: number) => x.toLocaleString(undefined, { maximumFractionDigits: 1 });

/** A duration in ms, in the largest unit that reads well; "—" when there is none. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const t = Math.max(0, ms);
  if (t < MINUTE) return `${Math.round(t / 1000)} s`;
  if (t < HOUR) return `${Math.floor(t / MINUTE)} min`;
  // Whole hours from ten on: "14 h" says as much as "13.9 h".
  if (t < 2 * DAY) return `${t < 10 * HOUR ? one(t / HOUR) : Math.round(t / HOUR)} h`;
  const days = t / DAY;
  return `${one(days)} ${days === 1 ? 'day' : 'days'}`;
}

/** How long a lead has waited, to the minute ("under 1 min", "12 min", "3.5 h"): it is read again every few seconds. */
export function ageText(ms: number): string {
  return ms < 60_000 ? 'under 1 min' : durationText(ms);
}
