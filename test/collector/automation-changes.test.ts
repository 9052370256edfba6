// What the automations read from the change log, through HTTP: payments (once per payment, however many events
// tell of it), a failed payment, a merge, stage moves, and profiles becoming at risk (a sweep, again only after
// the profile was active in between). Each becomes its webhook event type with the profile in its data, and
// fires the rules that trigger on it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../wire.ts';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const DAY = 86_400_000;
const ALL = [
  'lead.created',
  'profile.stage_changed',
  'profile.merged',
  'form.submitted',
  'chat.started',
  'payment.succeeded',
  'payment.failed',
  'profile.at_risk',
];
async function endpoint() {
  const res = await h.api(`/api/sites/${h.site.id}/webhooks`, {
    method: 'POST',
    body: JSON.stringify({ url: 'https://hooks.example/in', events: ALL }),
  });
  expect(res.status).toBe(201);
}
const server = (batch: unknown[]) => h.post('/v1/batch', { writeKey: h.site.secretKey, batch });
const round = (now?: number) => h.store.automations.process({ smtp: false, now, sweepMs: 0 });
/** The payloads queued so far, oldest first. */
async function queued(): Promise<WebhookPayload[]> {
  const rs = await h.db.execute('SELECT payload FROM webhook_deliveries ORDER BY created_at, rowid');
  return rs.rows.map((r) => JSON.parse(String(r.payload)));
}

describe('automation changes', () => {
  it('a payment is one payment.succeeded however many events tell of it; a failure is payment.failed', async () => {
    await endpoint();
    const at = new Date(Date.now() - 60_000).toISOString();
    await server([
      {
        type: 'identify',
        messageId: 'p-1',
        userId: 'u-ada',
        timestamp: at,
        traits: { email: 'ada@acme.example' },
      },
    ]);
    await server([
      {
        type: 'track',
        event: 'Invoice Paid',
        messageId: 'p-2',
        userId: 'u-ada',
        timestamp: at,
        properties: { invoice_id: 'in_1', payment_id: 'pi_1', amount: 49, currency: 'USD' },
      },
    ]);
    await server([
      {
        type: 'track',
        event: 'Payment Succeeded',
        messageId: 'p-3',
        userId: 'u-ada',
        timestamp: at,
        properties: { invoice_id: 'in_1', payment_id: 'pi_1', amount: 49, currency: 'USD' },
      },
      {
        type: 'track',
        event: 'Payment Failed',
        messageId: 'p-4',
        userId: 'u-ada',
        timestamp: at,
        properties: { invoice_id: 'in_2', amount: 49, currency: 'USD' },
      },
    ]);
    await round();
    const all = await queued();
    const paid = all.filter((p) => p.type === 'payment.succeeded');
    expect(paid).toHaveLength(1);
    expect(paid[0].data).toMatchObject({
      profile: { email: 'ada@acme.example', stage: 'customer' },
      paymentId: 'in_1',
      amount: 4900,
      currency: 'USD',
    });
    expect(all.filter((p) => p.type === 'payment.failed')).toHaveLength(1);
    // The stage moves: lead.created once, and one stage_changed per move (reach → lead, lead → customer).
    expect(all.filter((p) => p.type === 'lead.created')).toHaveLength(1);
    const moves = all
      .filter((p) => p.type === 'profile.stage_changed')
      .map((p) => {
        const d = p.data as { from: string | null; to: string };
        return `${d.from}→${d.to}`;
      });
    expect(moves).toEqual(['null→lead', 'lead→customer']);
    // Replaying the same events changes nothing and queues nothing.
    await server([
      {
        type: 'track',
        event: 'Payment Succeeded',
        messageId: 'p-3',
        userId: 'u-ada',
        timestamp: at,
        properties: { invoice_id: 'in_1', payment_id: 'pi_1', amount: 49, currency: 'USD' },
      },
    ]);
    await round();
    expect(await queued()).toHaveLength(all.length);
  });

  it('a merge is profile.merged on the profile that remains', async () => {
    await endpoint();
    await h.post('/v1/batch', {
      writeKey: h.site.siteKey,
      batch: [
        { type: 'page', messageId: 'm-1', anonymousId: 'browser-a' },
        { type: 'page', messageId: 'm-2', anonymousId: 'browser-b' },
      ],
    });
    await server([{ type: 'alias', messageId: 'm-3', anonymousId: 'browser-a', previousId: 'browser-b' }]);
    await round();
    const merged = (await queued()).filter((p) => p.type === 'profile.merged');
    expect(merged).toHaveLength(1);
    const { profile, mergedId } = merged[0].data as { profile: { id: string }; mergedId: string };
    expect(mergedId).not.toBe(profile.id);
    expect((await h.api(`/api/profiles/${mergedId}`)).body.profile.id).toBe(profile.id);
  });

  it('marks a profile at risk once, fires the rule, and again only after it was active in between', async () => {
    await endpoint();
    const rule = (
      await h.api(`/api/sites/${h.site.id}/rules`, {
        method: 'POST',
        body: JSON.stringify({
          name: 'Win back',
          trigger: { kind: 'at_risk' },
          actions: [{ kind: 'tag', tag: 'win back' }],
        }),
      })
    ).body.rule;
    const now = Date.now();
    await server([
      {
        type: 'identify',
        messageId: 'r-1',
        anonymousId: 'gone',
        timestamp: new Date(now - 2 * DAY).toISOString(),
        traits: { email: 'gone@acme.example' },
      },
    ]);
    await round(now);
    expect((await queued()).filter((p) => p.type === 'profile.at_risk')).toHaveLength(0);
    // 31 days on: at risk, once however many sweeps run.
    await round(now + 31 * DAY);
    await round(now + 32 * DAY);
    await round(now + 32 * DAY);
    let risk = (await queued()).filter((p) => p.type === 'profile.at_risk');
    expect(risk).toHaveLength(1);
    expect(risk[0].data).toMatchObject({ reason: 'no_visit', profile: { email: 'gone@acme.example' } });
    const got = (await h.api(`/api/rules/${rule.id}`)).body;
    expect(got.rule.fired).toBe(1);
    const id = (risk[0].data as { profile: { id: string } }).profile.id;
    expect((await h.api(`/api/profiles/${id}`)).body.profile.tags).toEqual(['win back']);
    // Back (a visit now), then gone again: a second at_risk.
    await server([
      { type: 'page', messageId: 'r-2', anonymousId: 'gone', timestamp: new Date(now).toISOString() },
    ]);
    await round(now + 33 * DAY);
    // (The sweep logs the change; the next round turns it into its webhook.)
    await round(now + 33 * DAY);
    risk = (await queued()).filter((p) => p.type === 'profile.at_risk');
    expect(risk).toHaveLength(2);
  });
  it('a rule sets a stage; the stage an automation set fires no rule (no loops)', async () => {
    const make = (body: unknown) =>
      h.api(`/api/sites/${h.site.id}/rules`, { method: 'POST', body: JSON.stringify(body) });
    const qualify = (
      await make({
        name: 'Demo requests are qualified',
        trigger: { kind: 'form_submitted', formId: 'demo' },
        actions: [{ kind: 'set_stage', stage: 'qualified' }],
      })
    ).body.rule;
    const echo = (
      await make({
        name: 'On qualified',
        trigger: { kind: 'stage_entered', stage: 'qualified' },
        actions: [{ kind: 'set_stage', stage: 'lead' }],
      })
    ).body.rule;
    await h.post('/v1/batch', {
      writeKey: h.site.siteKey,
      batch: [
        {
          type: 'track',
          event: 'Form Submitted',
          messageId: 's-1',
          anonymousId: 'stage-a',
          properties: { formId: 'demo', fields: { email: 'ivy@acme.example' } },
        },
      ],
    });
    await round();
    await round();
    const profiles = (await h.api('/api/profiles?q=ivy%40acme.example')).body.profiles;
    expect(profiles[0].stage).toBe('qualified');
    expect((await h.api(`/api/rules/${qualify.id}`)).body.rule.fired).toBe(1);
    expect((await h.api(`/api/rules/${echo.id}`)).body.rule.fired).toBe(0);
    const changes = (await h.api(`/api/changes?site=${h.site.id}`)).body.changes as {
      kind: string;
      detail: Record<string, unknown>;
    }[];
    const entered = changes.find((c) => c.kind === 'stage_entered' && c.detail.stage === 'qualified')!;
    expect(entered.detail).toMatchObject({ by: 'automation', ruleId: qualify.id });
  });
  it('counts an agent who answered before the automations read the chat as an answer', async () => {
    const chat = await h.app.request('/v1/chat/messages', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: ORIGIN },
      body: JSON.stringify({
        key: h.site.siteKey,
        anonymousId: 'quick',
        clientId: 'q-1',
        text: 'Hi, zoe@acme.example',
      }),
    });
    const { conversationId } = (await chat.json()) as { conversationId: string };
    const reply = await h.api(`/api/inbox/${conversationId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Hello Zoe!' }),
    });
    expect(reply.status).toBe(201);
    await round();
    const speed = (await h.api(`/api/overview?site=${h.site.id}`)).body.speedToLead;
    expect(speed).toMatchObject({ leads: 1, answered: 1, unanswered: 0 });
    expect(speed.medianMs).toBeLessThan(60_000);
  });
});
