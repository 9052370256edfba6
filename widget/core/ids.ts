// Who the visitor is: the random anonymous id (cookie `tp_aid` mirrored in localStorage) and the
// user id + traits the site told us (localStorage `tp_u`).
import { cookie, get, getJSON, set, setJSON } from './storage.ts';

/** A random id: 128 random bits as four decimal numbers joined by dashes (url-safe, up to 43 characters). */
export const rid = (): string => crypto.getRandomValues(new Uint32Array(4)).join('-');

let anon = '';

/** The anonymous id: read from the cookie or localStorage (either restores the other), else made anew. */
export function aid(): string {
  const id = anon || cookie('tp_aid') || get('tp_aid');
  // anything else was not written by us (or was tampered with) and the collector may refuse it
  return anon || setAid(id && /^[\w-]{8,64}$/.test(id) ? id : rid());
}

/** Sets (and refreshes) the anonymous id in both places and returns it; a new one is the reset() verb. */
export function setAid(id: string): string {
  cookie('tp_aid', id);
  set('tp_aid', id);
  return (anon = id);
}

export interface User {
  id?: string | null;
  traits: Record<string, unknown>;
}

let u: User | undefined;

export function user(): User {
  if (!u?.traits) u = getJSON('tp_u');
  return u?.traits ? u : (u = { traits: {} });
}

export const saveUser = (): void => setJSON('tp_u', user());

/** Forgets the user id and traits: the reset() verb (user() then starts from nothing). */
export function forgetUser(): void {
  u = undefined;
  set('tp_u', null);
}
