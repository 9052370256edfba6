// How the visitor arrived: utm_* / click ids / ref from a URL, the first touch (localStorage `tp_ft`),
// and the page + campaign context every event carries.
import type { Touch } from '../../wire.ts';
import { iso } from './config.ts';
import { clean } from './privacy.ts';
import { getJSON, set, setJSON } from './storage.ts';

/**
 * A touch landing on `url` from `referrer`. The collector reads utm_*, click ids and `ref` from the landing URL,
 * and drops a referrer on the landing page's own host, which says nothing about the source (one parser, on the
 * server).
 */
export const touch = (url: string, referrer: string, at = iso()): Touch => ({
  at,
  landingUrl: url,
  referrer: referrer || undefined,
});

let first: Touch | undefined;

/** The visitor's first touch, recorded the first time we see them. */
export function firstTouch(): Touch {
  first ||= getJSON('tp_ft');
  if (!first?.at) setJSON('tp_ft', (first = touch(clean(location.href), clean(document.referrer))));
  return first;
}

/** On consent: a first touch stored on an earlier visit stays; else the one this page saw is stored. */
export function keepTouch(): void {
  const stored = getJSON('tp_ft');
  if (stored?.at) first = stored;
  else if (first) setJSON('tp_ft', first);
}

export function forgetTouch(): void {
  first = undefined;
  set('tp_ft');
}

/** The referrer of the current page: document.referrer, then the previous URL after an in-app navigation. */
export const nav = { ref: document.referrer };

/** context.page, with secrets cut from the URLs (the collector adds path and search from the URL). */
export const pageContext = () => ({
  url: clean(location.href),
  referrer: clean(nav.ref),
  title: document.title,
});
