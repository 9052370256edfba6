// Automation rules through the real interfaces: rules made over the admin API, fired by events sent to
// /v1/batch and chat posted to /v1/chat, each action seen where a user would see it (the profile's owner and
// tags, the task list, the chat, an email received by an SMTP server on loopback, a webhook on loopback),
// once per change; leads left unanswered; speed to lead on the overview; and bad rules refused by field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutomationRule, FollowUpTask, RuleFiring, RuleInput } from '../../wire.ts';
import { startCollector, type TestCollector } from '../support/collector.ts';
import { type Mail, type SmtpSink, startSmtp } from '../support/smtp.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';
import { harness } from './harness.ts';

let smtp: SmtpSink;
let mails: Mail[] = [];
let c: TestCollector;
let rx: Receiver;
const ORIGIN = 'http://localhost:5555';

beforeAll(async () => {
  smtp = await startSmtp();
  mails = smtp.mails;
  rx = await startReceiver();
  c = await startCollector({
    env: {
      TOUCHPOINT_SMTP_URL: smtp.url,
      TOUCHPOINT_SMTP_FROM: 'Touchpoint <leads@shop.example>',
      TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE: '1',
      TOUCHPOINT_AUTOMATION_POLL_MS: '50',
    },
  });
});
afterAll(async () => {
  await c?.close();
  await rx?.close();
  await smtp?.close();
});

let n = 0;
const send = async (batch: unknown[]) => {
  const res = await fetch(`${c.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ writeKey: c.site.siteKey, batch }),
  });
  expect(res.status).toBe(200);
};
/** A visitor landing from `url` who submits form `formId` with an email; returns its anonymous id. */
async function formLead(email: string, formId: string, url: string) {
  const anonymousId = `anon-rule-${++n}`;
  await send([
    { type: 'page', messageId: `rule-page-${n}`, anonymousId, context: { page: { url } } },
    {
      type: 'track',
      event: 'Form Submitted',
      messageId: `rule-form-${n}`,
      anonymousId,
      properties: { formId, fields: { email } },
    },
  ]);
  return anonymousId;
}
const EMAIL_CAMPAIGN = 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=spring';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const profileOf = async (email: string) => {
  const list = (await c.api(`/api/profiles?q=${encodeURIComponent(email)}`)).body.profiles as {
    id: string;
  }[];
  return list[0] ? (await c.api(`/api/profiles/${list[0].id}`)).body.profile : null;
};
const createRule = async (body: unknown) => {
  const res = await c.api(`/api/sites/${c.site.id}/rules`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.rule as AutomationRule;
};

describe('automation rules', () => {
  it('route a demo request from an email campaign: owner by round-robin, tag, task, email and webhook, once each', async () => {
    const second = await c.api('/api/users', {
      method: 'POST',
      body: JSON.stringify({ email: 'sam@shop.example', password: 'another long password' }),
    });
    expect(second.status).toBe(201);
    const ep = (
      await c.api(`/api/sites/${c.site.id}/webhooks`, {
        method: 'POST',
        body: JSON.stringify({ url: `${rx.url}/rules`, events: ['payment.succeeded'] }),
      })
    ).body.endpoint;
    const rule = await createRule({
      name: 'Route demo requests',
      trigger: { kind: 'form_submitted', formId: 'demo' },
      conditions: [{ field: 'channel', equals: 'email' }],
      actions: [
        { kind: 'assign' },
        { kind: 'tag', tag: 'demo request' },
        { kind: 'task', title: 'Call back', dueHours: 1 },
        { kind: 'email_owner' },
        { kind: 'webhook', endpointId: ep.id },
      ],
    });
    expect(rule).toMatchObject({
      enabled: true,
      fired: 0,
      conditions: [{ field: 'channel', equals: 'email' }],
    });

    await formLead('ada@acme.example', 'demo', EMAIL_CAMPAIGN);
    await formLead('bob@acme.example', 'demo', EMAIL_CAMPAIGN);
    // Not fired: another form, and the same form from a visitor who came directly.
    await formLead('cy@acme.example', 'newsletter', EMAIL_CAMPAIGN);
    await formLead('di@acme.example', 'demo', 'https://shop.example/');

    const tasks = await until('two tasks', async () => {
      const t = (await c.api(`/api/tasks?site=${c.site.id}`)).body.tasks as FollowUpTask[];
      return t.length >= 2 && t;
    });
    expect(tasks.map((t) => t.profileEmail).sort()).toEqual(['ada@acme.example', 'bob@acme.example']);
    expect(tasks.every((t) => t.title === 'Call back' && !t.overdue && t.doneAt === null)).toBe(true);
    // Round-robin: each lead went to a different user, and the task to the lead's owner.
    const ada = await profileOf('ada@acme.example');
    const bob = await profileOf('bob@acme.example');
    expect(new Set([ada.ownerEmail, bob.ownerEmail])).toEqual(
      new Set(['admin@example.com', 'sam@shop.example']),
    );
    expect(ada.tags).toEqual(['demo request']);
    expect(tasks.find((t) => t.profileEmail === 'ada@acme.example')!.ownerEmail).toBe(ada.ownerEmail);
    for (const email of ['cy@acme.example', 'di@acme.example']) {
      const p = await profileOf(email);
      expect(p.ownerEmail, email).toBeNull();
      expect(p.tags, email).toEqual([]);
    }

    // The owner's email, through a real SMTP server.
    await until('two emails', async () => mails.length >= 2);
    const toAda = mails.find((m) => m.data.includes('ada@acme.example'))!;
    expect(toAda.to).toEqual([ada.ownerEmail]);
    expect(toAda.data).toMatch(/Subject: New lead: ada@acme\.example/);
    expect(toAda.data).toContain(`/app/profiles/${ada.id}`);
    expect(toAda.data).toMatch(/First touch: Email \(spring\)/);

    // The webhook action: a `rule.fired` delivery per firing.
    const hits = await rx.waitFor('/rules', 2);
    const bodies = hits.map((h) => JSON.parse(h.body));
    expect(bodies.map((b) => b.type)).toEqual(['rule.fired', 'rule.fired']);
    expect(bodies[0].data.rule).toEqual({ id: rule.id, name: 'Route demo requests' });

    // Fired once per change, and its log says what each action did.
    const got = (await c.api(`/api/rules/${rule.id}`)).body;
    expect(got.rule.fired).toBe(2);
    expect((got.firings as RuleFiring[]).map((f) => f.results.every((r) => r.ok))).toEqual([true, true]);
    await new Promise((r) => setTimeout(r, 300));
    expect(((await c.api(`/api/tasks?site=${c.site.id}`)).body.tasks as FollowUpTask[]).length).toBe(2);
    expect(mails.length).toBe(2);
  });

  it('answers a first chat message, and fires on leads left unanswered unless a person answered in time', async () => {
    await createRule({
      name: 'Greet chats',
      trigger: { kind: 'chat_started' },
      actions: [{ kind: 'chat_reply', text: 'Thanks! Someone from sales will answer shortly.' }],
    });
    const late = await createRule({
      name: 'Unanswered after 5 minutes',
      trigger: { kind: 'lead_unanswered', minutes: 5 },
      actions: [{ kind: 'task', title: 'Answer now', dueHours: 0 }],
    });
    const chat = async (anonymousId: string, text: string) => {
      const res = await fetch(`${c.url}/v1/chat/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
        body: JSON.stringify({ key: c.site.siteKey, anonymousId, clientId: `m-${++n}`, text }),
      });
      expect(res.status).toBe(201);
      return (await res.json()).conversationId as string;
    };
    const conv1 = await chat('anon-chat-1', 'Hi, I am eve@acme.example, can you help?');
    const conv2 = await chat('anon-chat-2', 'Hello, fay@acme.example here');
    const thread = async (id: string) =>
      (await c.api(`/api/inbox/${id}`)).body.messages as { author: string; text: string }[];
    const greeted = await until('the rule greets', async () => {
      const m = await thread(conv1);
      return m.some((x) => x.text.startsWith('Thanks! Someone from sales')) && m;
    });
    expect(greeted.find((x) => x.text.startsWith('Thanks! Someone'))!.author).toBe('auto');
    await until('the second is greeted too', async () =>
      (await thread(conv2)).some((x) => x.author === 'auto' && x.text.startsWith('Thanks! Someone')),
    );
    // An agent answers the first; the second waits.
    const reply = await c.api(`/api/inbox/${conv1}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Hi Eve, happy to help.' }),
    });
    expect(reply.status).toBe(201);
    // Six minutes later (the clock given to one round), only the unanswered lead fires.
    await until('both clocks started', async () => {
      const s = (await c.api(`/api/overview?site=${c.site.id}`)).body.speedToLead;
      return s.byChannel.reduce((a: number, x: { leads: number }) => a + x.leads, 0) >= 2 && s;
    });
    await c.store.automations.process({ smtp: true, now: Date.now() + 6 * 60_000 });
    const firings = (await c.api(`/api/rules/${late.id}`)).body.firings as RuleFiring[];
    expect(firings).toHaveLength(1);
    const fay = await profileOf('fay@acme.example');
    expect(firings[0]).toMatchObject({ profileId: fay.id, trigger: 'lead_unanswered' });
    const open = (await c.api(`/api/tasks?profile=${fay.id}`)).body.tasks as FollowUpTask[];
    expect(open.map((t) => t.title)).toEqual(['Answer now']);

    // Speed to lead: Eve was answered by a person in seconds; Fay not yet.
    const speed = (await c.api(`/api/overview?site=${c.site.id}`)).body.speedToLead;
    expect(speed.answered).toBeGreaterThanOrEqual(1);
    expect(speed.unanswered).toBeGreaterThanOrEqual(1);
    expect(speed.medianMs).toBeGreaterThanOrEqual(0);
    expect(speed.medianMs).toBeLessThan(60_000);
    expect(speed.within5Min).toBeGreaterThan(0);
    expect(speed.medianAutoMs).not.toBeNull();

    // Marking the task done answers Fay's lead; snoozing moves a task's due time.
    const done = await c.api(`/api/tasks/${open[0].id}`, {
      method: 'PATCH',
      body: JSON.stringify({ done: true }),
    });
    expect(done.status).toBe(200);
    expect(done.body.task.doneAt).not.toBeNull();
    const after = (await c.api(`/api/overview?site=${c.site.id}`)).body.speedToLead;
    expect(after.answered).toBe(speed.answered + 1);
    const any = ((await c.api(`/api/tasks?site=${c.site.id}`)).body.tasks as FollowUpTask[])[0];
    const snoozed = await c.api(`/api/tasks/${any.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ snoozeHours: 2 }),
    });
    expect(Date.parse(snoozed.body.task.snoozedUntil)).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('refuse bad rules and tasks with a 400 naming the field', async () => {
    const post = (body: unknown) =>
      c.api(`/api/sites/${c.site.id}/rules`, { method: 'POST', body: JSON.stringify(body) });
    const ok = { name: 'R', trigger: { kind: 'chat_started' }, actions: [{ kind: 'tag', tag: 'x' }] };
    for (const [body, field] of [
      [{ ...ok, name: '' }, 'name'],
      [{ ...ok, trigger: { kind: 'nope' } }, 'trigger.kind'],
      [{ ...ok, trigger: { kind: 'lead_unanswered', minutes: 0 } }, 'trigger.minutes'],
      [{ ...ok, actions: [] }, 'actions'],
      [{ ...ok, actions: [{ kind: 'task', title: 'T', dueHours: -1 }] }, 'actions.0.dueHours'],
      [{ ...ok, actions: [{ kind: 'webhook', endpointId: 'ep_nope' }] }, 'actions.0.endpointId'],
      [{ ...ok, actions: [{ kind: 'assign', userId: 'nobody' }] }, 'actions.0.userId'],
      [{ ...ok, conditions: [{ field: 'color', equals: 'red' }] }, 'conditions.0.field'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect((await c.api('/api/rules/rule_nope')).status).toBe(404);
    expect((await c.api('/api/tasks/task_nope', { method: 'PATCH', body: '{"done":true}' })).status).toBe(
      404,
    );
    expect((await c.api('/api/tasks?status=maybe')).status).toBe(400);
    const bad = await c.api('/api/tasks/task_nope', { method: 'PATCH', body: '{"snoozeHours":0}' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('snoozeHours');
    expect((await fetch(`${c.url}/api/sites/${c.site.id}/rules`)).status).toBe(401);
  });
});

describe('without SMTP', () => {
  it('shows email as unavailable, and a rule that emails says so in its log instead of dropping it', async () => {
    const h = await harness();
    try {
      const status = await h.api('/api/automations');
      expect(status.body.email).toMatchObject({ available: false });
      expect(status.body.email.reason).toMatch(/TOUCHPOINT_SMTP_URL/);
      const input: RuleInput = {
        name: 'Email me',
        enabled: true,
        trigger: { kind: 'stage_entered', stage: 'lead' },
        conditions: [],
        actions: [{ kind: 'assign' }, { kind: 'email_owner' }],
      };
      // The API refuses a rule that would email while no SMTP server is configured…
      const refused = await h.api(`/api/sites/${h.site.id}/rules`, {
        method: 'POST',
        body: JSON.stringify(input),
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.field).toBe('actions.1');
      // …and one made while there was (stored directly here) says so in its log when the server is gone.
      const rule = await h.store.automations.createRule(h.site.id, input);
      await h.post('/v1/batch', {
        writeKey: h.site.siteKey,
        batch: [
          { type: 'identify', messageId: 'id-1', anonymousId: 'a-1', traits: { email: 'gus@acme.example' } },
        ],
      });
      const r = await h.store.automations.process({ smtp: false });
      expect(r.fired).toBe(1);
      const [firing] = (await h.api(`/api/rules/${rule.id}`)).body.firings as RuleFiring[];
      expect(firing.results).toEqual([
        { action: 'assign', ok: true, note: 'ok' },
        { action: 'email_owner', ok: false, note: expect.stringMatching(/no SMTP server is configured/) },
      ]);
      // Once per change: another round fires nothing.
      expect((await h.store.automations.process({ smtp: false })).fired).toBe(0);
      // A disabled rule fires nothing; the stage an automation sets fires no rule.
      const off = await h.api(`/api/rules/${rule.id}`, {
        method: 'PUT',
        body: JSON.stringify({ ...input, enabled: false, actions: [{ kind: 'assign' }] }),
      });
      expect(off.status).toBe(200);
      await h.post('/v1/batch', {
        writeKey: h.site.siteKey,
        batch: [
          { type: 'identify', messageId: 'id-2', anonymousId: 'a-2', traits: { email: 'hal@acme.example' } },
        ],
      });
      expect((await h.store.automations.process({ smtp: false })).fired).toBe(0);
    } finally {
      await h.close();
    }
  });
});
