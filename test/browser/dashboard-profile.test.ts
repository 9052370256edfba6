// The profile page in Chromium through the real API: header with stage, status and revenue; the journey in
// sessions; "why is this one person?"; stage override, merge and undo merge through accessible dialogs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEventInput } from '../../wire.ts';
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

function adaJourney(anonymousId: string): WireEventInput[] {
  const firstTouch = {
    at: minutesAgo(200),
    landingUrl: 'https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring',
    referrer: null,
    source: 'newsletter',
    medium: 'email',
    campaign: 'spring',
  };
  const page = (path: string, title: string, at: string): WireEventInput => ({
    type: 'page',
    messageId: messageId(),
    anonymousId,
    timestamp: at,
    properties: { url: `https://shop.example${path}`, path, title },
    context: { page: { url: `https://shop.example${path}`, path, title }, firstTouch },
  });
  const track = (event: string, at: string, properties: Record<string, unknown>): WireEventInput => ({
    type: 'track',
    messageId: messageId(),
    anonymousId,
    event,
    timestamp: at,
    properties,
  });
  return [
    // Session 1, 200 minutes ago.
    page('/?utm_source=newsletter&utm_medium=email&utm_campaign=spring', 'Shop — Home', minutesAgo(200)),
    track('Element Clicked', minutesAgo(199), { text: 'See pricing', href: 'https://shop.example/pricing' }),
    page('/pricing', 'Pricing', minutesAgo(198)),
    track('Form Submitted', minutesAgo(190), {
      formName: 'Contact sales',
      fields: { email: 'ada@example.com', company: 'Analytical Engines', message: '<b>not bold</b>' },
    }),
    {
      type: 'identify',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(190),
      traits: { email: 'ada@example.com', name: 'Ada Lovelace' },
    },
    // Session 2, 10 minutes ago: a chat, an invoice and its payment.
    track('Chat Message', minutesAgo(12), { text: 'Can I pay by card for three seats?' }),
  ];
}

/** What the site's server (or the Stripe webhook) sends with the secret key. */
function adaBilling(anonymousId: string): WireEventInput[] {
  const track = (event: string, at: string, properties: Record<string, unknown>): WireEventInput => ({
    type: 'track',
    messageId: messageId(),
    anonymousId,
    event,
    timestamp: at,
    properties,
  });
  return [
    track('Invoice Created', minutesAgo(11), { invoice_id: 'in_001', amount: 120, currency: 'EUR' }),
    track('Payment Succeeded', minutesAgo(10), {
      invoice_id: 'in_001',
      payment_id: 'pi_001',
      amount: 120,
      currency: 'EUR',
      method: 'card',
    }),
  ];
}

describe('dashboard profile', () => {
  it('explains the profile, overrides its stage, merges and undoes the merge', async () => {
    await send(h.collector, [
      ...adaJourney('anon-ada-1'),
      {
        type: 'identify',
        messageId: messageId(),
        anonymousId: 'anon-bob-2',
        timestamp: minutesAgo(60),
        traits: { email: 'bob@example.com' },
      },
    ]);
    await send(h.collector, adaBilling('anon-ada-1'), true);
    const list = await h.collector.api('/api/profiles?q=ada%40example.com');
    const adaId: string = list.body.profiles[0].id;

    const { page, problems } = await openPage(h.browser);
    await signIn(page, h.collector, `/app/profiles/${adaId}`);
    await page.getByRole('heading', { level: 1, name: 'ada@example.com' }).waitFor();

    const summary = page.getByRole('definition').first();
    await summary.waitFor();
    const head = await page.locator('.headline').textContent();
    expect(head).toContain('customer');
    expect(head).toContain('first payment');
    expect(head).toContain('Active');
    expect(head).toContain('Email · newsletter / email / spring');
    expect(head).toMatch(/€\s?120\.00|120\.00\s?€/);
    expect(head).toContain('1 payment');
    expect(head).toContain('card');

    // Two sessions: the first visit and today's chat and payment.
    const sessions = page.locator('.timeline-session');
    await expect.poll(() => sessions.count()).toBe(2);
    const second = await sessions.nth(1).textContent();
    expect(second).toContain('Sent a chat message');
    expect(second).toContain('Can I pay by card for three seats?');
    expect(second).toMatch(/Paid €\s?120\.00/);
    expect(second).toContain('Why: first payment');
    const first = await sessions.nth(0).textContent();
    expect(first).toContain('Submitted form “Contact sales”');
    expect(first).toContain('<b>not bold</b>');
    expect(first).toMatch(/Became\s*lead/);
    expect(await page.locator('.timeline b').count()).toBe(0);

    // Why is this one person: the anonymous id and the email, joined by a rule with its evidence.
    const why = page.locator('section[aria-labelledby="why-one"]');
    expect(await why.textContent()).toContain('anon-ada-1');
    expect(await why.textContent()).toContain('ada@example.com');
    await shootBoth(page, 'dashboard-profile');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('dashboard-profile-dark-1280') });
    await page.emulateMedia({ colorScheme: 'light' });

    // Stage override: the dialog takes focus, keeps Tab inside, Escape closes and focus returns.
    const changeStage = page.getByRole('button', { name: 'Change stage' });
    await changeStage.click();
    const dialog = page.getByRole('dialog', { name: 'Change stage' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('SELECT');
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await changeStage.evaluate((el) => el === document.activeElement)).toBe(true);

    await changeStage.click();
    await dialog.getByLabel('Stage').selectOption('loyal');
    // A missing reason is refused by the browser before any request.
    await dialog.getByRole('button', { name: 'Set stage' }).click();
    expect(await dialog.isVisible()).toBe(true);
    await dialog.getByLabel('Reason').fill('Signed a three-year contract');
    await page.screenshot({ path: screenshotPath('dashboard-profile-dialog-1280') });
    await dialog.getByRole('button', { name: 'Set stage' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('.headline').textContent()).toContain('loyal');
    expect(await page.locator('.headline').textContent()).toContain('manual: Signed a three-year contract');

    // Merge with Bob, found by search.
    await page.getByRole('button', { name: 'Merge with…' }).click();
    const merge = page.getByRole('dialog', { name: 'Merge with another profile' });
    await merge.getByLabel('Find the other profile').fill('bob');
    await merge.getByRole('radio', { name: /bob@example\.com/ }).check();
    await merge.getByLabel('Reason').fill('Same person, two inboxes');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: screenshotPath('dashboard-profile-merge-390') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await merge.getByRole('button', { name: 'Merge' }).click();
    await merge.waitFor({ state: 'detached' });
    const identifiers = page.locator('section[aria-labelledby="identifiers"]');
    await expect.poll(() => identifiers.textContent()).toContain('bob@example.com');
    expect(await page.locator('.timeline').textContent()).toContain(
      'By hand: manual: Same person, two inboxes',
    );

    // Undo that merge: the manual link is revoked and Bob's identifiers leave the profile.
    const undo = why.getByRole('button', { name: 'Undo merge: unlink anon-ada-1 from anon-bob-2' });
    await undo.click();
    const undoDialog = page.getByRole('dialog', { name: 'Undo merge' });
    await undoDialog.getByLabel('Reason').fill('Different people after all');
    await undoDialog.getByRole('button', { name: 'Undo merge' }).click();
    await undoDialog.waitFor({ state: 'detached' });
    await expect.poll(() => identifiers.textContent()).not.toContain('bob@example.com');
    expect(await why.textContent()).toContain('undone');

    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('answers a proposed merge from the profile', async () => {
    const identify = (anonymousId: string, email: string, minutes: number): WireEventInput => ({
      type: 'identify',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(minutes),
      traits: { email },
    });
    const form = (anonymousId: string, minutes: number): WireEventInput => ({
      type: 'track',
      event: 'Form Submitted',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(minutes),
      properties: { formName: 'Callback', fields: { phone: '+44 20 7946 0958' } },
    });
    // Two verified people (their server vouches for them) each type one shared phone number into a form.
    await send(
      h.collector,
      [identify('anon-ann', 'ann@acme.example', 40), identify('anon-ben', 'ben@acme.example', 39)],
      true,
    );
    await send(h.collector, [form('anon-ann', 30), form('anon-ben', 29)]);
    const ann = (await h.collector.api('/api/profiles?q=ann%40acme.example')).body.profiles[0];

    const { page, problems } = await openPage(h.browser);
    await signIn(page, h.collector, `/app/profiles/${ann.id}`);
    await page.getByRole('heading', { level: 1, name: 'ann@acme.example' }).waitFor();
    const why = page.locator('section[aria-labelledby="why-one"]');
    await why.getByRole('heading', { name: 'Proposed merges' }).waitFor();
    await page.screenshot({ path: screenshotPath('dashboard-profile-proposal-1280'), fullPage: true });
    await why.getByRole('button', { name: 'Accept merge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Accept the proposed merge' });
    await dialog.getByRole('button', { name: 'Accept merge' }).click();
    await dialog.waitFor({ state: 'detached' });
    const identifiers = page.locator('section[aria-labelledby="identifiers"]');
    await expect.poll(() => identifiers.textContent()).toContain('ben@acme.example');
    expect(await why.getByRole('heading', { name: 'Proposed merges' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('says a payment is overdue when that, not a missed visit, puts the profile at risk', async () => {
    const DAY = 24 * 60;
    const pay = (n: number, daysAgo: number): WireEventInput => ({
      type: 'track',
      event: 'Payment Succeeded',
      messageId: messageId(),
      anonymousId: 'anon-overdue',
      timestamp: minutesAgo(daysAgo * DAY),
      properties: { payment_id: `pi_overdue_${n}`, amount: 49, currency: 'USD', method: 'card' },
    });
    // Monthly payments that stopped 70 days ago; the customer still visits today.
    await send(
      h.collector,
      [
        {
          type: 'identify',
          messageId: messageId(),
          anonymousId: 'anon-overdue',
          timestamp: minutesAgo(130 * DAY),
          traits: { email: 'late.payer@acme.example' },
        },
        pay(1, 130),
        pay(2, 100),
        pay(3, 70),
      ],
      true,
    );
    await send(h.collector, [
      { type: 'page', messageId: messageId(), anonymousId: 'anon-overdue', timestamp: minutesAgo(5) },
    ]);
    const found = (await h.collector.api('/api/profiles?q=late.payer%40acme.example')).body.profiles[0];
    const { page, problems } = await openPage(h.browser);
    await signIn(page, h.collector, `/app/profiles/${found.id}`);
    await page.getByRole('heading', { level: 1, name: 'late.payer@acme.example' }).waitFor();
    const status = page.locator('.headline').getByText(/at risk because a payment is overdue/);
    await status.waitFor();
    expect(await page.locator('.headline').getByText('30 days without a visit').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('dashboard-profile-overdue-1280'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
