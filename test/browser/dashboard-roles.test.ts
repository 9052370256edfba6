// A member in the dashboard: profiles, the inbox and automation rules, but no Settings and no Webhooks; an
// admin's page says who can help instead of failing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, openPage, shootBoth, startHarness } from './dashboard-support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  const made = await h.collector.api('/api/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'member@shop.example', password: 'a member password' }),
  });
  expect(made.body.user.role).toBe('member');
});
afterAll(async () => {
  await h?.close();
});

it('shows a member their work and not the admin pages', async () => {
  const { page, problems } = await openPage(h.browser);
  await page.goto(`${h.collector.url}/app/`);
  await page.waitForURL(/\/app\/login/);
  await page.getByLabel('Email').fill('member@shop.example');
  await page.getByLabel('Password').fill('a member password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Overview', 'Profiles', 'Inbox', 'Automations'])
    expect(await nav.getByRole('link', { name, exact: true }).count(), name).toBe(1);
  expect(await nav.getByRole('link', { name: 'Settings' }).count()).toBe(0);

  await nav.getByRole('link', { name: 'Automations' }).click();
  const tabs = page.getByRole('navigation', { name: 'Automations sections' });
  await tabs.getByRole('link', { name: 'Rules' }).waitFor();
  expect(await tabs.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
  // The rule editor opens for a member without asking for the admin's endpoints.
  await page.getByText('No rules yet.').waitFor();
  await page.getByRole('link', { name: 'New rule' }).click();
  await page.getByRole('heading', { name: 'New rule' }).waitFor();

  // An admin page typed in: a clear word, no failed request shown.
  await page.goto(`${h.collector.url}/app/settings`);
  await page.getByRole('heading', { name: 'Only an admin can change this' }).waitFor();
  await shootBoth(page, 'dashboard-member-settings');
  await page.goto(`${h.collector.url}/app/automations/webhooks`);
  await page.getByRole('heading', { level: 1, name: 'Automations' }).waitFor();
  expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
  await page.getByText('No rules yet.').waitFor();
  expect(problems).toEqual([]);
  await page.context().close();
});
