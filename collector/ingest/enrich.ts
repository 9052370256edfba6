// What a sender may leave out because the collector can work it out. tp.js (a 3 KB budget) sends URLs, not what
// can be parsed from them, and leaves to the request's headers what headers say; the collector fills the rest
// of Segment's shape in before validating and storing, so every stored event looks the same whoever sent it.
// A field the sender did send is never overwritten.
import { CLICK_IDS, LIMITS } from '../../wire.ts';

const UTM = ['source', 'medium', 'campaign', 'term', 'content'] as const;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x);

/** Attribution parameters of a URL: utm_* (without the prefix), click ids and `ref`; empty ones left out. */
export function urlParams(url: unknown): Record<string, string> {
  // most URLs have no query: no parse (this runs on the write path, per event)
  if (typeof url !== 'string' || !url.includes('?')) return {};
  try {
    return paramsOf(new URL(url).searchParams);
  } catch {
    return {};
  }
}

function paramsOf(p: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of UTM) {
    const v = p.get(`utm_${k}`);
    if (v) out[k] = v;
  }
  for (const k of [...CLICK_IDS, 'ref']) {
    const v = p.get(k);
    if (v) out[k] = v;
  }
  return out;
}

interface ParsedUrl {
  path: string;
  search: string;
  params: Record<string, string>;
}
/** Page URLs recently parsed: the events of a batch (and of busy pages) mostly share one, and parsing is per event. */
const parsed = new Map<string, ParsedUrl | null>();

/** The host (with its port) of an absolute URL as a browser writes it; undefined for anything else. */
const hostOf = (url: string): string | undefined =>
  /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(url)?.[1]?.toLowerCase();

function pageUrl(url: string): ParsedUrl | null {
  let hit = parsed.get(url);
  if (hit === undefined) {
    try {
      const u = new URL(url);
      hit = { path: u.pathname, search: u.search, params: u.search ? paramsOf(u.searchParams) : {} };
    } catch {
      hit = null;
    }
    if (parsed.size >= 1_000) parsed.clear();
    parsed.set(url, hit);
  }
  return hit;
}

/** What the request itself says about the sender; given only for requests from a browser (with an Origin). */
export interface RequestFacts {
  userAgent?: string;
  acceptLanguage?: string;
}

const clip = (s: string | undefined) => s?.slice(0, LIMITS.textLength) || undefined;

/** The first language tag of an Accept-Language header (`en-GB,en;q=0.9` is `en-GB`). */
export function firstLanguage(header: string | undefined): string | undefined {
  const tag = header?.split(',')[0]?.split(';')[0]?.trim();
  return tag && tag !== '*' ? clip(tag) : undefined;
}

/**
 * The event with what is missing filled in: context.page.path/search from its url; context.campaign from the page
 * URL's utm_*, click ids and `ref`; the first touch's parameters from its landing URL; a page event's properties
 * from context.page (Segment's page properties); and, for a browser, context.userAgent and context.locale from
 * the request headers. Anything not shaped as expected is left as it is, for validation to report.
 */
export function enrich(e: Obj, facts: RequestFacts = {}): Obj {
  if (e.context !== undefined && !isObj(e.context)) return e;
  const context: Obj = { ...e.context };
  const page = isObj(context.page) ? { ...context.page } : undefined;
  if (page && typeof page.url === 'string') {
    const u = pageUrl(page.url);
    if (u) {
      page.path ??= u.path;
      page.search ??= u.search;
    }
    context.page = page;
    if (context.campaign === undefined && u?.search) {
      const { campaign, ...rest } = u.params;
      if (campaign || Object.keys(rest).length)
        context.campaign = { ...(campaign ? { name: campaign } : {}), ...rest };
    }
  }
  if (isObj(context.firstTouch) && typeof context.firstTouch.landingUrl === 'string') {
    const touch: Obj = { ...urlParams(context.firstTouch.landingUrl), ...context.firstTouch };
    // a referrer on the landing page's own host says nothing about where the visitor came from
    if (typeof touch.referrer === 'string' && hostOf(touch.referrer) === hostOf(touch.landingUrl as string))
      delete touch.referrer;
    context.firstTouch = touch;
  }
  const userAgent = clip(facts.userAgent);
  if (userAgent) context.userAgent ??= userAgent;
  const locale = firstLanguage(facts.acceptLanguage);
  if (locale) context.locale ??= locale;
  const out: Obj = e.context === undefined && !Object.keys(context).length ? { ...e } : { ...e, context };
  if (e.type === 'page' && page && (e.properties === undefined || isObj(e.properties))) {
    const known: Obj = {};
    for (const k of ['url', 'path', 'referrer', 'title', 'search'])
      if (page[k] !== undefined && page[k] !== null) known[k] = page[k];
    out.properties = { ...known, ...(e.properties as Obj | undefined) };
  }
  return out;
}
