// Privacy on the profile page in Chromium through the real API: an admin downloads everything held about a person
// as JSON, then erases them through a confirmation dialog that names what goes, and lands on the profiles list
// with a notice; a member sees neither action.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProfileExport, WireEventInput } from '../../wire.ts';
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

const EMAIL = 'grace.privacy@people.example';
let h: Harness;
let graceId: string;
let linId: string;
beforeAll(async () => {
  h = await startHarness();
  const made = await h.collector.api('/api/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'member@shop.example', password: 'a member password' }),
  });
  expect(made.body.user.role).toBe('member');
  const grace: WireEventInput[] = [
    {
      type: 'page',
      messageId: messageId(),
      anonymousId: 'anon-grace',
      timestamp: minutesAgo(120),
      context: {
        page: { url: 'https://shop.example/?utm_campaign=spring', path: '/', title: 'Home' },
        campaign: { name: 'spring', source: 'newsletter', medium: 'email' },
      },
    },
    {
      type: 'track',
      messageId: messageId(),
      anonymousId: 'anon-grace',
      event: 'Form Submitted',
      timestamp: minutesAgo(110),
      properties: { formId: 'demo', fields: { email: EMAIL, name: 'Grace Hopper' } },
    },
    {
      type: 'identify',
      messageId: messageId(),
      anonymousId: 'anon-grace',
      timestamp: minutesAgo(109),
      traits: { email: EMAIL, name: 'Grace Hopper' },
    },
  ];
  await send(h.collector, grace);
  await send(
    h.collector,
    [
      {
        type: 'track',
        messageId: messageId(),
        anonymousId: 'anon-grace',
        event: 'Payment Succeeded',
        timestamp: minutesAgo(60),
        properties: { payment_id: 'pi_grace', amount: 99, currency: 'USD' },
      },
    ],
    true,
  );
  await send(h.collector, [
    {
      type: 'identify',
      messageId: messageId(),
      anonymousId: 'anon-lin',
      timestamp: minutesAgo(30),
      traits: { email: 'lin@people.example', name: 'Lin Stays' },
    },
  ]);
  const list = await h.collector.api<{ profiles: { id: string; email: string | null }[] }>('/api/profiles');
  graceId = list.body.profiles.find((p) => p.email === EMAIL)!.id;
  linId = list.body.profiles.find((p) => p.email === 'lin@people.example')!.id;
});
afterAll(async () => {
  await h?.close();
});

it('lets an admin export a person as JSON and erase them after a dialog that names what goes', async () => {
  const { page, problems } = await openPage(h.browser);
  await signIn(page, h.collector, `/app/profiles/${graceId}`);
  await page.getByRole('heading', { level: 1, name: EMAIL }).waitFor();
  const exportButton = page.getByRole('button', { name: 'Export data' });
  const eraseButton = page.getByRole('button', { name: 'Erase this person' });
  await exportButton.waitFor();
  await eraseButton.waitFor();
  await shootBoth(page, 'dashboard-privacy-profile', false);

  // Export: a JSON download with every kind of record.
  const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  expect(download.suggestedFilename()).toBe(`profile-${graceId}.json`);
  const data = JSON.parse(readFileSync((await download.path())!, 'utf8')) as ProfileExport;
  expect(data.profile.email).toBe(EMAIL);
  expect(data.events.length).toBe(4);
  expect(data.formSubmissions).toHaveLength(1);
  expect(data.payments).toEqual([expect.objectContaining({ paymentId: 'pi_grace', amount: 9900 })]);
  expect(data.identifiers.map((i) => i.key).sort()).toEqual(['a:anon-grace', `e:${EMAIL}`]);

  // Erase: the dialog says what is removed; Cancel keeps everything.
  await eraseButton.click();
  const dialog = page.getByRole('dialog', { name: 'Erase this person?' });
  await dialog.waitFor();
  for (const text of ['4 events', '1 payment', '2 identifiers', 'chat conversations', 'cannot be undone'])
    await dialog.getByText(text, { exact: false }).first().waitFor();
  await shootBoth(page, 'dashboard-privacy-erase-dialog', false);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect((await h.collector.api(`/api/profiles/${graceId}`)).status).toBe(200);

  // A reason naming the person is refused, in the dialog, and nothing is erased.
  await eraseButton.click();
  await dialog.getByLabel(/Reason/).fill(`asked by ${EMAIL}`);
  await dialog.getByRole('button', { name: 'Erase for good' }).click();
  await dialog.getByRole('alert').getByText('must not name the person').waitFor();
  expect((await h.collector.api(`/api/profiles/${graceId}`)).status).toBe(200);

  await dialog.getByLabel(/Reason/).fill('Erasure request 2024-17');
  await dialog.getByRole('button', { name: 'Erase for good' }).click();
  await page.waitForURL((url) => url.pathname === '/app/profiles');
  const notice = page.getByRole('status').filter({ hasText: 'The person was erased' });
  await notice.waitFor();
  await page.getByRole('link', { name: 'lin@people.example' }).waitFor();
  expect(await page.getByText(EMAIL).count()).toBe(0);
  await shootBoth(page, 'dashboard-privacy-erased', false);
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await notice.waitFor({ state: 'detached' });

  expect((await h.collector.api(`/api/profiles/${graceId}`)).status).toBe(404);
  const receipts = await h.collector.api<{ erasures: { reason: string; via: string }[] }>('/api/erasures');
  expect(receipts.body.erasures).toEqual([
    expect.objectContaining({ reason: 'Erasure request 2024-17', via: 'session' }),
  ]);
  // Chromium logs the refused erase (the 400 the dialog showed); nothing else went wrong.
  expect(problems).toEqual([
    'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
  ]);
  await page.context().close();
});

it('shows a member neither action', async () => {
  const { page, problems } = await openPage(h.browser);
  await page.goto(`${h.collector.url}/app/profiles/${linId}`);
  await page.waitForURL(/\/app\/login/);
  await page.getByLabel('Email').fill('member@shop.example');
  await page.getByLabel('Password').fill('a member password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'lin@people.example' }).waitFor();
  await page.getByRole('button', { name: 'Merge with…' }).waitFor();
  // /api/me has answered by the time the tasks have loaded; give the role check a moment all the same.
  await page.waitForLoadState('networkidle');
  expect(await page.getByRole('button', { name: 'Export data' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Erase this person' }).count()).toBe(0);
  await shootBoth(page, 'dashboard-privacy-member', false);
  expect(problems).toEqual([]);
  await page.context().close();
});
