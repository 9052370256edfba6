// Shared set-up for the widget tests: a clean page, fresh module instances, a scripted collector.
import { expect, vi } from 'vitest';
import type { Touchpoint } from '../../widget/core/touchpoint.d.ts';

const w = window as any;

/** Forgets cookies, storage, the script tag and window.touchpoint; silences the debug log (__DEBUG__ is on). */
export function cleanPage(): void {
  vi.restoreAllMocks();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  for (const c of document.cookie.split('; ')) if (c) setCookie(`${c.split('=')[0]}=;path=/;max-age=0`);
  localStorage.clear();
  document.head.innerHTML = '';
  document.body.innerHTML = '';
  delete w.touchpoint;
  history.replaceState(null, '', '/');
}

// biome-ignore lint/suspicious/noDocumentCookie: the page under test uses plain cookies, as tp.js does
export const setCookie = (c: string) => (document.cookie = c);

export const cookieValue = (k: string): string | undefined =>
  document.cookie.match(`(?:^|; )${k}=([^;]*)`)?.[1];

export const stored = (k: string): any => JSON.parse(localStorage.getItem(k) ?? 'null');

/** Fresh copies of the core's modules (module state such as the queue and timers starts over). */
export async function fresh() {
  vi.resetModules();
  const load = {
    config: import('../../widget/core/config.ts'),
    queue: import('../../widget/core/queue.ts'),
    transport: import('../../widget/core/transport.ts'),
    events: import('../../widget/core/events.ts'),
    ids: import('../../widget/core/ids.ts'),
    touch: import('../../widget/core/touch.ts'),
    autocapture: import('../../widget/core/autocapture.ts'),
    pageviews: import('../../widget/core/pageviews.ts'),
    ui: import('../../widget/core/ui.ts'),
    storage: import('../../widget/core/storage.ts'),
    privacy: import('../../widget/core/privacy.ts'),
  };
  const m = {} as { [K in keyof typeof load]: Awaited<(typeof load)[K]> };
  for (const k of Object.keys(load) as (keyof typeof load)[]) (m as any)[k] = await load[k];
  const { config } = m;
  config.cfg.api = 'https://collector.test';
  config.cfg.key = 'site_key';
  return m;
}

/** The embed snippet's <script> tag (parsed from HTML, so happy-dom does not try to load it). */
export function embed(attrs = 'src="https://collector.test/tp.js" data-site="site_key"'): void {
  document.head.insertAdjacentHTML('beforeend', `<script async ${attrs}></script>`);
}

/** Runs tp.js's entry point (a fresh copy) and waits until it has started. */
export async function boot(): Promise<Touchpoint> {
  vi.resetModules();
  await import('../../widget/core/index.ts');
  await vi.waitFor(() => expect(w.touchpoint?.version).toBeTruthy());
  return w.touchpoint;
}

export interface Sent {
  url: string;
  body: { writeKey: string; sentAt: string; batch: any[] };
  keepalive?: boolean;
}

/**
 * Replaces fetch with a scripted collector: `reply` gets each batch and returns [status, body, headers];
 * by default every event is accepted.
 */
export function mockCollector(
  reply: (body: Sent['body']) => [number, unknown?, Record<string, string>?] = (b) => [
    200,
    { results: b.batch.map((e, index) => ({ index, messageId: e.messageId, status: 'accepted' })) },
  ],
) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body));
    sent.push({ url, body, keepalive: init.keepalive });
    const [status, json, headers] = reply(body);
    if (status === 0) throw new TypeError('Failed to fetch');
    return new Response(json === undefined ? null : JSON.stringify(json), { status, headers });
  });
  vi.stubGlobal('fetch', fetch);
  return { sent, fetch, events: () => sent.flatMap((s) => s.body.batch) };
}

/** Makes document.cookie and window.localStorage throw, as in a sandboxed iframe; returns the undo. */
export function blockStorage(): () => void {
  const deny = () => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  };
  const saved = [document, window].map((o, i) => {
    const k = i ? 'localStorage' : 'cookie';
    const own = Object.getOwnPropertyDescriptor(o, k);
    Object.defineProperty(o, k, { get: deny, set: deny, configurable: true });
    return () => (own ? Object.defineProperty(o, k, own) : delete (o as any)[k]);
  });
  return () => {
    for (const undo of saved) undo();
  };
}
