// Turns profile and event data into the words and times a marketer reads; pure functions, no DOM.
import type { ProfileSummary, TouchSummary } from '../../wire.ts';

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** Who a profile is, in the best words we have: email, else name, else "Anonymous" and a short id. */
export function who(profile: Pick<ProfileSummary, 'email' | 'name' | 'id'>): {
  label: string;
  anonymous: boolean;
} {
  if (profile.email) return { label: profile.email, anonymous: false };
  if (profile.name) return { label: profile.name, anonymous: false };
  return { label: `Anonymous ${shortId(profile.id)}`, anonymous: true };
}

export function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host || null;
  } catch {
    return null;
  }
}

/** The first touch in one line: "source / medium / campaign", else the referrer's host, else "Direct". */
export function touchLabel(touch: TouchSummary | null): string {
  if (!touch) return 'Direct';
  const utm = [touch.source, touch.medium, touch.campaign].filter(Boolean);
  if (utm.length) return utm.join(' / ');
  return hostOf(touch.referrer) ?? touch.referrer ?? 'Direct';
}

const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const moment = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function toDate(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatExact(iso: string): string {
  const d = toDate(iso);
  return d ? exact.format(d) : iso;
}

/** A date and minute ("Nov 23, 2026, 9:22 AM") where a full timestamp would not fit. */
export function formatMoment(iso: string): string {
  const d = toDate(iso);
  return d ? moment.format(d) : iso;
}

export function formatDay(iso: string): string {
  const d = toDate(iso);
  return d ? day.format(d) : iso;
}

export function formatClock(iso: string): string {
  const d = toDate(iso);
  return d ? clock.format(d) : iso;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "just now", "5 minutes ago", "yesterday", "3 weeks ago". */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const d = toDate(iso);
  if (!d) return iso;
  const seconds = Math.round((d.getTime() - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(seconds / 60) || (seconds < 0 ? -1 : 1), 'minute');
}

/** A visitor-sent value as plain text: strings as they are, everything else as compact JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Only http(s) URLs become links; anything else (javascript:, data:) is shown as text. */
export function safeHref(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** An amount in its currency when we know it ("€1,200.00"), else as a plain number. */
export function formatMoney(amount: number, currency: string | null | undefined): string {
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
    } catch {
      // An unknown code: fall through to the number and the code.
    }
  }
  const n = amount.toLocaleString(undefined, { maximumFractionDigits: 2 });
  return currency ? `${n} ${currency}` : n;
}

/** A touch's channel in one line, with what the touch said: "Email · newsletter / email / spring". */
export function channelLabel(touch: TouchSummary | null | undefined): string {
  if (!touch) return 'Direct';
  const detail = touchLabel(touch);
  if (!touch.channel) return detail;
  return detail === touch.channel || detail === 'Direct' ? touch.channel : `${touch.channel} · ${detail}`;
}

/** Whole days between two moments, for "last seen 3 days ago" style reasons. */
export function daysBetween(fromIso: string, to: number = Date.now()): number {
  const t = Date.parse(fromIso);
  return Number.isNaN(t) ? 0 : Math.floor((to - t) / 86_400_000);
}

/** Minor units (what the collector stores) as money: 12000 EUR → "€120.00", 500 JPY → "¥500". */
export function formatMinor(minor: number, currency: string): string {
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
  } catch {
    // Unknown code: assume cents.
  }
  return formatMoney(minor / 10 ** digits, currency);
}

export const STATUS_LABEL = { active: 'Active', at_risk: 'At risk', churned: 'Churned' } as const;

/** The channels of the collector's rule table (collector/identity/channels.ts), for the filter menus. */
export const CHANNELS = [
  'Direct',
  'Organic Search',
  'Paid Search',
  'Organic Social',
  'Paid Social',
  'Email',
  'Referral',
  'Affiliate/Referral program',
  'Other campaigns',
] as const;

/**
 * A rule or reason from the collector in a marketer's words: identity keys read as what they are (a browser,
 * an email, a user id), and the ids of profiles, payments and events are left out.
 */
export function plainText(text: string): string {
  return text
    .replace(/referred visitor \S+ became a lead/g, 'a visitor they referred became a lead')
    .replace(/payment \S+ refunded/g, 'a payment refunded')
    .replace(/\b[as]:\S+/g, 'a browser')
    .replace(/\bu:(\S+)/g, 'user id $1')
    .replace(/\b[ep]:(\S+)/g, '$1')
    .replace(/\bb:(\S+)/g, 'billing customer $1');
}
