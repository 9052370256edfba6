// The one-time setup link in Chromium: on a collector with no admin it offers the form that creates one; the
// same link opened again (or any link once an admin exists) says it is used and points to sign-in instead.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, openPage, shootBoth, startHarness } from './dashboard-support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it('creates the admin from the link once, then shows the link as used', { timeout: 60_000 }, async () => {
  const { collector } = h;
  await collector.db.execute('DELETE FROM auth_sessions');
  await collector.db.execute('DELETE FROM users');
  const token = await collector.store.accounts.createSetupToken();
  const link = `${collector.url}/app/setup?token=${token}`;

  const first = await openPage(h.browser);
  await first.page.goto(link);
  await first.page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  await first.page.getByLabel('Email').fill('owner@example.com');
  await first.page.getByLabel('Password').fill('a long enough password');
  await first.page.getByRole('button', { name: 'Create account' }).click();
  await first.page.waitForURL((url) => !url.pathname.endsWith('/setup'));
  expect(first.problems).toEqual([]);
  await first.page.context().close();

  // Someone opens the printed link again, signed out.
  const again = await openPage(h.browser);
  await again.page.goto(link);
  await again.page.getByRole('heading', { name: 'This setup link is used' }).waitFor();
  expect(await again.page.getByRole('button', { name: 'Create account' }).count()).toBe(0);
  await shootBoth(again.page, 'dashboard-setup-used');
  await again.page.getByRole('link', { name: 'Sign in' }).click();
  await again.page.waitForURL(/\/app\/login/);
  expect(again.problems).toEqual([]);
  await again.page.context().close();
});
