// Consent in real Chromium, on host pages of another origin: with consent required nothing is on the device
// before `touchpoint('consent', true)` and the campaign of the landing page seen before it is the profile's
// first touch; `consent(false)` clears the device; Global Privacy Control keeps the device empty and only a
// cookieless page view is counted. The marketer sets it in Settings → Privacy and gets the matching snippet.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VISITOR_UA } from '../support/browser.ts';
import { startWidgetSite, waitFor, type WidgetSite } from '../support/widget-site.ts';
import { openPage, shootBoth, signIn } from './dashboard-support.ts';

let site: WidgetSite;

const page = (collectorUrl: string, siteKey: string, attrs: string, title: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><script async src="${collectorUrl}/tp.js" data-site="${siteKey}" ${attrs}></script></head><body><h1>${title}</h1></body></html>`;

beforeAll(async () => {
  site = await startWidgetSite((url, key) => ({
    '/landing': page(url, key, 'data-consent="required"', 'Spring sale'),
    '/pricing': page(url, key, 'data-consent="required"', 'Pricing'),
    '/plain': page(url, key, '', 'Plain page'),
  }));
});
afterAll(async () => {
  await site?.close();
});

async function newVisitor(init?: () => void): Promise<{ context: BrowserContext; tab: Page }> {
  const context = await site.browser.newContext({ userAgent: VISITOR_UA });
  if (init) await context.addInitScript(init);
  return { context, tab: await context.newPage() };
}

/** What the host page's origin holds: its localStorage keys and cookies. */
async function onDevice(context: BrowserContext, tab: Page) {
  const keys = await tab.evaluate(() => Object.keys(localStorage));
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`);
  return [...keys, ...cookies];
}

async function cookieless(): Promise<number> {
  const overview = await site.collector.api(`/api/overview?site=${site.collector.site.id}`);
  return overview.body.cookieless.views;
}

const stored = async (sql: string, args: string[] = []) =>
  Number((await site.collector.db.execute({ sql, args })).rows[0].n);

it('keeps nothing on the device before consent; the campaign seen before it is the first touch', async () => {
  const { context, tab } = await newVisitor();
  const views = await cookieless();
  await tab.goto(`${site.host.url}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring`);
  await tab.waitForFunction(() => (window as any).touchpoint?.version);
  // Things the page does before consent: none is kept.
  await tab.evaluate(() => {
    const tp = (window as any).touchpoint;
    tp('track', 'Viewed offer');
    tp('identify', { email: 'early@visitor.example' });
  });
  await waitFor(async () => (await cookieless()) === views + 1, 'the cookieless page view');
  expect(await onDevice(context, tab)).toEqual([]);
  expect(await stored("SELECT COUNT(*) AS n FROM events WHERE event = 'Viewed offer'")).toBe(0);
  expect(await stored("SELECT COUNT(*) AS n FROM identities WHERE key LIKE '%early@visitor.example%'")).toBe(
    0,
  );

  await tab.evaluate(() => (window as any).touchpoint('consent', true));
  const anonymousId = await tab.evaluate(() => localStorage.getItem('tp_aid'));
  expect(anonymousId).toMatch(/^[\w-]{8,64}$/);
  expect((await context.cookies()).find((c) => c.name === 'tp_aid')?.value).toBe(anonymousId);
  const profileId = await waitFor(async () => {
    const rs = await site.collector.db.execute({
      sql: 'SELECT profile_id FROM identities WHERE key = ?',
      args: [`a:${anonymousId}`],
    });
    return rs.rows[0] ? String(rs.rows[0].profile_id) : null;
  }, 'the consented visitor');
  const shown = (await site.collector.api(`/api/profiles/${profileId}`)).body.profile;
  expect(shown.firstTouch).toMatchObject({ source: 'newsletter', medium: 'email', campaign: 'spring' });
  // The landing page is one view: counted without consent first, then as the visit, its cookieless count is
  // given back.
  await waitFor(async () => (await cookieless()) === views, 'the landing page counted once');

  // The next page asks again (the banner calls consent on every page): the same visitor, the same first touch.
  await tab.goto(`${site.host.url}/pricing`);
  await tab.waitForFunction(() => (window as any).touchpoint?.version);
  await tab.evaluate(() => (window as any).touchpoint('consent', true));
  expect(await tab.evaluate(() => localStorage.getItem('tp_aid'))).toBe(anonymousId);
  await waitFor(
    async () =>
      (await stored("SELECT COUNT(*) AS n FROM events WHERE anonymous_id = ? AND type = 'page'", [
        anonymousId!,
      ])) === 2,
    'the consented page views',
  );
  const again = (await site.collector.api(`/api/profiles/${profileId}`)).body.profile;
  expect(again.firstTouch).toMatchObject({ campaign: 'spring' });

  // Withdrawn: what the device holds is cleared, and nothing more is kept.
  await tab.evaluate(() => {
    const tp = (window as any).touchpoint;
    tp('consent', false);
    tp('track', 'After withdrawal');
  });
  expect(await onDevice(context, tab)).toEqual([]);
  await tab.waitForTimeout(1500);
  expect(await stored("SELECT COUNT(*) AS n FROM events WHERE event = 'After withdrawal'")).toBe(0);
  await context.close();
});

it('honours Global Privacy Control: nothing on the device, only a cookieless page view', async () => {
  const { context, tab } = await newVisitor(() =>
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
  );
  const views = await cookieless();
  const profiles = await stored('SELECT COUNT(*) AS n FROM profiles');
  await tab.goto(`${site.host.url}/plain?utm_source=ads`);
  await tab.waitForFunction(() => (window as any).touchpoint?.version);
  await tab.evaluate(() => (window as any).touchpoint('identify', { email: 'gpc@visitor.example' }));
  await waitFor(async () => (await cookieless()) === views + 1, 'the cookieless page view');
  await tab.waitForTimeout(1500);
  expect(await onDevice(context, tab)).toEqual([]);
  expect(await stored('SELECT COUNT(*) AS n FROM profiles')).toBe(profiles);
  expect(await stored("SELECT COUNT(*) AS n FROM identities WHERE key LIKE '%gpc@visitor.example%'")).toBe(0);
  await context.close();
});

it('sets consent in Settings → Privacy and shows the snippet that carries it', async () => {
  const { page: tab, problems } = await openPage(site.browser);
  await signIn(tab, site.collector, '/app/settings/privacy');
  await tab.getByRole('heading', { name: 'Consent' }).waitFor();
  const snippet = tab.locator('.snippet code');
  expect(await snippet.textContent()).not.toContain('data-consent');
  await tab.getByLabel('Ask for consent first').check();
  await tab.getByLabel('Nothing').check();
  await tab.getByLabel('Treat Do-Not-Track like Global Privacy Control').check();
  await tab.getByLabel('Cookie lifetime, in days').fill('180');
  await tab.getByRole('button', { name: 'Save consent settings' }).click();
  await tab.getByText('Saved. Paste the snippet below into your pages again.').waitFor();
  const code = await snippet.textContent();
  expect(code).toContain('data-consent="required"');
  expect(code).toContain('data-dnt="on"');
  expect(code).toContain('data-cookie-days="180"');
  const settings = await site.collector.api(`/api/sites/${site.collector.site.id}/settings`);
  expect(settings.body.settings.consent).toEqual({
    required: true,
    beforeConsent: 'nothing',
    respectDnt: true,
    cookieDays: 180,
  });
  await shootBoth(tab, 'settings-privacy');

  // A bad lifetime is named, and nothing is saved.
  await tab.getByLabel('Cookie lifetime, in days').fill('500');
  await tab
    .getByLabel('Cookie lifetime, in days')
    .evaluate((el: HTMLInputElement) => (el.form!.noValidate = true));
  await tab.getByRole('button', { name: 'Save consent settings' }).click();
  await tab.getByRole('alert').filter({ hasText: 'cookieDays' }).waitFor();
  expect(
    (await site.collector.api(`/api/sites/${site.collector.site.id}/settings`)).body.settings.consent
      .cookieDays,
  ).toBe(180);

  await tab.getByLabel('Keep raw events for').selectOption('365');
  await tab.getByRole('button', { name: 'Save retention' }).click();
  await tab
    .getByRole('status')
    .filter({ hasText: /^Saved$/ })
    .waitFor();
  expect(
    (await site.collector.api(`/api/sites/${site.collector.site.id}/settings`)).body.settings.privacy,
  ).toEqual({ retentionDays: 365 });
  // The Sites page shows the same snippet.
  await tab.goto(`${site.collector.url}/app/settings/sites`);
  await tab.getByText('data-consent="required"').first().waitFor();
  expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
  await tab.context().close();
});
