// Unmatched Stripe payments in the dashboard (Settings → Billing): a payment whose customer and email no
// profile holds is listed, found a profile for by search, attached, and then counts on that profile.
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { invoice, stripeEvent, WHSEC } from '../collector/stripe-fixtures.ts';
import { screenshotPath } from '../support/browser.ts';
import {
  type Harness,
  messageId,
  minutesAgo,
  openPage,
  send,
  shootBoth,
  signIn,
  startHarness,
} from './dashboard-support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function deliver(event: unknown) {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: WHSEC,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const res = await fetch(`${h.collector.url}/v1/stripe/${h.collector.site.siteKey}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
    body: payload,
  });
  return (await res.json()) as Record<string, unknown>;
}

it(
  'lists an unmatched payment and attaches it to a profile found by search',
  { timeout: 60_000 },
  async () => {
    const { collector } = h;
    const put = await collector.api(`/api/sites/${collector.site.id}/stripe`, {
      method: 'PUT',
      body: JSON.stringify({ secret: WHSEC }),
    });
    expect(put.status).toBe(200);
    // The customer paid with another address than the one they signed up with.
    await send(collector, [
      {
        type: 'identify',
        messageId: messageId(),
        anonymousId: 'anon-grace',
        timestamp: minutesAgo(60),
        traits: { email: 'grace@acme.example', name: 'Grace Hopper' },
      },
    ]);
    const paid = await deliver(
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_unmatched',
          customer: 'cus_grace',
          customer_email: 'billing@hopper.example',
          charge: 'ch_g',
        }),
      ),
    );
    expect(paid).toMatchObject({ unmatched: true });

    const { page, problems } = await openPage(h.browser);
    await signIn(page, collector, '/app/settings');
    await page
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'Billing' })
      .click();
    const list = page.getByRole('list', { name: 'Unmatched payments' });
    await list.waitFor();
    expect(await list.getByRole('listitem').count()).toBe(1);
    expect(await list.textContent()).toContain('$49.00');
    expect(await list.textContent()).toContain('billing@hopper.example');
    await shootBoth(page, 'dashboard-unmatched');

    await list.getByRole('button', { name: 'Attach to a profile…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Attach the payment to a profile' });
    await dialog.getByLabel('Find the profile').fill('grace');
    await dialog.getByLabel(/grace@acme\.example/).check();
    await page.screenshot({ path: screenshotPath('dashboard-unmatched-attach-1280') });
    await dialog.getByRole('button', { name: 'Attach' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Every Stripe payment found its profile.').waitFor();

    const grace = (await collector.api('/api/profiles?q=grace%40acme.example')).body.profiles[0];
    const detail = (await collector.api(`/api/profiles/${grace.id}`)).body.profile;
    expect(detail.billing.payments).toBe(1);
    expect(detail.stage).toBe('customer');
    expect(problems).toEqual([]);
    await page.context().close();
  },
);
