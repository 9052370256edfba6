// Who the visitor is: the random anonymous id (cookie `tp_aid` mirrored in localStorage) and the
// user id + traits the site told us (localStorage `tp_u`).
import { parse } from './config.ts';
import { cookie, get, set } from './storage.ts';

/** A 21-character url-safe random id (126 random bits, nanoid's alphabet and length). */
export const rid = (): string =>
  // base64url of 16 random bytes: smaller in tp.js than nanoid's 64-character alphabet
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
    .slice(0, 21)
    .replace(/\+/g, '-')
    .replace(/\//g, '_');

let anon = '';

/** The anonymous id: read from the cookie or localStorage (either restores the other), else made anew. */
export function aid(): string {
  if (!anon) {
    const id = cookie('tp_aid') || get('tp_aid');
    // anything else was not written by us (or was tampered with) and the collector may refuse it
    setAid(id && /^[\w-]{8,64}$/.test(id) ? id : rid());
  }
  return anon;
}

/** Sets (and refreshes) the anonymous id in both places; a new one is the reset() verb. */
export function setAid(id: string): void {
  cookie('tp_aid', (anon = id));
  set('tp_aid', id);
}

export interface User {
  id?: string | null;
  traits: Record<string, unknown>;
}
let u: User | undefined;

export function user(): User {
  if (!u) {
    const v = parse(get('tp_u'));
    u = v?.traits ? v : { traits: {} };
  }
  return u!;
}

export const saveUser = (): void => set('tp_u', JSON.stringify(user()));

/** Forgets the user id and traits: the reset() verb. */
export function forgetUser(): void {
  u = { traits: {} };
  set('tp_u', null);
}
