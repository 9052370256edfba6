// First-party persistence: localStorage and cookies, never throwing (sandboxed iframes, blocked storage, full
// quota). Each reader keeps what it read in memory (the anonymous id, user, first touch, queue), so a page whose
// storage throws still works as one visit.
import { parse } from './config.ts';

export function get(k: string): string | null | undefined {
  try {
    return localStorage.getItem(k);
  } catch {}
}

/** Stores a value; `null` removes it. */
export function set(k: string, v: string | null): void {
  try {
    v == null ? localStorage.removeItem(k) : localStorage.setItem(k, v);
  } catch {}
}

/** A stored JSON value, undefined when missing or unreadable. */
export const getJSON = (k: string): any => parse(get(k));

export const setJSON = (k: string, v: unknown): void => set(k, JSON.stringify(v));

/**
 * Writes a cookie for ~400 days (the longest browsers keep one): a one-way call. It is read back only through
 * the asynchronous Cookie Store (see ids.ts): reading document.cookie blocks the page on the browser.
 */
export function cookie(k: string, v: string): void {
  try {
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store's set() is asynchronous; this is one call
    document.cookie = `${k}=${v};path=/;max-age=34560000;SameSite=Lax${location.protocol === 'https:' ? ';Secure' : ''}`;
  } catch {}
}
