// Per-site identity settings and the blocked-value rule: which identifier values never link (placeholders,
// role mailboxes, the site's own domains). Pure; the settings come from sites.settings JSON.
import { COOKIE_DAYS, type ConsentSettings } from '../../wire.ts';

export interface IdentitySettings {
  /** Extra values that never link (compared after normalisation, lower-cased). */
  blockedValues: string[];
  /** Local parts of role mailboxes (info@, sales@ …) that never link. */
  roleMailboxes: string[];
  /** Domains of the site itself, its checkout and sign-in pages: addresses there never link, referrers there are not touches. */
  ownDomains: string[];
  /** An identifier joining more than this many components within `sharedWindowDays` is quarantined as shared. */
  sharedLimit: number;
  sharedWindowDays: number;
  /** A direct visit within this many days of a non-direct touch leaves that touch the last one. */
  attributionWindowDays: number;
  /** An identify carrying a user id without proof is refused (per event) instead of kept as a claim. */
  requireVerifiedIdentify: boolean;
  /** Referral credits a referrer earns per UTC day before the rest wait for a marketer's review. */
  referralDailyLimit: number;
  /** Lead score weights and the `qualified` threshold. */
  score: ScoreSettings;
  /** Raw events older than this many days are purged (`privacy.retentionDays`); null or absent keeps them. */
  retentionDays?: number | null;
}

export interface ScoreSettings {
  threshold: number;
  pricingView: number;
  session: number;
  chat: number;
  /** Weight per form kind (properties.formKind, formId or kind); `default` for any other form. */
  forms: Record<string, number>;
}

export const DEFAULT_BLOCKED_VALUES = [
  '',
  'null',
  'undefined',
  'anonymous',
  '0',
  '-1',
  '[object object]',
  'none',
  'nan',
  'unknown',
  'n/a',
];

export const DEFAULT_ROLE_MAILBOXES = [
  'info',
  'sales',
  'support',
  'admin',
  'contact',
  'hello',
  'team',
  'noreply',
  'no-reply',
  'donotreply',
  'do-not-reply',
  'billing',
  'office',
  'help',
  'marketing',
  'webmaster',
  'postmaster',
  'hostmaster',
  'abuse',
  'privacy',
  'security',
  'careers',
  'jobs',
  'hr',
  'press',
  'accounts',
  'enquiries',
  'inquiries',
  'mail',
  'service',
];

/** Checkout and sign-in domains that send visitors back to the site: a return from them is not a new touch. */
export const DEFAULT_OWN_DOMAINS = [
  'checkout.stripe.com',
  'billing.stripe.com',
  'paypal.com',
  'accounts.google.com',
  'login.microsoftonline.com',
  'appleid.apple.com',
];

export const DEFAULT_REFERRAL_DAILY_LIMIT = 5;
export const DEFAULT_ATTRIBUTION_WINDOW_DAYS = 90;

export const DEFAULT_SCORE: ScoreSettings = {
  threshold: 50,
  pricingView: 10,
  session: 5,
  chat: 15,
  forms: { demo: 40, trial: 40, contact: 25, newsletter: 5, default: 20 },
};

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return null;
  }
}

const strings = (x: unknown): string[] =>
  Array.isArray(x)
    ? x.filter((s): s is string => typeof s === 'string').map((s) => s.trim().toLowerCase())
    : [];
const num = (x: unknown, fallback: number, min = 0): number =>
  typeof x === 'number' && Number.isFinite(x) && x >= min ? x : fallback;

/** The allowed retention periods, in days. */
export const RETENTION_DAYS = { min: 30, max: 3650 } as const;

/** The site's retention period in days (`settings.privacy.retentionDays`), or null to keep raw events forever. */
export function retentionDays(settings: unknown): number | null {
  const s = (settings && typeof settings === 'object' ? settings : {}) as Record<string, unknown>;
  const p = (s.privacy && typeof s.privacy === 'object' ? s.privacy : {}) as Record<string, unknown>;
  const d = p.retentionDays;
  return typeof d === 'number' && Number.isInteger(d) && d >= RETENTION_DAYS.min && d <= RETENTION_DAYS.max
    ? d
    : null;
}

/** The site's consent settings (`settings.consent`), each missing or invalid value at its default. */
export function consentSettings(settings: unknown): ConsentSettings {
  const s = (settings && typeof settings === 'object' ? settings : {}) as Record<string, unknown>;
  const c = (s.consent && typeof s.consent === 'object' ? s.consent : {}) as Record<string, unknown>;
  const days = c.cookieDays;
  return {
    required: c.required === true,
    beforeConsent: c.beforeConsent === 'nothing' ? 'nothing' : 'cookieless',
    respectDnt: c.respectDnt === true,
    cookieDays:
      typeof days === 'number' && Number.isInteger(days) && days >= COOKIE_DAYS.min && days <= COOKIE_DAYS.max
        ? days
        : COOKIE_DAYS.default,
  };
}

/**
 * Settings from the site's origins and its `settings` JSON (`{identity:{…}, score:{…}}`). Lists in the
 * settings extend the defaults; `identity.replaceDefaults: true` replaces them.
 */
export function identitySettings(origins: string[], settings: unknown): IdentitySettings {
  const s = (settings && typeof settings === 'object' ? settings : {}) as Record<string, unknown>;
  const id = (s.identity && typeof s.identity === 'object' ? s.identity : {}) as Record<string, unknown>;
  const sc = (s.score && typeof s.score === 'object' ? s.score : {}) as Record<string, unknown>;
  const replace = id.replaceDefaults === true;
  const hosts = origins.map(hostOf).filter((h): h is string => !!h);
  const forms = { ...DEFAULT_SCORE.forms };
  if (sc.forms && typeof sc.forms === 'object') {
    for (const [k, v] of Object.entries(sc.forms)) if (typeof v === 'number') forms[k.toLowerCase()] = v;
  }
  return {
    blockedValues: [...(replace ? [] : DEFAULT_BLOCKED_VALUES), ...strings(id.blockedValues)],
    roleMailboxes: [...(replace ? [] : DEFAULT_ROLE_MAILBOXES), ...strings(id.roleMailboxes)],
    ownDomains: [...new Set([...hosts, ...DEFAULT_OWN_DOMAINS, ...strings(id.ownDomains)])],
    sharedLimit: num(id.sharedLimit, 3, 1),
    sharedWindowDays: num(id.sharedWindowDays, 30, 1),
    requireVerifiedIdentify: id.requireVerifiedIdentify === true,
    attributionWindowDays: num(
      id.attributionWindowDays,
      num(s.attributionWindowDays, DEFAULT_ATTRIBUTION_WINDOW_DAYS, 1),
      1,
    ),
    referralDailyLimit: num(id.referralDailyLimit, DEFAULT_REFERRAL_DAILY_LIMIT, 1),
    score: {
      threshold: num(sc.threshold, DEFAULT_SCORE.threshold, 1),
      pricingView: num(sc.pricingView, DEFAULT_SCORE.pricingView),
      session: num(sc.session, DEFAULT_SCORE.session),
      chat: num(sc.chat, DEFAULT_SCORE.chat),
      forms,
    },
    retentionDays: retentionDays(s),
  };
}

/** Is host one of the site's own domains (or a subdomain of one)? */
export function isOwnHost(host: string, settings: Pick<IdentitySettings, 'ownDomains'>): boolean {
  const h = host.toLowerCase().replace(/^www\./, '');
  return settings.ownDomains.some((d) => h === d || h.endsWith(`.${d}`));
}

/** Why a normalised identifier value must not link, or null when it may. */
export function blockReason(kind: string, value: string, settings: IdentitySettings): string | null {
  const v = value.trim().toLowerCase();
  if (settings.blockedValues.includes(v)) return `placeholder value "${value}"`;
  if (kind === 'email') {
    const at = v.lastIndexOf('@');
    const local = v.slice(0, at).split('+')[0];
    const domain = v.slice(at + 1);
    if (settings.roleMailboxes.includes(local)) return `role mailbox ${local}@`;
    if (isOwnHost(domain, settings)) return `address at the site's own domain ${domain}`;
  }
  return null;
}
