// A collector plus host pages on other origins (one plain, one under a strict CSP) for the widget UI tests.
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.ts';
import { startCollector, type TestCollector } from './collector.ts';
import { type HostSite, serveHostPages } from './pages.ts';

export interface WidgetSite {
  browser: Browser;
  collector: TestCollector;
  host: HostSite;
  /** The same pages served with a strict Content-Security-Policy. */
  strict: HostSite;
  close(): Promise<void>;
}

export const strictCsp = (collectorUrl: string) =>
  `default-src 'self'; script-src 'self' ${collectorUrl}; connect-src ${collectorUrl}; style-src 'self'; img-src 'self'`;

export async function startWidgetSite(
  pages: (collectorUrl: string, siteKey: string) => Record<string, string>,
  before?: (c: TestCollector) => Promise<void>,
  env?: Record<string, string>,
): Promise<WidgetSite> {
  // the hosts' origins must be known before the site is made: reserve two ports first
  const reserve = [await serveHostPages({}), await serveHostPages({})];
  const ports = reserve.map((h) => Number(new URL(h.url).port));
  const origins = reserve.map((h) => h.url);
  await Promise.all(reserve.map((h) => h.close()));
  const collector = await startCollector({ origins, env });
  await before?.(collector);
  const html = pages(collector.url, collector.site.siteKey);
  const host = await serveHostPages(html, ports[0]);
  const strict = await serveHostPages(html, ports[1], {
    'Content-Security-Policy': strictCsp(collector.url),
  });
  const browser = await launchBrowser();
  return {
    browser,
    collector,
    host,
    strict,
    async close() {
      await browser.close();
      await host.close();
      await strict.close();
      await collector.close();
    },
  };
}

export const layout = (collectorUrl: string, siteKey: string, body: string, head = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Host</title>${head}<script async src="${collectorUrl}/tp.js" data-site="${siteKey}"></script></head><body>${body}</body></html>`;

/** Collects CSP violations from the start of every document in the page. */
export async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const w = window as any;
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return () => page.evaluate(() => (window as any).__violations as string[]);
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
