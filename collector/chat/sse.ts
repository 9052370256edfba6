// One SSE loop for the visitor's and the inbox's streams: replay after Last-Event-ID, then sleep on the hub and
// send what is new only when it wakes the stream (the store's change feed wakes it for changes made by any
// process; a stream never polls the database); a heartbeat comment keeps proxies from closing an idle stream.
// When the client goes away the loop ends and the sleeper is closed: no timer or listener is left behind.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Hub } from './hub.ts';

export interface StreamTiming {
  /** How often an idle stream sends a comment line (ms). */
  heartbeatMs: number;
}

export const DEFAULT_TIMING: StreamTiming = { heartbeatMs: 15_000 };

/** Most messages or changes a stream reads at once (it reads again while pages come full). */
export const PAGE = 500;

/** The last event id the client saw: the Last-Event-ID header (a reconnect) or ?after=, whichever is later. */
export function resumeFrom(c: Context): number {
  const n = (s: string | undefined) => (s && /^\d{1,15}$/.test(s) ? Number(s) : 0);
  return Math.max(n(c.req.header('last-event-id')), n(c.req.query('after')));
}

export function sseLoop(
  c: Context,
  hub: Hub,
  topic: string,
  timing: StreamTiming,
  /** Sends what came after `last` and returns the new last id (the only database read of a stream). */
  pump: (last: number, send: (id: number, event: string, data: unknown) => Promise<void>) => Promise<number>,
  start: number,
): Response {
  return streamSSE(c, async function stream(s) {
    const sleeper = hub.sleeper(topic);
    const stop = () => {
      s.abort();
      sleeper.close();
    };
    s.onAbort(() => sleeper.close());
    c.req.raw.signal?.addEventListener('abort', stop, { once: true });
    try {
      let last = start;
      let beat = Date.now();
      // retry: how long EventSource waits before reconnecting
      await s.writeSSE({ event: 'ready', data: String(last), retry: 1000 });
      const send = async (id: number, event: string, data: unknown) => {
        await s.writeSSE({ id: String(id), event, data: JSON.stringify(data) });
        beat = Date.now();
      };
      // the first round replays what came after `start`; later ones run only when the hub woke the stream
      let woken = true;
      while (!s.aborted && !s.closed && !sleeper.closed) {
        if (woken) last = await pump(last, send);
        if (Date.now() - beat >= timing.heartbeatMs) {
          await s.write(': ping\n\n');
          beat = Date.now();
        }
        woken = await sleeper.nap(timing.heartbeatMs - (Date.now() - beat));
      }
    } finally {
      c.req.raw.signal?.removeEventListener('abort', stop);
      sleeper.close();
    }
  });
}
