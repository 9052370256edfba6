// Settings in Chromium through the real API: the install snippet and the "events arrived?" check, a lead form
// built with its live preview, chat appearance, the Stripe webhook secret; then lead scoring, blocked
// identifiers, users, API tokens, and adding and editing a site.
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
    // A new field whose type becomes Company takes the Company label and the key the profile reads.
    await page.getByRole('button', { name: 'Add field' }).click();
    const company = page.getByRole('group', { name: /Field 5/ });
    expect(await company.getByLabel('Label').inputValue()).toBe('Question');
    await company.getByLabel('Type').selectOption('company');
    expect(await company.getByLabel('Label').inputValue()).toBe('Company');
    await page.getByLabel('Kind').selectOption('demo');
    await shootBoth(page, 'dashboard-settings-form');
    await page.getByRole('button', { name: 'Save form' }).click();
    await page.getByRole('button', { name: 'Edit Book a demo' }).waitFor();
    const forms = await h.collector.api(`/api/sites/${h.collector.site.id}/forms`);
    expect(forms.body.forms[0].fields.at(-2)).toMatchObject({
      name: 'team_size',
      type: 'select',
      label: 'Team size',
      required: true,
      options: ['1-10', '11-50', '51+'],
    });
    expect(forms.body.forms[0].fields.at(-1)).toMatchObject({
      name: 'company',
      type: 'company',
      label: 'Company',
    });
    expect(forms.body.forms[0].kind).toBe('demo');
    await page.getByText('Demo request · 5 fields').waitFor();
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
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('list', { name: 'Users' }).getByText('admin@example.com').waitFor();

    // The navigation fits the phone width with all seven links.
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('dashboard-settings-team-390') });
    await page.setViewportSize(LAPTOP);

    // The refused secret answered 400, which Chromium logs; nothing else may be logged.
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    await page.context().close();
  });

  it('edits scoring, blocked identifiers, users, tokens and sites', async () => {
    const { page, problems } = await openPage(h.browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.collector.url });
    await signIn(page, h.collector, '/app/settings/scoring');
    const sections = page.getByRole('navigation', { name: 'Settings sections' });
    const rules = async () => (await h.collector.api(`/api/sites/${h.collector.site.id}/settings`)).body;

    // Scoring: the threshold, a weight and a new form kind, typed and saved from the keyboard.
    const threshold = page.getByLabel('Qualified at score');
    await threshold.waitFor();
    expect(await threshold.inputValue()).toBe('50');
    await threshold.fill('30');
    await page.getByLabel('Pricing page view').fill('12');
    await page.getByLabel('New form kind').fill('Webinar');
    await page.getByLabel('New form kind').press('Enter');
    await page.getByLabel('Form: webinar').fill('35');
    await page.getByLabel('Form: webinar').press('Enter');
    await page.getByText('Saved', { exact: true }).waitFor();
    expect((await rules()).settings.score).toMatchObject({
      threshold: 30,
      pricingView: 12,
      forms: { webinar: 35, demo: 40 },
    });
    // Resetting asks first; cancelling keeps everything.
    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    await page
      .getByRole('dialog', { name: 'Reset lead scoring' })
      .getByRole('button', { name: 'Cancel' })
      .click();
    expect(await threshold.inputValue()).toBe('30');
    await shootBoth(page, 'dashboard-settings-scoring');

    // Identity: block two values, unblock one after confirming, change the shared limit.
    await sections.getByRole('link', { name: 'Identity' }).click();
    await page.getByText('No values blocked for Test site').waitFor();
    const toBlock = page.getByLabel('Value to block');
    await toBlock.fill('Test@Example.com');
    await toBlock.press('Enter');
    await page.getByRole('button', { name: 'Unblock test@example.com' }).waitFor();
    await toBlock.fill('shared-login');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('button', { name: 'Unblock shared-login' }).waitFor();
    await toBlock.fill('SHARED-login');
    await page.getByText('“shared-login” is already blocked.').waitFor();
    await toBlock.fill('');
    await page.getByRole('button', { name: 'Unblock test@example.com' }).click();
    const unblock = page.getByRole('dialog', { name: 'Unblock a value' });
    await unblock.getByRole('button', { name: 'Unblock' }).click();
    await unblock.waitFor({ state: 'detached' });
    await page.getByLabel('Profiles one identifier may join').fill('4');
    await page.getByRole('button', { name: 'Save limit' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    expect((await rules()).settings.identity).toEqual({
      blockedValues: ['shared-login'],
      sharedLimit: 4,
      requireVerifiedIdentify: false,
      attributionWindowDays: 90,
      referralDailyLimit: 5,
    });
    // Attribution window and the referral daily limit.
    await page.getByLabel('Attribution window (days)').fill('30');
    await page.getByLabel('Referral credits per referrer per day').fill('2');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    expect((await rules()).settings.identity).toMatchObject({
      attributionWindowDays: 30,
      referralDailyLimit: 2,
    });
    // Verified identify: turned on, it is saved; turned off again, too.
    const requireSigned = page.getByLabel('Require a signed identify for user ids');
    expect(await requireSigned.isChecked()).toBe(false);
    await requireSigned.check();
    await expect.poll(async () => (await rules()).settings.identity.requireVerifiedIdentify).toBe(true);
    expect(await requireSigned.isChecked()).toBe(true);
    await shootBoth(page, 'dashboard-settings-identity');
    await requireSigned.uncheck();
    await expect.poll(async () => (await rules()).settings.identity.requireVerifiedIdentify).toBe(false);

    // Team: add a user, then remove them after confirming; you cannot remove yourself.
    await sections.getByRole('link', { name: 'Team' }).click();
    const users = page.getByRole('list', { name: 'Users' });
    await users.getByText('admin@example.com').waitFor();
    expect(await page.getByRole('button', { name: 'Remove admin@example.com' }).count()).toBe(0);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill('a long password');
    await page.getByRole('button', { name: 'Add user' }).click();
    await users.getByText('ana@example.com').waitFor();
    await page.getByText('ana@example.com can sign in now.', { exact: false }).waitFor();

    // API tokens: made, shown once with a copy button, working, then revoked.
    await page.getByLabel('Token name').fill('Weekly report');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.locator('.created-token code').textContent();
    expect(secret).toMatch(/^tpt_/);
    await page.getByRole('button', { name: 'Copy the new token' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const me = (token: string) =>
      fetch(`${h.collector.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await me(secret!)).status).toBe(200);
    await page.getByRole('list', { name: 'API tokens' }).getByText('Weekly report').waitFor();
    await shootBoth(page, 'dashboard-settings-team');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('.created-token').count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke Weekly report' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke token' })
      .getByRole('button', { name: 'Revoke token' })
      .click();
    await page.getByRole('button', { name: 'Revoke Weekly report' }).waitFor({ state: 'detached' });
    expect((await me(secret!)).status).toBe(401);

    await page.getByRole('button', { name: 'Remove ana@example.com' }).click();
    await page
      .getByRole('dialog', { name: 'Remove user' })
      .getByRole('button', { name: 'Remove user' })
      .click();
    await users.getByText('ana@example.com').waitFor({ state: 'detached' });
    expect((await h.collector.api('/api/users')).body.users).toHaveLength(1);

    // Sites: a bad origin is named, a good site shows its secret key once; editing asks before removing an origin.
    await sections.getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByLabel('Site name').fill('Blog');
    const origins = page.getByLabel('Allowed origins');
    await origins.fill('https://blog.example/posts');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page
      .getByRole('alert')
      .getByText(/origins\.0/)
      .waitFor();
    expect(await origins.getAttribute('aria-invalid')).toBe('true');
    await origins.fill('https://blog.example\nhttp://localhost:4000');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: 'Blog is added' }).waitFor();
    const secretKey = await page.locator('.card-highlight .snippet code').first().textContent();
    expect(secretKey).toMatch(/^sk_/);
    await page.getByRole('button', { name: 'Copy the secret key' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secretKey);
    await page.getByRole('heading', { level: 2, name: 'Blog', exact: true }).waitFor();
    await shootBoth(page, 'dashboard-settings-site-added');
    await page.getByRole('button', { name: 'Done' }).click();
    const blog = (await h.collector.api('/api/sites')).body.sites.find(
      (s: { name: string }) => s.name === 'Blog',
    );
    expect(blog.origins).toEqual(['https://blog.example', 'http://localhost:4000']);

    await page.getByRole('button', { name: 'Edit Blog' }).click();
    const edit = page.getByRole('form', { name: 'Edit Blog' });
    await edit.getByLabel('Site name').fill('Blog EU');
    await edit.getByLabel('Allowed origins').fill('https://blog.example');
    await edit.getByLabel('Allowed origins').blur();
    await shootBoth(page, 'dashboard-settings-site-edit');
    await edit.getByRole('button', { name: 'Save site' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove origins' });
    await confirm.getByText('http://localhost:4000').waitFor();
    await confirm.getByRole('button', { name: 'Remove and save' }).click();
    await page.getByRole('heading', { level: 2, name: 'Blog EU' }).waitFor();
    const renamed = (await h.collector.api('/api/sites')).body.sites.find(
      (s: { id: string }) => s.id === blog.id,
    );
    expect(renamed).toMatchObject({ name: 'Blog EU', origins: ['https://blog.example'] });

    // The bad origin answered 400, which Chromium logs; nothing else may be logged.
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    await page.context().close();
  });

  // Last: it removes the harness's site.
  it('adds the first site from the empty state, keeping its secret key on screen until Done', async () => {
    await h.collector.db.execute('DELETE FROM sites');
    const { page, problems } = await openPage(h.browser, PHONE);
    await signIn(page, h.collector, '/app/settings/sites');
    await page.getByRole('heading', { name: 'Add your first site' }).waitFor();
    await page.getByLabel('Site name').fill('Docs');
    await page.getByLabel('Allowed origins').fill('https://docs.example');
    await shootBoth(page, 'dashboard-settings-first-site');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: 'Docs is added' }).waitFor();
    expect(await page.locator('.card-highlight .snippet code').first().textContent()).toMatch(/^sk_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { level: 2, name: 'Docs' }).waitFor();
    await page.getByRole('button', { name: 'Copy the snippet for Docs' }).waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
