// The persistent outbox (localStorage `tp_q`): survives reloads and offline periods, capped so it never
// outgrows storage or one request; the oldest events give way first.
import type { WireEventInput } from '../../wire.ts';
import { BATCH_EVENTS, bytes, EVENT_BYTES, log, TEXT_LENGTH } from './config.ts';
import { getJSON, set } from './storage.ts';

export type Ev = WireEventInput & { messageId: string };

export const MAX_CHARS = 4e5;

export let q: Ev[] = [];

/** Loads what earlier pages left (start() runs it before anything can be queued). */
export function load(): void {
  const s = getJSON('tp_q');
  q = Array.isArray(s) ? s.filter((e) => e?.messageId) : [];
}

export function save(): void {
  let s: string;
  while (q.length > BATCH_EVENTS || (s = JSON.stringify(q)).length > MAX_CHARS) log('dropped', q.shift());
  set('tp_q', s!);
}

/** Queues a copy of the event with every string cut to what the collector accepts in a text field. */
export function push(e: Ev) {
  const s = JSON.stringify(e, (_k, v) => (typeof v === 'string' ? v.slice(0, TEXT_LENGTH) : v));
  if (bytes(s) > EVENT_BYTES) return log('ignored', e);
  q.push(JSON.parse(s));
  save();
}

/** Removes delivered (or undeliverable) events by messageId. */
export function remove(ids: (string | undefined)[]): void {
  q = q.filter((e) => !ids.includes(e.messageId));
  save();
}
