// How the visitor arrived: utm_* / click ids / ref from a URL, the first touch (localStorage `tp_ft`),
// and the page + campaign context every event carries.
import type { Touch } from '../../wire.ts';
import { CLICK_ID_PARAMS, iso } from './config.ts';
import { clean } from './privacy.ts';
import { getJSON, set, setJSON } from './storage.ts';

// the query parameters read, by their full names: a utm_ prefix is dropped from the key
const KEYS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  ...CLICK_ID_PARAMS,
  'ref',
];

/** Attribution parameters of a URL: utm_* (without the prefix), click ids and `ref`; empty ones left out. */
export function params(url: string): Record<string, string> {
  const o: Record<string, string> = {};
  try {
    const p = new URL(url).searchParams;
    for (const k of KEYS) {
      const v = p.get(k);
      if (v) o[k.replace('utm_', '')] = v;
    }
  } catch {}
  return o;
}

/** A touch landing on `url` from `referrer`; a referrer on the same host says nothing about the source. */
export function touch(url: string, referrer: string, at = iso()): Touch {
  const t: Touch = { at, landingUrl: url, ...params(url) };
  try {
    if (new URL(referrer).host !== new URL(url).host) t.referrer = referrer;
  } catch {}
  return t;
}

let first: Touch | undefined;

/** The visitor's first touch, recorded the first time we see them. */
export function firstTouch(): Touch {
  first ||= getJSON('tp_ft');
  if (!first?.at) setJSON('tp_ft', (first = touch(clean(location.href), clean(document.referrer))));
  return first;
}

export function forgetTouch(): void {
  first = undefined;
  set('tp_ft', null);
}

/** The referrer of the current page: document.referrer, then the previous URL after an in-app navigation. */
export const nav = { ref: document.referrer };

/** context.page, with secrets cut from the URLs. */
export function pageContext() {
  const u = new URL(clean(location.href));
  return { url: u.href, path: u.pathname, referrer: clean(nav.ref), title: document.title, search: u.search };
}

/** Segment's context.campaign: utm_campaign is `name`; click ids and `ref` ride along. Empty when none. */
export function campaign(): Record<string, string> {
  const { campaign: name, ...p } = params(location.href);
  if (name) p.name = name;
  return p;
}
