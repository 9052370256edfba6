// Chat in real Chromium on a host page from another origin: the launcher, the panel, a round trip with an
// agent reply arriving live, a dropped stream resuming with exactly the missed replies, the unread badge,
// history after a reload, and the same under a strict CSP with zero violations; screenshots at 1280 and 390.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshotPath } from '../support/browser.ts';
import {
  layout,
  startWidgetSite,
  type WidgetSite,
  waitFor,
  watchViolations,
} from '../support/widget-site.ts';

let w: WidgetSite;

beforeAll(async () => {
  w = await startWidgetSite(
    (api, key) => ({ '/': layout(api, key, '<h1>Acme</h1><p>Welcome to the shop.</p>') }),
    async (c) => {
      await c.api(`/api/sites/${c.site.id}/chat`, {
        method: 'PUT',
        body: JSON.stringify({ enabled: true, color: '#0f766e', greeting: 'Hi! Questions about Acme?' }),
      });
    },
  );
});
afterAll(() => w?.close());

const launcher = (page: Page) => page.locator('tp-chat button[aria-label="Open chat"]');
const bubbles = (page: Page) => page.locator('tp-chat li[data-seq]').allTextContents();

async function conversationOf(page: Page) {
  const aid = await page.evaluate(() => localStorage.getItem('tp_aid'));
  return waitFor(async () => {
    const list = (await w.collector.api('/api/inbox')).body.conversations;
    return list.find((c: any) => c.anonymousId === aid);
  }, 'the conversation');
}
const reply = (id: string, text: string) =>
  w.collector.api(`/api/inbox/${id}/messages`, { method: 'POST', body: JSON.stringify({ text }) });

describe('chat', () => {
  it('round trip: visitor writes, auto-reply asks for email, agent reply appears live; resume; badge; reload', async () => {
    const ctx = await w.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(w.host.url);
    await launcher(page).waitFor();
    await page.screenshot({ path: screenshotPath('chat-launcher-1280') });
    await launcher(page).click();
    const input = page.getByPlaceholder('Write a message…');
    await input.waitFor();
    await input.fill('Do you ship to Norway?');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => bubbles(page))
      .toEqual([
        'Do you ship to Norway?',
        'Thanks for your message! We usually reply within a few minutes.',
        'Leave your email so we can get back to you.',
      ]);
    await input.fill('nora@example.no');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await bubbles(page)).at(-1))
      .toContain("We'll get back to you at nora@example.no");

    const conv = await conversationOf(page);
    const t = Date.now();
    await reply(conv.id, 'Yes, we ship to Norway in 3 days.');
    await page.locator('tp-chat li', { hasText: 'Yes, we ship to Norway' }).waitFor({ timeout: 1000 });
    expect(Date.now() - t).toBeLessThan(1000);
    await page.screenshot({ path: screenshotPath('chat-panel-1280') });

    // the email typed in chat identified the visitor
    await page.evaluate(() => (window as any).touchpoint.flush());
    const profile = await waitFor(
      async () => (await w.collector.api('/api/profiles?q=nora@example.no')).body.profiles[0],
      'the chat profile',
    );
    const timeline = (await w.collector.api(`/api/profiles/${profile.id}`)).body.timeline;
    expect(timeline.filter((e: any) => e.event === 'Chat Message')).toHaveLength(2);
    // The journey holds the replies too: the automatic ones and the agent's, in time order.
    const replies = timeline.filter((e: any) => e.event === 'Chat Reply');
    expect(replies.map((e: any) => [e.properties.author, e.properties.text])).toEqual([
      ['auto', 'Thanks for your message! We usually reply within a few minutes.'],
      ['auto', 'Leave your email so we can get back to you.'],
      ['auto', "Thanks! We'll get back to you at nora@example.no."],
      ['agent', 'Yes, we ship to Norway in 3 days.'],
    ]);
    // and the marketer sees them on the profile's journey
    const admin = await w.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const dash = await admin.newPage();
    await dash.goto(`${w.collector.url}/app/login`);
    await dash.getByLabel('Email').fill(w.collector.admin.email);
    await dash.getByLabel('Password').fill(w.collector.admin.password);
    await dash.getByRole('button', { name: 'Sign in' }).click();
    await dash.waitForURL((url) => !url.pathname.endsWith('/login'));
    await dash.goto(`${w.collector.url}/app/profiles/${profile.id}`);
    await dash.getByText('Agent replied in the chat').waitFor();
    // The journey counts the visitor's events, not the replies shown beside them.
    expect(await dash.locator('#timeline').textContent()).toContain(
      `${timeline.length - replies.length} events`,
    );
    expect(await dash.getByText('Automatic reply in the chat').count()).toBe(3);
    await dash.screenshot({ path: screenshotPath('journey-chat-replies-1280'), fullPage: true });
    await admin.close();

    // drop the connection: replies sent meanwhile arrive once, in order, when it resumes
    await ctx.setOffline(true);
    await page.waitForTimeout(300);
    await reply(conv.id, 'Missed 1');
    await reply(conv.id, 'Missed 2');
    // typed while offline: queued, sent when back
    await input.fill('Great, thanks');
    await page.keyboard.press('Enter');
    await ctx.setOffline(false);
    await expect
      .poll(async () => (await bubbles(page)).slice(5), { timeout: 8000 })
      .toEqual(['Yes, we ship to Norway in 3 days.', 'Missed 1', 'Missed 2', 'Great, thanks']);
    const seqs = await page
      .locator('tp-chat li[data-seq]')
      .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.seq)));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    // closed panel: a reply shows as unread on the launcher
    await page.getByRole('button', { name: 'Close chat' }).click();
    await reply(conv.id, 'Anything else?');
    await expect.poll(() => launcher(page).getAttribute('data-n')).toBe('1');
    await page.screenshot({ path: screenshotPath('chat-launcher-unread-1280') });

    // history survives a reload (and the unread mark too)
    await page.reload();
    await expect.poll(() => launcher(page).getAttribute('data-n')).toBe('1');
    await launcher(page).click();
    await expect.poll(async () => (await bubbles(page)).length).toBe(10);
    expect(await launcher(page).getAttribute('data-n')).toBeNull();
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('an erased visitor’s browser starts afresh: nothing of theirs comes back, a new message is a new visitor', async () => {
    const ctx = await w.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(w.host.url);
    await launcher(page).click();
    const input = page.getByPlaceholder('Write a message…');
    await input.fill('Hi, I am eve@example.org');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await bubbles(page)).length).toBeGreaterThan(1);
    const erasedAid = await page.evaluate(() => localStorage.getItem('tp_aid'));
    await page.evaluate(() => (window as any).touchpoint.flush());
    const eve = await waitFor(
      async () => (await w.collector.api('/api/profiles?q=eve@example.org')).body.profiles[0],
      'the chat profile',
    );
    const erased = await w.collector.api(`/api/profiles/${eve.id}/erase`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'asked by the visitor' }),
    });
    expect(erased.status).toBe(200);

    // the browser still holds the erased visitor's id: its next message is refused and the chat starts afresh
    await input.fill('Are you still there?');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => localStorage.getItem('tp_aid'))).not.toBe(erasedAid);
    await expect.poll(() => bubbles(page)).toEqual([]);
    await input.fill('A new question about prices');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await bubbles(page))[0]).toBe('A new question about prices');
    const conversations = (await w.collector.api('/api/inbox')).body.conversations as {
      anonymousId: string;
      lastMessage: { text: string } | null;
    }[];
    expect(conversations.find((c) => c.anonymousId === erasedAid)).toBeUndefined();
    expect(JSON.stringify(conversations)).not.toContain('eve@example.org');
    expect(JSON.stringify(conversations)).not.toContain('Are you still there?');
    const newAid = await page.evaluate(() => localStorage.getItem('tp_aid'));
    const fresh = conversations.find((c) => c.anonymousId === newAid);
    expect(fresh, 'the new visitor’s conversation').toBeTruthy();
    await page.screenshot({ path: screenshotPath('chat-after-erasure-1280') });
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('phone width under a strict CSP: panel fills the viewport, zero violations', async () => {
    const ctx = await w.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await ctx.newPage();
    const violations = await watchViolations(page);
    await page.goto(w.strict.url);
    await launcher(page).waitFor();
    await page.screenshot({ path: screenshotPath('chat-launcher-390') });
    await launcher(page).click();
    await page.getByPlaceholder('Write a message…').fill('Hello from a phone');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await bubbles(page)).length).toBe(3);
    const box = await page.locator('tp-chat [role=dialog]').boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    await page.screenshot({ path: screenshotPath('chat-panel-390') });
    expect(await violations()).toEqual([]);
    await ctx.close();
  });
});
