// The inbox in Chromium through the real API: conversations arrive live over SSE, the unread count in the
// navigation follows, and an agent reads, replies, assigns (to anyone on the team, or nobody) and closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, openPage, shootBoth, signIn, startHarness } from './dashboard-support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.collector.api(`/api/sites/${h.collector.site.id}/chat`, {
    method: 'PUT',
    body: JSON.stringify({ enabled: true, autoReply: 'Thanks! We reply within minutes.', askEmail: '' }),
  });
  const sam = await h.collector.api('/api/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'sam@example.com', password: 'a long enough password' }),
  });
  expect(sam.status).toBe(201);
  samId = sam.body.user.id;
});
let samId = '';
afterAll(async () => {
  await h?.close();
});

let n = 0;
async function visitorSays(anonymousId: string, text: string) {
  const res = await fetch(`${h.collector.url}/v1/chat/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: 'https://shop.example' },
    // with the conversation's token, which the widget makes and keeps
    body: JSON.stringify({
      key: h.collector.site.siteKey,
      anonymousId,
      clientId: `c-${n++}`,
      text,
      token: `token-of-${anonymousId}`,
    }),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

describe('dashboard inbox', () => {
  it('shows conversations live, reads, replies, assigns and closes', async () => {
    await visitorSays('anon-chat-1', 'Hello, is there a discount for teams? I am grace@example.com');

    const { page, problems } = await openPage(h.browser);
    await signIn(page, h.collector);
    const nav = page.getByRole('navigation', { name: 'Main' });
    // The navigation counts unread visitor messages before the inbox is opened.
    await expect.poll(() => nav.getByRole('link', { name: /Inbox/ }).textContent()).toContain('1');

    await nav.getByRole('link', { name: /Inbox/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    const list = page.getByRole('navigation', { name: 'Conversations' });
    await list.getByRole('link', { name: /grace@example\.com/ }).click();
    await page.getByRole('heading', { level: 2, name: 'grace@example.com' }).waitFor();
    const messages = page.getByRole('list', { name: 'Messages' });
    await expect.poll(() => messages.textContent()).toContain('discount for teams');
    expect(await messages.textContent()).toContain('Thanks! We reply within minutes.');
    // Opening it reads it: the count leaves the navigation.
    await expect.poll(() => nav.getByRole('link', { name: /Inbox/ }).textContent()).toBe('Inbox');

    // A new message in the open conversation appears without a reload.
    await visitorSays('anon-chat-1', 'We are twelve people.');
    await expect.poll(() => messages.textContent()).toContain('We are twelve people.');

    // Another visitor writes: the list and the navigation count update live.
    await visitorSays('anon-chat-2', 'Do you ship to Norway?');
    await list.getByRole('link', { name: /Visitor anon-cha/ }).waitFor();
    await expect.poll(() => nav.getByRole('link', { name: /Inbox/ }).textContent()).toContain('1');

    // Reply with Ctrl+Enter.
    await page.getByLabel('Reply').fill('Yes: 20% off from ten seats.');
    await page.getByLabel('Reply').press('Control+Enter');
    await expect.poll(() => messages.textContent()).toContain('Yes: 20% off from ten seats.');
    expect(await page.getByLabel('Reply').inputValue()).toBe('');

    // Assign to another user of the team: the select lists everyone from GET /api/users.
    const assignee = page.getByLabel('Assigned to');
    expect(await assignee.locator('option').allTextContents()).toEqual([
      'Nobody',
      `Me (${h.collector.admin.email})`,
      'sam@example.com',
    ]);
    await assignee.selectOption({ label: 'sam@example.com' });
    await expect
      .poll(() => list.getByRole('link', { name: /grace@example\.com/ }).textContent())
      .toContain('sam@example.com');
    const conversationId = async () =>
      (await h.collector.api('/api/inbox')).body.conversations.find(
        (c: { email: string | null }) => c.email === 'grace@example.com',
      );
    expect((await conversationId()).assigneeId).toBe(samId);
    expect(await assignee.inputValue()).toBe(samId);
    await shootBoth(page, 'dashboard-inbox-assigned');
    // Nobody unassigns.
    await assignee.selectOption({ label: 'Nobody' });
    await expect.poll(async () => (await conversationId()).assigneeId).toBeNull();
    await expect
      .poll(() => list.getByRole('link', { name: /grace@example\.com/ }).textContent())
      .not.toContain('sam@example.com');

    // Assign to me, then close: it leaves the open list and shows under Closed.
    await assignee.selectOption({ label: `Me (${h.collector.admin.email})` });
    await expect
      .poll(() => list.getByRole('link', { name: /grace@example\.com/ }).textContent())
      .toContain('yours');
    await shootBoth(page, 'dashboard-inbox');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Reopen' }).waitFor();
    await expect.poll(() => list.getByRole('link', { name: /grace@example\.com/ }).count()).toBe(0);
    await list.getByRole('link', { name: 'Closed' }).click();
    await list.getByRole('link', { name: /grace@example\.com/ }).waitFor();

    // From the conversation to the visitor's profile, whose journey links back to the conversation.
    await page.getByRole('link', { name: 'Find the profile' }).click();
    await page.getByRole('link', { name: 'grace@example.com' }).click();
    await page.getByRole('heading', { level: 1, name: 'grace@example.com' }).waitFor();
    await page.getByRole('link', { name: 'Open the conversation' }).first().click();
    await page.getByRole('heading', { level: 2, name: 'grace@example.com' }).waitFor();
    await expect.poll(() => messages.textContent()).toContain('Yes: 20% off from ten seats.');

    const stored = await h.collector.api('/api/inbox?status=closed');
    expect(stored.body.conversations[0]).toMatchObject({ email: 'grace@example.com', status: 'closed' });
    const thread = await h.collector.api(`/api/inbox/${stored.body.conversations[0].id}`);
    expect(thread.body.messages.map((m: { author: string }) => m.author)).toContain('agent');

    expect(problems).toEqual([]);
    await page.context().close();
  });
});
