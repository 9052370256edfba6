// First-party persistence: localStorage (the anonymous id's cookie is written in ids.ts), never throwing
// (sandboxed iframes, blocked storage, full quota), and a no-op without consent (cfg.off). Each reader keeps what
// it read in memory (the anonymous id, user, first touch, queue), so a page whose storage throws still works as
// one visit.
import { cfg, parse } from './config.ts';

export function get(k: string): string | null | undefined {
  try {
    if (!cfg.off) return localStorage.getItem(k);
  } catch {}
}

/** Stores a value; `null` (or none) removes it. */
export function set(k: string, v?: string | null): void {
  try {
    if (!cfg.off) v == null ? localStorage.removeItem(k) : localStorage.setItem(k, v);
  } catch {}
}

/** A stored JSON value, undefined when missing or unreadable. */
export const getJSON = (k: string): any => parse(get(k));

export const setJSON = (k: string, v: unknown): void => set(k, JSON.stringify(v));
