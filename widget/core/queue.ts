// The persistent outbox (localStorage `tp_q`): survives reloads and offline periods, capped so it never
// outgrows storage or one request; the oldest events give way first.
import type { WireEventInput } from '../../wire.ts';
import { BATCH_EVENTS, bytes, EVENT_BYTES, log, TEXT_LENGTH } from './config.ts';
import { getJSON, set } from './storage.ts';

export type Ev = WireEventInput & { messageId: string };

export const MAX_CHARS = 4e5;

export let q: Ev[] = [];

/**
 * Adds what is stored and not yet in this page's queue: what earlier pages left (start() runs it first), and
 * what other tabs of the site queued since. Run before every change, so a tab never writes over another tab's
 * events: each write is the union. An event another tab already delivered may come back from this page's copy
 * and be sent again; the collector dedupes it by messageId, and both tabs then drop it.
 */
export function load(): void {
  const s = getJSON('tp_q');
  if (Array.isArray(s))
    for (const e of s) if (e?.messageId && !q.some((x) => x.messageId === e.messageId)) q.push(e);
}

export function save(): void {
  let s: string;
  while (q.length > BATCH_EVENTS || (s = JSON.stringify(q)).length > MAX_CHARS) log(q.shift());
  set('tp_q', s!);
}

/** Queues a copy of the event with every string cut to what the collector accepts in a text field. */
export function push(e: Ev) {
  const s = JSON.stringify(e, (_k, v) => (typeof v === 'string' ? v.slice(0, TEXT_LENGTH) : v));
  if (bytes(s) > EVENT_BYTES) return log(e);
  load();
  q.push(JSON.parse(s));
  save();
}

/** Removes delivered (or undeliverable) events by messageId. */
export function remove(ids: (string | undefined)[]): void {
  load();
  q = q.filter((e) => !ids.includes(e.messageId));
  save();
}
