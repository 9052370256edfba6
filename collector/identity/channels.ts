// Attribution: which events are touches, and the ordered, versioned rule table that gives a touch its channel.
// Re-classifying is recomputing with a new table version; a stored touch keeps the rule id and version it got.
import type { Touch, WireEvent } from '../../wire.ts';
import { type IdentitySettings, isOwnHost } from './rules.ts';

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
export type Channel = (typeof CHANNELS)[number];

export const CHANNEL_RULES_VERSION = 1;

const SEARCH =
  /(^|\.)(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|qwant|startpage|search\.brave|naver|seznam)\./;
const SOCIAL =
  /(^|\.)(facebook|fb|instagram|t|twitter|x|linkedin|lnkd|reddit|pinterest|tiktok|youtube|threads|mastodon|bsky|quora|snapchat|tumblr|vk|weibo|news\.ycombinator)\.[a-z.]+$|^(t\.co|lnkd\.in|x\.com)$/;
const SEARCH_SOURCES =
  /^(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|brave|adwords|google ads|microsoft ads)$/;
const SOCIAL_SOURCES =
  /^(facebook|fb|instagram|ig|twitter|x|linkedin|reddit|pinterest|tiktok|youtube|threads|meta|snapchat)$/;
const PAID_MEDIUM =
  /^(cpc|ppc|paid|paidsearch|paid-search|paid_search|sem|cpm|cpv|display|banner|paid-social|paidsocial|paid_social)$/;

export interface ChannelRule {
  id: string;
  channel: Channel;
  test: (t: ClassifiedInput) => boolean;
}

interface ClassifiedInput {
  source: string;
  medium: string;
  refHost: string;
  touch: Touch;
}

/** Version 1 of the rule table; the first rule that matches wins. */
export const CHANNEL_RULES: ChannelRule[] = [
  { id: 'v1.ref-code', channel: 'Affiliate/Referral program', test: (t) => !!t.touch.ref },
  {
    id: 'v1.affiliate-medium',
    channel: 'Affiliate/Referral program',
    test: (t) => /^(affiliate|affiliates|partner|referral-program)$/.test(t.medium),
  },
  {
    id: 'v1.search-click-id',
    channel: 'Paid Search',
    test: (t) => !!(t.touch.gclid || t.touch.gbraid || t.touch.wbraid || t.touch.msclkid),
  },
  { id: 'v1.social-click-id', channel: 'Paid Social', test: (t) => !!(t.touch.ttclid || t.touch.li_fat_id) },
  {
    id: 'v1.paid-search-utm',
    channel: 'Paid Search',
    test: (t) => PAID_MEDIUM.test(t.medium) && (SEARCH_SOURCES.test(t.source) || SEARCH.test(t.refHost)),
  },
  {
    id: 'v1.paid-social-utm',
    channel: 'Paid Social',
    test: (t) => PAID_MEDIUM.test(t.medium) && (SOCIAL_SOURCES.test(t.source) || SOCIAL.test(t.refHost)),
  },
  {
    id: 'v1.email-utm',
    channel: 'Email',
    test: (t) => /^(email|e-mail|e_mail|newsletter)$/.test(t.medium) || /^(email|newsletter)$/.test(t.source),
  },
  { id: 'v1.paid-other-utm', channel: 'Other campaigns', test: (t) => PAID_MEDIUM.test(t.medium) },
  {
    id: 'v1.social-utm',
    channel: 'Organic Social',
    test: (t) => /^(social|social-network|social-media|sm)$/.test(t.medium) || SOCIAL_SOURCES.test(t.source),
  },
  { id: 'v1.organic-utm', channel: 'Organic Search', test: (t) => t.medium === 'organic' },
  { id: 'v1.referral-utm', channel: 'Referral', test: (t) => t.medium === 'referral' },
  {
    id: 'v1.other-utm',
    channel: 'Other campaigns',
    test: (t) => !!(t.source || t.medium || t.touch.campaign),
  },
  { id: 'v1.search-referrer', channel: 'Organic Search', test: (t) => SEARCH.test(t.refHost) },
  {
    id: 'v1.social-referrer',
    channel: 'Organic Social',
    test: (t) => SOCIAL.test(t.refHost) || !!t.touch.fbclid,
  },
  { id: 'v1.referrer', channel: 'Referral', test: (t) => !!t.refHost },
  { id: 'v1.direct', channel: 'Direct', test: () => true },
];

export function hostOfUrl(url: string | null | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return '';
  }
}

export function classify(touch: Touch): { channel: Channel; ruleId: string; rulesVersion: number } {
  const input: ClassifiedInput = {
    source: (touch.source ?? '').trim().toLowerCase(),
    medium: (touch.medium ?? '').trim().toLowerCase(),
    refHost: hostOfUrl(touch.referrer),
    touch,
  };
  const rule = CHANNEL_RULES.find((r) => r.test(input))!;
  return { channel: rule.channel, ruleId: rule.id, rulesVersion: CHANNEL_RULES_VERSION };
}

export interface TouchRecord {
  at: number;
  messageId: string;
  touch: Touch;
  channel: Channel;
  ruleId: string;
  rulesVersion: number;
}

const CLICK_KEYS = ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id', 'ref'] as const;

function hasCampaign(t: Touch): boolean {
  return !!(t.source || t.medium || t.campaign || CLICK_KEYS.some((k) => t[k]));
}

/**
 * The touches an event tells of: the widget's stored first touch (context.firstTouch, at its own time), and
 * for a page view an arrival — campaign parameters, click ids, `ref`, an outside referrer, or no referrer
 * at all (a typed or bookmarked visit). Pages reached from the site's own domains (including its checkout
 * and sign-in domains) are navigation, not touches.
 */
export function eventTouches(
  e: WireEvent,
  ts: number,
  messageId: string,
  settings: IdentitySettings,
): TouchRecord[] {
  const out: TouchRecord[] = [];
  const ctx = e.context;
  const make = (touch: Touch, at: number, id: string) => {
    const refHost = hostOfUrl(touch.referrer);
    if (refHost && isOwnHost(refHost, settings) && !hasCampaign(touch)) return;
    out.push({ at, messageId: id, touch, ...classify(touch) });
  };
  if (ctx?.firstTouch) {
    const at = Date.parse(ctx.firstTouch.at);
    // Keyed by its own time and landing page, so every event that repeats it names the same touch.
    make(
      ctx.firstTouch,
      Number.isFinite(at) ? Math.min(at, ts) : ts,
      `first:${e.anonymousId ?? e.userId}:${ctx.firstTouch.at}`,
    );
  }
  if (e.type === 'page') {
    const page = ctx?.page;
    const c = ctx?.campaign;
    const url = page?.url ?? (typeof e.properties?.url === 'string' ? e.properties.url : null);
    const touch: Touch = {
      at: new Date(ts).toISOString(),
      landingUrl: url,
      referrer: page?.referrer || null,
      source: c?.source ?? null,
      medium: c?.medium ?? null,
      campaign: c?.name ?? null,
      term: c?.term ?? null,
      content: c?.content ?? null,
    };
    for (const k of CLICK_KEYS) {
      const value = c?.[k];
      if (typeof value === 'string' && value) touch[k] = value;
    }
    const ft = ctx?.firstTouch;
    // The landing page view that the stored first touch already describes is the same touch.
    const same = ft && ft.landingUrl === touch.landingUrl && Math.abs(Date.parse(ft.at) - ts) < 1000;
    if (!same) make(touch, ts, messageId);
  }
  return out;
}
