// The inbox's speed-to-lead side through HTTP: leads no person has answered yet, oldest first with their age
// (gone once an agent replies), and a conversation's context — first touch, stage, score, owner, this session's
// pages and the page the visitor is on now; auth, unknown conversations and bad query parameters.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationContextReply, InboxLeadsReply } from '../../wire.ts';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
let adminId = '';
beforeEach(async () => {
  h = await harness();
  await h.api(`/api/sites/${h.site.id}/chat`, {
    method: 'PUT',
    body: JSON.stringify({ enabled: true, autoReply: 'Thanks, we answer within minutes.', askEmail: '' }),
  });
  adminId = (await h.store.accounts.findUserByEmail(h.admin.email))!.id;
  // A started chat gets an owner: the context shows who owns the lead.
  const rule = await h.api(`/api/sites/${h.site.id}/rules`, {
    method: 'POST',
    body: JSON.stringify({
      name: 'Chats to the admin',
      trigger: { kind: 'chat_started' },
      actions: [{ kind: 'assign', userId: adminId }],
    }),
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
});
afterEach(() => h.close());

const MIN = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MIN).toISOString();
let n = 0;

async function send(events: Record<string, unknown>[]) {
  const res = await h.post('/v1/batch', { writeKey: h.site.siteKey, batch: events });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.results.filter((r: { status: string }) => r.status !== 'accepted')).toEqual([]);
}

const page = (anonymousId: string, path: string, title: string, minutesAgo: number, search = '') => ({
  type: 'page',
  messageId: `page-${++n}`,
  anonymousId,
  timestamp: ago(minutesAgo),
  context: { page: { url: `https://shop.example${path}${search}`, path, title } },
});

async function say(anonymousId: string, text: string): Promise<string> {
  const res = await h.post(
    '/v1/chat/messages',
    { key: h.site.siteKey, anonymousId, clientId: `chat-${++n}`, text },
    { Origin: ORIGIN },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversationId as string;
}

/** A visitor who read the blog two hours ago (from the spring newsletter), came back and chats now. */
async function chattingVisitor(anonymousId = 'anon-ada') {
  await send([
    page(anonymousId, '/blog', 'Blog', 120, '?utm_source=news&utm_medium=email&utm_campaign=spring'),
    page(anonymousId, '/', 'Home', 10),
    page(anonymousId, '/pricing', 'Pricing', 5),
  ]);
  return say(anonymousId, 'Hi, I am ada@acme.example: is there a team plan?');
}

/** A visitor who submitted the demo form twenty minutes ago: a lead without a conversation. */
async function formVisitor() {
  await send([
    page('anon-bob', '/demo', 'Book a demo', 22),
    {
      type: 'track',
      event: 'Form Submitted',
      messageId: `form-${++n}`,
      anonymousId: 'anon-bob',
      timestamp: ago(20),
      properties: { formId: 'demo', fields: { email: 'bob@acme.example' } },
    },
  ]);
}

/** One round of automations: it starts the lead clocks from the change log (the collector's worker runs it). */
const round = () => h.store.automations.process({ smtp: false });

const leads = async (query = '') => {
  const res = await h.api(`/api/inbox/leads${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as InboxLeadsReply;
};
const context = async (id: string) => {
  const res = await h.api(`/api/inbox/${id}/context`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as ConversationContextReply;
};

describe('unanswered leads', () => {
  it('lists leads no one answered, oldest first with their age, until an agent replies', async () => {
    expect(await leads()).toEqual({ leads: [], total: 0 });
    await formVisitor();
    const conversationId = await chattingVisitor();
    await round();
    // A clock starts when the change is recorded; Bob's form came twenty minutes ago, so his clock is set back.
    const bobId = (await h.db.execute("SELECT id FROM profiles WHERE email = 'bob@acme.example'")).rows[0].id;
    await h.db.execute({
      sql: 'UPDATE lead_responses SET started_at = ? WHERE profile_id = ?',
      args: [Date.now() - 20 * MIN, String(bobId)],
    });

    const waiting = await leads();
    expect(waiting.total).toBe(2);
    expect(waiting.leads.map((l) => [l.email, l.startKind, l.conversationId])).toEqual([
      ['bob@acme.example', 'form_submitted', null],
      ['ada@acme.example', 'chat_started', conversationId],
    ]);
    const [bob, ada] = waiting.leads;
    // Bob has waited twenty minutes: past the five speed to lead is measured against.
    expect(bob.ageMs).toBeGreaterThanOrEqual(20 * MIN - 1_000);
    expect(bob.ageMs).toBeLessThan(21 * MIN);
    expect(bob.overdue).toBe(true);
    expect(Date.parse(bob.startedAt)).toBeCloseTo(Date.now() - bob.ageMs, -4);
    expect(ada.ageMs).toBeLessThan(MIN);
    expect(ada.overdue).toBe(false);
    expect(ada).toMatchObject({ siteId: h.site.id, channel: 'Email', name: null, anonymousId: 'anon-ada' });
    expect(bob.anonymousId).toBeNull();
    const profile = await h.api(`/api/profiles/${ada.profileId}`);
    expect(profile.body.profile.email).toBe('ada@acme.example');

    // A page of one still counts them all; one site's leads.
    expect(await leads('?limit=1')).toMatchObject({ leads: [{ email: 'bob@acme.example' }], total: 2 });
    expect((await leads(`?site=${h.site.id}`)).total).toBe(2);

    // The automatic greeting and the rule's assignment are not a person's answer; an agent's reply is.
    const reply = await h.api(`/api/inbox/${conversationId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Hi Ada, yes: from five seats.' }),
    });
    expect(reply.status).toBe(201);
    const after = await leads();
    expect(after.total).toBe(1);
    expect(after.leads.map((l) => l.email)).toEqual(['bob@acme.example']);
    const speed = (await h.api(`/api/overview?site=${h.site.id}`)).body.speedToLead;
    expect(speed).toMatchObject({ leads: 2, answered: 1, unanswered: 1 });
  });

  it('refuses bad query parameters by name, and answers only signed-in users', async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?site=nope', 'site'],
      ['?site=', 'site'],
    ]) {
      const res = await h.api(`/api/inbox/leads${query}`);
      expect([query, res.status, res.body.error?.field]).toEqual([query, 400, field]);
      expect(res.body.error.code).toBe('invalid_query');
    }
    const conversationId = await say('anon-cy', 'Hello?');
    for (const path of ['/api/inbox/leads', `/api/inbox/${conversationId}/context`]) {
      const res = await h.app.request(path);
      expect([path, res.status]).toEqual([path, 401]);
    }
    const missing = await h.api('/api/inbox/c_nobody/context');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

describe('conversation context', () => {
  it("shows the lead's first touch, stage, score, owner, this session's pages and the page they are on", async () => {
    const conversationId = await chattingVisitor();
    await round();
    const ctx = await context(conversationId);
    const profile = (await h.api(`/api/profiles/${ctx.profile!.id}`)).body.profile;
    expect(ctx.profile).toEqual({
      id: profile.id,
      email: 'ada@acme.example',
      name: null,
      stage: profile.stage,
      leadScore: profile.leadScore,
      ownerId: adminId,
      ownerEmail: h.admin.email,
      firstTouch: profile.firstTouch,
    });
    expect(ctx.profile!.stage).toBe('lead');
    expect(ctx.profile!.firstTouch).toMatchObject({
      source: 'news',
      medium: 'email',
      campaign: 'spring',
      channel: 'Email',
    });
    expect(ctx.lead).toMatchObject({ startKind: 'chat_started', answeredAt: null, overdue: false });
    // This session: back to the two-hour pause, newest first; the blog visit was an earlier session.
    expect(ctx.pages.map((p) => [p.path, p.title])).toEqual([
      ['/pricing', 'Pricing'],
      ['/', 'Home'],
    ]);
    expect(ctx.pages[0]).toEqual({
      url: 'https://shop.example/pricing',
      path: '/pricing',
      title: 'Pricing',
      at: ctx.pages[0].at,
    });
    expect(Date.now() - Date.parse(ctx.pages[0].at)).toBeGreaterThanOrEqual(5 * MIN - 1_000);
    expect(ctx.currentPage).toEqual(ctx.pages[0]);

    // The visitor moves on: the next read has the new page, first.
    await send([page('anon-ada', '/checkout', 'Checkout', 0)]);
    const moved = await context(conversationId);
    expect(moved.currentPage).toMatchObject({ path: '/checkout', title: 'Checkout' });
    expect(moved.pages.map((p) => p.path)).toEqual(['/checkout', '/pricing', '/']);

    // An agent's answer stops the lead's clock.
    await h.api(`/api/inbox/${conversationId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Hello Ada!' }),
    });
    expect((await context(conversationId)).lead!.answeredAt).not.toBeNull();
  });

  it('keeps the page they were last on when this session has none, and knows a visitor without a lead', async () => {
    await send([page('anon-dee', '/docs', 'Docs', 90)]);
    const conversationId = await say('anon-dee', 'Anyone there?');
    const ctx = await context(conversationId);
    // The chat came ninety minutes after the last page: a new session without pages.
    expect(ctx.pages).toEqual([]);
    expect(ctx.currentPage).toMatchObject({ path: '/docs', title: 'Docs' });
    // No round has run: the lead's clock has not started, and no rule has given it an owner.
    expect(ctx.lead).toBeNull();
    expect(ctx.profile).toMatchObject({ email: null, ownerId: null, ownerEmail: null });
    expect(ctx.profile!.firstTouch).toMatchObject({
      channel: 'Direct',
      landingUrl: 'https://shop.example/docs',
    });
  });
});
