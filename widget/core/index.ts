// Entry of tp.js: read the script tag now, start when the page is idle, replay calls made before.
import { createApi } from './api.ts';
import { onClick, onSubmit } from './autocapture.ts';
import { defer, log, readConfig, safe } from './config.ts';
import { loadAid } from './ids.ts';
import { pageview, watchNavigation } from './pageviews.ts';
import { load } from './queue.ts';
import { flush, hide, online, show } from './transport.ts';
import { loadUI } from './ui.ts';

const w = window as any;

async function start(): Promise<void> {
  await loadAid();
  load();
  const stub = w.touchpoint;
  const tp = (w.touchpoint = createApi());
  // all on the window, capturing: the document's events pass it first
  const on = (type: string, f: (e: Event) => void) => addEventListener(type, safe(f), true);
  on('click', onClick);
  on('submit', onSubmit);
  on('online', online);
  on('pagehide', hide);
  on('visibilitychange', () => (document.hidden ? hide : show)());
  watchNavigation();
  pageview();
  for (const a of stub?.q || []) (tp as any)(...a);
  if (document.querySelector('[data-touchpoint-form]')) loadUI();
  flush(); // the first page view goes at once (this is idle time), and brings the chat settings back
}

safe(() => {
  if (!readConfig()) return log('no data-site');
  // calls made before start() queue here, like the site's own stub
  const stub: any = w.touchpoint || ((...a: unknown[]) => (stub.q ||= []).push(a));
  if (stub._tp) return log('already loaded');
  stub._tp = 1;
  w.touchpoint = stub;
  defer(() => start().catch(log));
})();
