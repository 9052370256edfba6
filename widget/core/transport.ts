// Delivery: POST /v1/batch with a text/plain body (a CORS "simple" request: no preflight), one flush at a
// time, exponential backoff with jitter on failure, and a best-effort beacon when the page is hidden.
import type { IngestReply } from '../../wire.ts';
import { bytes, cfg, iso, log } from './config.ts';
import { launcher } from './ui.ts';
import { type Ev, MAX_CHARS, q, remove } from './queue.ts';

const url = () => cfg.api + '/v1/batch';

const post = (body: string, keepalive: boolean) => fetch(url(), { method: 'POST', body, keepalive });

// The widget settings (the chat launcher's) come with the reply to the page's first delivered batch.
let asked = true;

const envelope = (batch: Ev[]) => JSON.stringify({ writeKey: cfg.key, sentAt: iso(), batch, widget: asked });

let flying: string[] = []; // messageIds in the one request in flight, whose reply this page will read

/** The oldest events not yet on their way that fit in `max` bytes (the queue's cap keeps them in one batch). */
function pick(max: number): Ev[] {
  let n = 200; // the envelope
  return q.filter((e) => !flying.includes(e.messageId) && (n += bytes(JSON.stringify(e)) + 1) <= max);
}

let hidden = 0; // a beacon went out since the page was last visible (pagehide and visibilitychange both come)
let busy: Promise<void> | 0 = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let backoff = 0;
let until = 0; // no automatic flush before this time (ms)

/** Sends everything queued now; resolves when the reply is handled. Chains behind a flush in flight. */
export function flush(): Promise<void> {
  clearTimeout(timer);
  return busy
    ? busy.then(flush)
    : (busy = go()
        .catch(log)
        .then(() => void (busy = 0)));
}

async function go(): Promise<void> {
  const batch = pick(MAX_CHARS);
  if (!batch.length) return;
  const ids = (flying = batch.map((e) => e.messageId));
  const body = envelope(batch);
  let s = 0; // stays 0 when the request failed (network, CORS, aborted)
  let after: string | null | undefined;
  let results: IngestReply['results'] | undefined;
  try {
    const r = await post(body, body.length < 2e4); // keepalive requests share a 64 KB budget (3 bytes a character at most)
    s = r.status;
    after = r.headers.get('retry-after');
    const reply: IngestReply | undefined = await r.json().catch(() => {}); // no body (204) is no reply
    results = reply?.results;
    // inside the try: a launcher that fails is a reply that was read
    if (asked && reply?.widget) {
      asked = false;
      launcher(reply.widget);
    }
  } catch {}
  flying = [];
  log(s, results); // data-debug shows every reply: what was refused, and why
  remove(
    // 2xx or 4xx (401 key, 403 origin, 413 size...): answered; would fail again if sent again, so done with.
    // A reply listing results is done with just those (accepted, duplicate and rejected alike).
    s && s < 500 && s !== 408 && s !== 429
      ? Array.isArray(results)
        ? results.map((x) => ids[x.index])
        : ids
      : [],
  );
  // network error, 408, 429, 5xx, or a reply that left events out: keep them and retry later
  if (q.some((e) => ids.includes(e.messageId))) {
    backoff = Math.min(6e4, backoff * 2 || 1e3);
    // full backoff halved plus jitter, or Retry-After in seconds (what the collector sends) if that is later
    const ms = Math.max((backoff * (1 + Math.random())) / 2, +after! * 1e3 || 0);
    until = Date.now() + ms;
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  } else {
    backoff = until = 0;
    if (q.length) soon(); // more than one request's worth was queued
  }
}

/** Schedules a flush after ~1 s of quiet, at once when 20 events wait; a pending retry keeps its time. */
export function soon(): void {
  if (Date.now() < until) return;
  clearTimeout(timer);
  timer = setTimeout(flush, q.length < 20 ? 1e3 : 0);
}

/** Back online: retry now. */
export function online(): void {
  until = 0;
  flush();
}

/**
 * The page is hidden and may never come back: beacon what is queued (under 64 KB) but keep it stored, since no
 * reply can be read. It is re-sent later (visible again, or the next page load); the collector dedupes by messageId.
 */
export function hide(): void {
  if (hidden++) return;
  const batch = pick(6e4);
  if (!batch.length) return;
  const body = envelope(batch);
  // a string goes as text/plain (no preflight); sendBeacon refuses (false) when over its quota: then keepalive fetch
  if (!navigator.sendBeacon(url(), body)) post(body, true).catch(log);
}

/** Visible again: whatever the beacon carried is still unconfirmed, so send it the ordinary way. */
export function show(): void {
  hidden = 0;
  if (q.length) soon();
}
