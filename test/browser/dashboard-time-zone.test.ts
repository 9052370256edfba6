// A site's report time zone in Chromium: set in Settings → Reports, then the overview's "today" is today
// there, and a customer who paid just now is in today's numbers. The zone is picked so that its date differs
// from UTC's at the time the test runs (Kiritimati is UTC+14, Pago Pago UTC−11: one of them always does).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WireEventInput } from '../../wire.ts';
import { dayOf } from '../../collector/reports/zone.ts';
import { screenshotPath } from '../support/browser.ts';
import { messageId, openPage, shootBoth, signIn, startHarness, type Harness } from './dashboard-support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it('sets the time zone in settings; the overview counts today in it, the customer who paid now included', async () => {
  const made = await h.collector.api('/api/sites', {
    method: 'POST',
    body: JSON.stringify({ name: 'Atoll Shop', origins: ['https://atoll.example'] }),
  });
  const site = made.body.site as { id: string };
  const now = Date.now();
  const utcDay = new Date(now).toISOString().slice(0, 10);
  const zone = dayOf('Pacific/Kiritimati', now) !== utcDay ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
  const localDay = dayOf(zone, now);
  expect(localDay).not.toBe(utcDay);

  const { page, problems } = await openPage(h.browser);
  await signIn(page, h.collector, `/app/settings/reports?site=${site.id}`);
  const select = page.getByLabel('Time zone');
  await select.waitFor();
  expect(await select.inputValue()).toBe('UTC');
  await select.selectOption(zone);
  await expect
    .poll(() => page.locator('form[aria-labelledby="zone-title"]').textContent())
    .toContain('Now there:');
  await page.getByRole('button', { name: 'Save time zone' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  await shootBoth(page, 'settings-time-zone', false);
  expect((await h.collector.api(`/api/sites/${site.id}/settings`)).body.settings.reports.timeZone).toBe(zone);

  // A visitor from a campaign pays just now.
  const at = new Date(now).toISOString();
  const batch: WireEventInput[] = [
    {
      type: 'page',
      messageId: messageId(),
      anonymousId: 'atoll-1',
      timestamp: at,
      context: {
        page: { url: 'https://atoll.example/?utm_source=news&utm_medium=email&utm_campaign=lagoon' },
      },
    },
    {
      type: 'identify',
      messageId: messageId(),
      anonymousId: 'atoll-1',
      timestamp: at,
      traits: { email: 'ana@lagoon-mail.example' },
    },
    {
      type: 'track',
      event: 'Payment Succeeded',
      messageId: messageId(),
      anonymousId: 'atoll-1',
      timestamp: at,
      properties: { payment_id: 'pi_atoll', amount: 30, currency: 'USD', method: 'card' },
    },
  ];
  const res = await fetch(`${h.collector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ writeKey: made.body.secretKey, batch }),
  });
  expect(res.status).toBe(200);

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${h.collector.url}/app/overview?site=${site.id}`);
  const to = page.getByLabel('To', { exact: true });
  await to.waitFor();
  await expect.poll(() => to.inputValue()).toBe(localDay);
  await expect.poll(() => page.locator('.range-zone').textContent()).toContain(zone.replace(/_/g, ' '));
  // The funnel and the first-click table both hold the customer, on the local day.
  const customers = page.getByRole('link', { name: '1 profiles reached customer' });
  await customers.waitFor();
  const row = page.locator('.attribution tbody tr').first();
  await row.waitFor();
  expect((await row.locator('td').allTextContents()).slice(1, 5)).toEqual(['1', '1', '1', '$30.00']);
  await shootBoth(page, 'overview-time-zone');
  // The funnel's count opens the profiles first seen on those local days: the customer is listed.
  await page.setViewportSize({ width: 1280, height: 800 });
  await customers.click();
  await page.waitForURL(/\/app\/profiles\?/);
  expect(new URL(page.url()).searchParams.get('to')).toBe(localDay);
  await page.screenshot({ path: screenshotPath('profiles-time-zone-1280') });
  await page.getByText('ana@lagoon-mail.example').first().waitFor({ timeout: 5000 });
  expect(problems).toEqual([]);
  await page.context().close();
});
