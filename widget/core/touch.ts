// How the visitor arrived: utm_* / click ids / ref from a URL, the first touch (localStorage `tp_ft`),
// and the page + campaign context every event carries.
import type { Touch } from '../../wire.ts';
import { iso } from './config.ts';
import { clean } from './privacy.ts';
import { getJSON, set, setJSON } from './storage.ts';

/**
 * A touch landing on `url` from `referrer`; a referrer on the same host says nothing about the source. The
 * collector reads utm_*, click ids and `ref` from the landing URL (one parser, on the server).
 */
export function touch(url: string, referrer: string, at = iso()): Touch {
  const t: Touch = { at, landingUrl: url };
  // absolute URLs as the browser wrote them: the host (with port) is the third part
  const host = (u: string) => u.split('/')[2];
  if (referrer && host(referrer) !== host(url)) t.referrer = referrer;
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

/** context.page, with secrets cut from the URLs (the collector adds path and search from the URL). */
export const pageContext = () => ({
  url: clean(location.href),
  referrer: clean(nav.ref),
  title: document.title,
});
