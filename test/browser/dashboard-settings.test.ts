// Settings in Chromium through the real API: the install snippet and the "events arrived?" check, a lead form
// built with its live preview, chat appearance, the Stripe webhook secret, and the team commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Harness,
  messageId,
  openPage,
  PHONE,
  LAPTOP,
  send,
  shootBoth,
  signIn,
  startHarness,
} from './dashboard-support.ts';
import { screenshotPath } from '../support/browser.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('dashboard settings', () => {
  it('installs, builds a form, sets up the chat and Stripe', async () => {
    const { page, problems } = await openPage(h.browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.collector.url });
    await signIn(page, h.collector, '/app/settings');
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();

    // Sites: the snippet copies, and the check notices the first event.
    const snippet = `<script async src="${h.collector.url}/tp.js" data-site="${h.collector.site.siteKey}"></script>`;
    expect(await page.locator('.snippet code').first().textContent()).toBe(snippet);
    await page.getByRole('button', { name: 'Copy the snippet for Test site' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    await page.getByText('No events yet').waitFor();
    await send(h.collector, [
      {
        type: 'page',
        messageId: messageId(),
        anonymousId: 'anon-settings',
        context: { page: { url: 'https://shop.example/' } },
      },
    ]);
    await page.getByRole('button', { name: 'Check for events' }).click();
    await page.getByText('Events are arriving: 1 so far.').waitFor();
    await shootBoth(page, 'dashboard-settings-sites');

    // Forms: the preview follows every edit; a choice field shows its options.
    await page
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'Forms' })
      .click();
    await page.getByText('No forms yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'New form' }).click();
    await page.getByLabel('Form name').fill('Book a demo');
    const preview = page.locator('.form-preview');
    await expect.poll(() => preview.textContent()).toContain('Book a demo');
    await page.getByRole('button', { name: 'Add field' }).click();
    const added = page.getByRole('group', { name: /Field 4/ });
    await added.getByLabel('Label').fill('Team size');
    await added.getByLabel('Type').selectOption('select');
    await added.getByLabel('Choices, separated by commas').fill('1-10, 11-50, 51+');
    await added.getByLabel('Required').check();
    await expect.poll(() => preview.textContent()).toContain('Team size *');
    expect(await preview.locator('option').allTextContents()).toEqual(['1-10', '11-50', '51+']);
    await shootBoth(page, 'dashboard-settings-form');
    await page.getByRole('button', { name: 'Save form' }).click();
    await page.getByRole('button', { name: 'Edit Book a demo' }).waitFor();
    const forms = await h.collector.api(`/api/sites/${h.collector.site.id}/forms`);
    expect(forms.body.forms[0].fields.at(-1)).toMatchObject({
      name: 'team_size',
      type: 'select',
      label: 'Team size',
      required: true,
      options: ['1-10', '11-50', '51+'],
    });
    // Deleting asks first.
    await page.getByRole('button', { name: 'Delete Book a demo' }).click();
    await page.getByRole('dialog', { name: 'Delete form' }).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete Book a demo' }).waitFor();

    // Chat: turn it on with a greeting; the preview shows it before saving.
    await page
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'Chat' })
      .click();
    await page.getByLabel('Show the chat on Test site').check();
    await page.getByLabel('Greeting').fill('Hej! Questions about plans?');
    await expect
      .poll(() => page.locator('.chat-preview').textContent())
      .toContain('Hej! Questions about plans?');
    await page.getByRole('button', { name: 'Save chat settings' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const chat = await h.collector.api(`/api/sites/${h.collector.site.id}/chat`);
    expect(chat.body.chat).toMatchObject({ enabled: true, greeting: 'Hej! Questions about plans?' });
    await shootBoth(page, 'dashboard-settings-chat');

    // Billing: the webhook URL, a refused secret, then a good one shown only as a hint.
    await page
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'Billing' })
      .click();
    await page.getByText(`${h.collector.url}/v1/stripe/${h.collector.site.siteKey}`).waitFor();
    await page.getByLabel('Signing secret').fill('not-a-secret');
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page
      .getByRole('alert')
      .getByText(/whsec_/)
      .waitFor();
    await page.getByLabel('Signing secret').fill('whsec_test1234567890');
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.getByText('✓ Signing secret set').waitFor();
    expect(await page.locator('.stripe-state').textContent()).not.toContain('whsec_test1234567890');
    await shootBoth(page, 'dashboard-settings-billing');

    await page
      .getByRole('navigation', { name: 'Settings sections' })
      .getByRole('link', { name: 'Team' })
      .click();
    await page.getByText('npm run touchpoint -- user add --email EMAIL --password PASSWORD').waitFor();

    // The navigation fits the phone width with all five links.
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('dashboard-settings-team-390') });
    await page.setViewportSize(LAPTOP);

    // The refused secret answered 400, which Chromium logs; nothing else may be logged.
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    await page.context().close();
  });
});
