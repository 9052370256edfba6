// The referral rules where a marketer sees them: a referrer who never paid is flagged as an advocate (not
// loyal); credits over the site's daily limit wait on the referrer's profile, where a marketer approves or
// rejects them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WireEventInput } from '../../wire.ts';
import { screenshotPath } from '../support/browser.ts';
import {
  type Harness,
  messageId,
  openPage,
  send,
  shootBoth,
  signIn,
  startHarness,
} from './dashboard-support.ts';

let h: Harness;
// Minutes before yesterday's noon (UTC): the daily referral limit counts per UTC day, so the visits must not
// straddle midnight whatever time the suite runs.
const NOON = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 12 * 3_600_000;
const minutesAgo = (n: number) => new Date(NOON - n * 60_000).toISOString();
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const identify = (anonymousId: string, email: string, minutes: number): WireEventInput => ({
  type: 'identify',
  messageId: messageId(),
  anonymousId,
  timestamp: minutesAgo(minutes),
  traits: { email, name: email.split('@')[0] },
});
/** A visitor landing on the referral link, then leaving an address in a form. */
const referred = (anonymousId: string, code: string, email: string, minutes: number): WireEventInput[] => {
  const url = `https://shop.example/?ref=${code}`;
  return [
    {
      type: 'page',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(minutes),
      context: { page: { url, referrer: '' }, campaign: { ref: code } },
    },
    {
      type: 'track',
      event: 'Form Submitted',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(minutes - 1),
      properties: { formId: 'contact', fields: { email } },
    },
  ];
};

it(
  'flags an advocate and lets a marketer review credits over the daily limit',
  { timeout: 90_000 },
  async () => {
    const { collector } = h;
    const put = await collector.api(`/api/sites/${collector.site.id}/settings`, {
      method: 'PUT',
      body: JSON.stringify({ identity: { referralDailyLimit: 1 } }),
    });
    expect(put.status).toBe(200);
    await send(collector, [identify('anon-ada', 'ada@acme.example', 120)]);
    const ada = (await collector.api('/api/profiles?q=ada%40acme.example')).body.profiles[0];
    const code = (await collector.api(`/api/profiles/${ada.id}`)).body.profile.referralCode as string;
    await send(collector, referred('anon-r1', code, 'rita@acme.example', 100));
    await send(collector, referred('anon-r2', code, 'remy@acme.example', 90));
    await send(collector, referred('anon-r3', code, 'rosa@acme.example', 80));

    const { page, problems } = await openPage(h.browser);
    await signIn(page, collector, `/app/profiles/${ada.id}`);
    await page.getByRole('heading', { level: 1, name: 'ada@acme.example' }).waitFor();
    // Ada refers but never paid: an advocate, still a lead.
    await page.getByText('Advocate', { exact: true }).waitFor();
    const section = page.locator('section[aria-labelledby="referrals"]');
    await section.getByText('2 credits wait for your review').waitFor();
    const items = section.getByRole('list', { name: 'Referred leads' }).getByRole('listitem');
    expect(await items.count()).toBe(3);
    expect(await items.nth(0).textContent()).toContain('Credited');
    expect(await items.nth(1).textContent()).toContain('Waiting for review');
    await shootBoth(page, 'dashboard-referrals');

    await section.getByRole('button', { name: 'Approve referred lead 2' }).click();
    await expect.poll(() => items.nth(1).textContent()).toContain('Credited');
    await section.getByRole('button', { name: 'Reject referred lead 3' }).click();
    await expect.poll(() => items.nth(2).textContent()).toContain('Rejected');
    expect(await section.getByText(/wait for your review|waits for your review/).count()).toBe(0);
    const after = (await collector.api(`/api/profiles/${ada.id}`)).body.profile;
    expect(after.referrals.map((r: { status: string }) => r.status)).toEqual([
      'credited',
      'credited',
      'rejected',
    ]);
    expect(after.stage).toBe('lead');

    // Ada pays: a paying referrer is loyal, and the advocate flag goes.
    await send(
      collector,
      [
        {
          type: 'track',
          event: 'Order Completed',
          messageId: messageId(),
          anonymousId: 'anon-ada',
          timestamp: minutesAgo(5),
          properties: { orderId: 'ada-1', revenue: 49 },
        },
      ],
      true,
    );
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'ada@acme.example' }).waitFor();
    await page.locator('.headline .badge-loyal').waitFor();
    expect(await page.getByText('Advocate', { exact: true }).count()).toBe(0);
    // The reasons read as words, not ids: no profile id in the stage history or the headline.
    const history = (await page.locator('.stage-history').textContent())!;
    expect(history).toContain('a visitor they referred became a lead');
    expect(history).not.toContain('skipped — skipped');
    const headline = (await page.locator('.headline').textContent())!;
    for (const r of after.referrals as { profileId: string }[]) {
      expect(history).not.toContain(r.profileId);
      expect(headline).not.toContain(r.profileId);
    }
    await page.screenshot({ path: screenshotPath('dashboard-referrals-loyal-1280'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  },
);
