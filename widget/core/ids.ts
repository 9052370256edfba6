// Who the visitor is: the random anonymous id (localStorage `tp_aid`, mirrored in the cookie of that name) and the
// user id + traits the site told us (localStorage `tp_u`).
import { cfg, log } from './config.ts';
import { get, getJSON, set, setJSON } from './storage.ts';

/** A random id: 128 random bits as four decimal numbers joined by dashes (url-safe, up to 43 characters). */
export const rid = (): string => crypto.getRandomValues(new Uint32Array(4)).join('-');

let anon = '';

// anything else was not written by us (or was tampered with) and the collector may refuse it
const ok = (id?: string | null) => !!id && /^[\w-]{8,64}$/.test(id) && id;

/**
 * Settles the anonymous id before the page's first event (and again on consent): localStorage's, else the
 * cookie's (either restores the other), else the one this page already uses, else a new one. Reading document.cookie blocks the page on a round trip to the browser's
 * network process, so the cookie is read only when localStorage lacks the id, and only through the
 * asynchronous Cookie Store (a browser without one restores from localStorage alone). It is written (a
 * one-way call) on every page, which keeps it alive.
 */
export const loadAid = async (): Promise<string> =>
  setAid(
    ok(get('tp_aid')) ||
      // off (no consent): nothing is read from the device, and the id lives in this page's memory
      (!cfg.off && ok((await (self as any).cookieStore?.get('tp_aid').catch(log))?.value)) ||
      anon ||
      rid(),
  );

/** The anonymous id (loadAid() settled it; made here if it did not run). */
export const aid = (): string => anon || setAid(rid());

/** Sets (and refreshes) the anonymous id in both places and returns it; a new one is the reset() verb. */
export function setAid(id: string): string {
  // the cookie lives data-cookie-days (13 months by default; 0 days removes it): a one-way call. It is read back
  // only through the asynchronous Cookie Store (see loadAid): reading document.cookie blocks the page.
  try {
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store's set() is asynchronous; this is one call
    if (!cfg.off)
      document.cookie = `tp_aid=${id};path=/;max-age=${cfg.days * 864e2};SameSite=Lax${location.protocol === 'https:' ? ';Secure' : ''}`;
  } catch {}
  set('tp_aid', id);
  return (anon = id);
}

export interface User {
  id?: string | null;
  traits: Record<string, unknown>;
}

let u: User | undefined;

export const user = (): User => (u?.traits || (u = getJSON('tp_u'))?.traits ? u! : (u = { traits: {} }));

export const saveUser = (): void => setJSON('tp_u', user());

/** Forgets the user id and traits: the reset() verb (user() then starts from nothing). */
export function forgetUser(): void {
  u = undefined;
  set('tp_u');
}
