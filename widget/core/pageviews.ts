// Page views: one on load and one per in-app navigation (history API, back/forward, hash routes).
import { safe } from './config.ts';
import { page } from './events.ts';
import { nav } from './touch.ts';

let last = '';
let lastHref = '';

/** Sends a page view unless the URL is the one last seen; an in-page #anchor is the same page. */
export function pageview() {
  const href = location.href;
  // a hash counts only when it looks like a route (#/path, #!/path)
  const key = href.replace(/#(?![!/]).*/, '');
  if (key === last) return;
  if (last) nav.ref = lastHref;
  last = key;
  lastHref = href;
  page();
}

/** Watches in-app navigation; the patched history methods behave exactly as before. */
export function watchNavigation(): void {
  const later = () => setTimeout(safe(pageview)); // after the app has rendered and set its title
  for (const m of ['pushState', 'replaceState'] as const) {
    const orig = history[m];
    history[m] = function (this: History, ...a: Parameters<History['pushState']>) {
      const r = orig.apply(this, a);
      later();
      return r;
    };
  }
  addEventListener('popstate', later); // also fires when only the hash changes
}
