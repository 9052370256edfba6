// Headless Chromium as it is (its user agent says HeadlessChrome) loading a page with the script tag: its page
// view adds no visitor and is counted apart, while the same page in a visitor's browser makes a profile.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, screenshotPath } from '../support/browser.ts';
import { signIn } from './dashboard-support.ts';
import { layout, startWidgetSite, type WidgetSite, waitFor } from '../support/widget-site.ts';

let w: WidgetSite;
beforeAll(async () => {
  w = await startWidgetSite((api, key) => ({ '/': layout(api, key, '<h1>Pricing</h1>') }));
});
afterAll(() => w?.close());

it('keeps a headless browser out of the visitors and counts it apart', async () => {
  const { collector } = w;
  const headless = await launchBrowser({ headlessUserAgent: true });
  try {
    for (let i = 0; i < 3; i++) {
      const page = await headless.newPage();
      const reply = page.waitForResponse((r) => r.url().endsWith('/v1/batch'));
      await page.goto(`${w.host.url}/?utm_source=bot${i}`);
      expect(await (await reply).json()).toMatchObject({ bot: true });
      await page.close();
    }
  } finally {
    await headless.close();
  }
  expect((await collector.api('/api/profiles')).body.profiles).toHaveLength(0);
  // A visitor's browser on the same page is a visitor.
  const page = await w.browser.newPage();
  await page.goto(`${w.host.url}/?utm_source=person`);
  await waitFor(async () => (await collector.api('/api/profiles')).body.profiles.length === 1, 'the visitor');
  await page.close();
  const overview = (await collector.api(`/api/overview?site=${collector.site.id}`)).body;
  expect(overview.funnel[0].count).toBe(1);
  expect(overview.bots.requests).toBe(3);
  // The marketer sees that they were kept out.
  const dash = await w.browser.newPage();
  await signIn(dash, collector);
  await dash
    .getByText('3 page events from bots and headless browsers were kept out of these counts.')
    .waitFor();
  await dash.screenshot({ path: screenshotPath('dashboard-overview-bots-1280'), fullPage: true });
  await dash.close();
});
