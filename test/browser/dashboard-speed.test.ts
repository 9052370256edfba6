// Speed to lead in Chromium through the real API: the inbox lists the leads no one answered with their age
// (an old one flagged), a conversation shows its visitor (first touch, stage, score, owner, this session's pages)
// and follows the page they are on without a reload, and after an agent's reply the overview shows the times.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboxLeadsReply } from '../../wire.ts';
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
  const { collector } = h;
  await collector.api(`/api/sites/${collector.site.id}/chat`, {
    method: 'PUT',
    body: JSON.stringify({ enabled: true, autoReply: 'Thanks! We reply within minutes.', askEmail: '' }),
  });
  const me = await collector.api('/api/users');
  const adminId = (me.body.users as { id: string; email: string }[]).find(
    (u) => u.email === collector.admin.email,
  )!.id;
  const rule = await collector.api(`/api/sites/${collector.site.id}/rules`, {
    method: 'POST',
    body: JSON.stringify({
      name: 'Chats to the admin',
      trigger: { kind: 'chat_started' },
      actions: [{ kind: 'assign', userId: adminId }],
    }),
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

const page = (anonymousId: string, path: string, title: string, minutes: number, search = '') => ({
  type: 'page' as const,
  messageId: messageId(),
  anonymousId,
  timestamp: minutesAgo(minutes),
  context: { page: { url: `https://shop.example${path}${search}`, path, title } },
});

let n = 0;
async function visitorSays(anonymousId: string, text: string) {
  const res = await fetch(`${h.collector.url}/v1/chat/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: 'https://shop.example' },
    body: JSON.stringify({ key: h.collector.site.siteKey, anonymousId, clientId: `speed-${n++}`, text }),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
}

const leads = async () => (await h.collector.api('/api/inbox/leads')).body as InboxLeadsReply;

describe('speed to lead', () => {
  it('lists unanswered leads, shows the visitor live beside the chat, and times the answer', async () => {
    const { collector } = h;
    // Ada read the blog from the spring newsletter an hour and a half ago, came back, and chats now.
    await send(collector, [
      page(
        'anon-ada',
        '/blog/pricing-guide',
        'How to price a team plan',
        90,
        '?utm_source=news&utm_medium=email&utm_campaign=spring',
      ),
      page('anon-ada', '/', 'Home', 6),
      page('anon-ada', '/pricing', 'Pricing', 2),
    ]);
    await visitorSays('anon-ada', 'Hi! I am ada@acme.example, is there a team plan?');
    // Bob submitted the demo form and has no conversation.
    await send(collector, [
      page('anon-bob', '/demo', 'Book a demo', 1),
      {
        type: 'track',
        event: 'Form Submitted',
        messageId: messageId(),
        anonymousId: 'anon-bob',
        properties: { formId: 'demo', fields: { email: 'bob@acme.example' } },
      },
    ]);
    // The collector's automation round starts both clocks; Bob's is set back to have waited 25 minutes.
    await expect.poll(async () => (await leads()).total, { timeout: 10_000 }).toBe(2);
    const bob = (await leads()).leads.find((l) => l.email === 'bob@acme.example')!;
    await collector.db.execute({
      sql: 'UPDATE lead_responses SET started_at = ? WHERE profile_id = ?',
      args: [Date.now() - 25 * 60_000, bob.profileId],
    });

    const { page: tab, problems } = await openPage(h.browser);
    await signIn(tab, collector, '/app/inbox');
    await tab.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    const waiting = tab.getByRole('list', { name: 'Unanswered leads, oldest first' });
    await waiting.waitFor();
    // Oldest first, each with its age; Bob's is flagged as waiting past five minutes.
    const items = waiting.getByRole('link');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toMatch(/bob@acme\.example.*25 min.*Form · Direct/);
    expect(await items.nth(0).getAttribute('class')).toContain('overdue');
    expect(await items.nth(1).textContent()).toMatch(/ada@acme\.example.*under 1 min.*Chat · Email/);
    expect(await items.nth(1).getAttribute('class')).not.toContain('overdue');
    expect(await items.nth(0).getAttribute('href')).toBe(`/app/profiles/${bob.profileId}`);

    // Opening Ada's lead opens her conversation, with who she is beside it.
    await items.nth(1).click();
    await tab.getByRole('heading', { level: 2, name: 'ada@acme.example' }).waitFor();
    const visitor = tab.getByRole('complementary', { name: 'About the visitor' });
    const now = visitor.getByRole('region', { name: 'Current page' });
    await expect.poll(() => now.textContent()).toContain('Pricing');
    const facts = visitor.getByRole('definition');
    await expect
      .poll(() => facts.allTextContents())
      .toEqual([
        'ada@acme.example',
        'lead',
        expect.stringMatching(/^\d+(\.\d)?$/),
        'You',
        'Email · news / email / spring',
        'Waiting under 1 min',
      ]);
    // This session only: the blog visit an hour and a half ago was another.
    const session = visitor.getByRole('region', { name: 'Pages this session' });
    expect(await session.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^Pricing.*\/pricing$/),
      expect.stringMatching(/^Home.*\/$/),
    ]);

    // She moves on to the checkout: the panel follows without a reload.
    await tab.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    // The title is the visitor's text: shown as text, never as markup.
    await send(collector, [page('anon-ada', '/checkout', 'Checkout <img src=x onerror=alert(1)>', 0)]);
    await expect
      .poll(() => now.textContent(), { timeout: 10_000 })
      .toContain('Checkout <img src=x onerror=alert(1)>');
    expect(await visitor.locator('img').count()).toBe(0);
    expect(await session.getByRole('listitem').count()).toBe(3);
    expect(await tab.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    await shootBoth(tab, 'dashboard-speed-inbox');

    // The agent answers: Ada leaves the waiting list, and her lead says how fast.
    await tab.getByLabel('Reply').fill('Hi Ada! Yes: from five seats, 20% off.');
    await tab.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(1);
    expect(await items.nth(0).textContent()).toContain('bob@acme.example');
    await expect.poll(() => facts.last().textContent()).toMatch(/^Answered in \d+ (s|min)$/);

    // The overview: one of two leads answered, within five minutes; one waits.
    await tab.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    const speed = tab.getByRole('region', { name: /Speed to lead/ });
    await speed.waitFor();
    const stats = speed.getByRole('definition');
    await expect
      .poll(() => stats.allTextContents())
      .toEqual([
        expect.stringMatching(/^\d+ (s|min)by a person, over 1 answered$/),
        '50%of 2 leads',
        '1See who is waiting',
        expect.stringMatching(/^\d+ (s|min)a rule replied, assigned or tagged$/),
      ]);
    const rows = speed.getByRole('row');
    expect(await rows.allTextContents()).toEqual([
      'ChannelLeadsUnansweredMedian answerWithin 5 minMedian automatic',
      'Direct11—0%—',
      expect.stringMatching(/^Email10\d+ (s|min)100%\d+ (s|min)$/),
    ]);
    await shootBoth(tab, 'dashboard-speed-overview');
    await speed.getByRole('link', { name: 'See who is waiting' }).click();
    await tab.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();

    // A range without leads says so.
    await tab.goto(`${collector.url}/app/overview?from=2021-01-01&to=2021-01-31`);
    const empty = tab.getByRole('region', { name: /Speed to lead/ });
    await expect.poll(() => empty.textContent()).toContain('No leads in this range.');
    await shootBoth(tab, 'dashboard-speed-empty');

    expect(problems).toEqual([]);
    await tab.context().close();
  });

  it('says when the waiting leads cannot be read, reads them again on request, and when none wait', async () => {
    const { page: tab } = await openPage(h.browser);
    await signIn(tab, h.collector, '/app/inbox');
    await tab.route('**/api/inbox/leads*', (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'internal', message: 'The server could not answer.' } }),
      }),
    );
    await tab.reload();
    const section = tab.getByRole('region', { name: /Waiting for an answer/ });
    await expect
      .poll(() => section.getByRole('alert').textContent())
      .toContain('The server could not answer.');
    await shootBoth(tab, 'dashboard-speed-leads-error');
    await tab.unroute('**/api/inbox/leads*');
    await section.getByRole('button', { name: 'Try again' }).click();
    await section.getByRole('list', { name: 'Unanswered leads, oldest first' }).waitFor();
    expect(await section.getByRole('link').count()).toBe(1);

    // Once the last lead has had an answer (here: marked in the database), the list says nobody waits.
    await h.collector.db.execute('UPDATE lead_responses SET first_human_at = started_at + 60000');
    await tab.reload();
    await expect.poll(() => section.textContent()).toContain('No lead is waiting');
    await shootBoth(tab, 'dashboard-speed-leads-empty');
    await tab.context().close();
  });
});
