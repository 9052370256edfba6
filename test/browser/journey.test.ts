// The foundation path in real Chromium: a host page on another origin carries the script tag; a visitor
// arrives from a newsletter, clicks and submits a form; the profile has the email, the first touch and the
// timeline in order. Then delivery survives an outage and a reload with every event stored once.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotPath } from '../support/browser.ts';
import { startCollector, type TestCollector } from '../support/collector.ts';
import { type HostSite, serveHostPages } from '../support/pages.ts';

let browser: Browser;
let collector: TestCollector;
let host: HostSite;

function hostPages(collectorUrl: string, siteKey: string) {
  const tag = `<script async src="${collectorUrl}/tp.js" data-site="${siteKey}"></script>`;
  const layout = (title: string, body: string) =>
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${tag}</head><body>${body}</body></html>`;
  return {
    '/': layout(
      'Acme shoes',
      `<h1>Acme shoes</h1>
       <button id="buy" type="button">Buy now</button>
       <form id="signup" name="signup" action="/thanks" method="get">
         <label>Email <input type="email" name="email"></label>
         <label>Name <input name="name"></label>
         <label>Password <input type="password" name="password"></label>
         <label>Card <input name="cardnumber" autocomplete="cc-number"></label>
         <label>Secret note <input name="note" data-tp-ignore></label>
         <input type="hidden" name="csrf" value="hidden-token">
         <button type="submit">Sign up</button>
       </form>`,
    ),
    '/thanks': layout('Thanks', '<h1>Thanks for signing up</h1>'),
    '/outage': layout('Outage', '<h1>Outage test</h1>'),
  };
}

beforeAll(async () => {
  // The host page's origin must be known before the site is created, so reserve it first.
  host = await serveHostPages({ '/': 'placeholder' });
  await host.close();
  const port = Number(new URL(host.url).port);
  collector = await startCollector({ origins: [host.url] });
  host = await serveHostPages(hostPages(collector.url, collector.site.siteKey), port);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await collector?.close();
});

async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until one browser's events with these names are stored (at least once each). */
async function waitForEvents(anonymousId: string, names: string[]) {
  await waitFor(
    async () => {
      const rs = await collector.db.execute({
        sql: `SELECT COUNT(DISTINCT event) AS n FROM events WHERE anonymous_id = ? AND event IN (${names.map(() => '?').join(', ')})`,
        args: [anonymousId, ...names],
      });
      return Number(rs.rows[0].n) === names.length;
    },
    `the events ${names.join(', ')}`,
    // the widget retries with backoff after the outage; on a loaded CI machine the next try can be late
    40_000,
  );
}

async function flush(page: Page) {
  await page.waitForFunction(() => typeof (window as any).touchpoint?.flush === 'function');
  await page.evaluate(() => (window as any).touchpoint.flush());
}

describe('one script tag to a stored, visible journey', () => {
  it('records first touch, click and form submission on one profile, in order', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${host.url}/?utm_source=newsletter&utm_campaign=spring`);
    await page.waitForFunction(() => typeof (window as any).touchpoint?.flush === 'function');
    await page.click('#buy');
    await page.fill('input[name=email]', 'Visitor@Example.com');
    await page.fill('input[name=name]', 'Vera Visitor');
    await page.fill('input[name=password]', 'hunter2-secret');
    await page.fill('input[name=cardnumber]', '4242 4242 4242 4242');
    await page.fill('input[name=note]', 'do-not-capture');
    await page.screenshot({ path: screenshotPath('journey-host-page') });
    await Promise.all([page.waitForURL(/\/thanks/), page.click('button[type=submit]')]);
    await flush(page);

    const listed = await waitFor(async () => {
      const res = await collector.api('/api/profiles?q=visitor@example.com');
      return res.body.profiles[0];
    }, 'the profile with the form email');
    expect(listed.email).toBe('visitor@example.com');
    expect(listed.firstTouch).toMatchObject({ source: 'newsletter', campaign: 'spring' });
    expect(listed.firstTouch.landingUrl).toContain('utm_source=newsletter');

    const detail = await waitFor(async () => {
      const res = await collector.api(`/api/profiles/${listed.id}`);
      return res.body.timeline.length >= 5 && res.body;
    }, 'five timeline events');
    const steps = detail.timeline.map((t: { type: string; event: string | null }) =>
      t.type === 'page' ? 'page' : t.event,
    );
    // The submit button is a button too: its click comes just before the submission.
    expect(steps).toEqual(['page', 'Element Clicked', 'Element Clicked', 'Form Submitted', 'page']);
    expect(detail.timeline[1].properties).toMatchObject({ tag: 'button', text: 'Buy now' });
    expect(detail.timeline[2].properties).toMatchObject({ tag: 'button', text: 'Sign up' });
    const form = detail.timeline[3];
    expect(form.properties.fields).toMatchObject({ email: 'Visitor@Example.com', name: 'Vera Visitor' });

    // Nothing secret was stored anywhere.
    const bodies = (await collector.db.execute('SELECT body FROM events')).rows
      .map((r) => String(r.body))
      .join('\n');
    for (const secret of ['hunter2-secret', '4242 4242 4242 4242', 'do-not-capture', 'hidden-token']) {
      expect(bodies).not.toContain(secret);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps events through an outage and a reload, and stores each exactly once', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${host.url}/outage`);
    await flush(page);
    const anonymousId = await page.evaluate(() => localStorage.getItem('tp_aid'));
    expect(anonymousId).toBeTruthy();

    // The collector becomes unreachable: every send fails.
    await page.route(`${collector.url}/v1/**`, (route) => route.abort('internetdisconnected'));
    await context.setOffline(true);
    await page.evaluate(() => {
      const tp = (window as any).touchpoint;
      tp.track('Offline One', { n: 1 });
      tp.track('Offline Two', { n: 2 });
      tp.track('Offline Three', { n: 3 });
    });
    await page.evaluate(() => (window as any).touchpoint.flush()).catch(() => {});
    const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('tp_q') || '[]').length);
    expect(queued).toBeGreaterThanOrEqual(3);

    // Reload while the collector is still unreachable (the page itself still loads).
    await context.setOffline(false);
    await page.reload();
    await page.waitForFunction(() => typeof (window as any).touchpoint?.flush === 'function');
    await page.evaluate(() => (window as any).touchpoint.track('After Reload'));
    await page.evaluate(() => (window as any).touchpoint.flush()).catch(() => {});

    // Back online: the queue drains on its own.
    await page.unroute(`${collector.url}/v1/**`);
    await context.setOffline(true);
    await context.setOffline(false);

    const names = ['Offline One', 'Offline Two', 'Offline Three', 'After Reload'];
    await waitForEvents(anonymousId!, names);
    await flush(page);
    const rs = await collector.db.execute({
      sql: 'SELECT event, type, COUNT(*) AS n FROM events WHERE anonymous_id = ? GROUP BY type, event ORDER BY event',
      args: [anonymousId!],
    });
    const counts = Object.fromEntries(rs.rows.map((r) => [String(r.event ?? r.type), Number(r.n)]));
    for (const name of names) expect(counts[name], name).toBe(1);
    // Two page views: the first load and the reload.
    const pages = await collector.db.execute({
      sql: "SELECT COUNT(*) AS n FROM events WHERE anonymous_id = ? AND type = 'page'",
      args: [anonymousId!],
    });
    expect(Number(pages.rows[0].n)).toBe(2);
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem('tp_q') || '[]').length)).toBe(0);
    await context.close();
  });

  it('two tabs offline: closing one loses none of its events; each is stored once', async () => {
    const context = await browser.newContext();
    const a = await context.newPage();
    await a.goto(`${host.url}/outage`);
    await flush(a);
    const b = await context.newPage();
    await b.goto(`${host.url}/thanks`);
    await flush(b);
    const anonymousId = await a.evaluate(() => localStorage.getItem('tp_aid'));
    expect(await b.evaluate(() => localStorage.getItem('tp_aid'))).toBe(anonymousId);

    await context.route(`${collector.url}/v1/**`, (route) => route.abort('internetdisconnected'));
    await context.setOffline(true);
    const track = (page: Page, name: string) =>
      page.evaluate((n) => (window as any).touchpoint.track(n), name);
    // alternate writes, the second tab last: a queue written whole by each tab would keep only its own
    await track(a, 'Tab A One');
    await track(b, 'Tab B One');
    await track(a, 'Tab A Two');
    await track(b, 'Tab B Two');
    // a beacon is fire-and-forget and may be lost; here tab A's is, so its events live only in storage
    await a.evaluate(() => (navigator.sendBeacon = () => true));
    await a.close();
    await context.setOffline(false);
    await b.reload();
    await b.waitForFunction(() => typeof (window as any).touchpoint?.flush === 'function');
    await context.unroute(`${collector.url}/v1/**`);
    await context.setOffline(true);
    await context.setOffline(false); // the online event: send now

    const names = ['Tab A One', 'Tab A Two', 'Tab B One', 'Tab B Two'];
    await waitForEvents(anonymousId!, names);
    await flush(b);
    const rs = await collector.db.execute({
      sql: 'SELECT event, COUNT(*) AS n FROM events WHERE anonymous_id = ? AND event LIKE ? GROUP BY event',
      args: [anonymousId!, 'Tab %'],
    });
    expect(Object.fromEntries(rs.rows.map((r) => [String(r.event), Number(r.n)]))).toEqual(
      Object.fromEntries(names.map((n) => [n, 1])),
    );
    expect(await b.evaluate(() => JSON.parse(localStorage.getItem('tp_q') || '[]').length)).toBe(0);
    await context.close();
  });
});
