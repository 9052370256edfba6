// A rule end to end: a visitor from an email campaign submits a lead form in real Chromium; the rule assigns
// an owner, creates a follow-up task, emails the owner through an SMTP server on loopback, and delivers its
// webhook (verified with the standardwebhooks package), beside the endpoint's own form.submitted delivery.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FollowUpTask } from '../../wire.ts';
import { screenshotPath } from '../support/browser.ts';
import { type SmtpSink, startSmtp } from '../support/smtp.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';
import { layout, startWidgetSite, type WidgetSite, waitFor } from '../support/widget-site.ts';

let w: WidgetSite;
let smtp: SmtpSink;
let rx: Receiver;
let formId = '';
let secret = '';
let ruleId = '';

beforeAll(async () => {
  smtp = await startSmtp();
  rx = await startReceiver();
  w = await startWidgetSite(
    (api, key) => ({
      '/': layout(api, key, `<h1>Book a demo</h1><div data-touchpoint-form="${formId}"></div>`),
    }),
    async (c) => {
      formId = (
        await c.api(`/api/sites/${c.site.id}/forms`, {
          method: 'POST',
          body: JSON.stringify({
            name: 'Book a demo',
            kind: 'demo',
            fields: [
              { name: 'email', type: 'email', label: 'Work email', required: true },
              { name: 'name', type: 'name', label: 'Full name' },
            ],
            submitText: 'Request demo',
            successMessage: 'Thanks! We will be in touch.',
          }),
        })
      ).body.form.id;
      const ep = (
        await c.api(`/api/sites/${c.site.id}/webhooks`, {
          method: 'POST',
          body: JSON.stringify({ url: `${rx.url}/crm`, events: ['form.submitted'] }),
        })
      ).body.endpoint;
      secret = ep.secret;
      const rule = await c.api(`/api/sites/${c.site.id}/rules`, {
        method: 'POST',
        body: JSON.stringify({
          name: 'Demo requests from email',
          trigger: { kind: 'form_submitted', formId },
          conditions: [{ field: 'campaign', equals: 'spring' }],
          actions: [
            { kind: 'assign' },
            { kind: 'task', title: 'Call within the hour', dueHours: 1 },
            { kind: 'email_owner', subject: 'Demo request' },
            { kind: 'webhook', endpointId: ep.id },
          ],
        }),
      });
      expect(rule.status).toBe(201);
      ruleId = rule.body.rule.id;
    },
    {
      TOUCHPOINT_SMTP_URL: smtp.url,
      TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE: '1',
      TOUCHPOINT_AUTOMATION_POLL_MS: '50',
    },
  );
});
afterAll(async () => {
  await w?.close();
  await rx?.close();
  await smtp?.close();
});

it('routes a lead form submitted in Chromium: owner, task, email and webhook', async () => {
  const { collector } = w;
  const ctx = await w.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${w.host.url}/?utm_source=newsletter&utm_medium=email&utm_campaign=spring`);
  await page.getByLabel('Work email').fill('Gwen@Acme.example');
  await page.getByLabel('Full name').fill('Gwen Lead');
  const submitted = Date.now();
  await page.getByRole('button', { name: 'Request demo' }).click();
  await page.getByText('Thanks! We will be in touch.').waitFor();
  await page.screenshot({ path: screenshotPath('automation-form-submitted-1280') });
  await ctx.close();

  // The owner, and the follow-up task on the owner.
  const task = await waitFor(async () => {
    const t = (await collector.api(`/api/tasks?site=${collector.site.id}`)).body.tasks as FollowUpTask[];
    return t[0];
  }, 'the task');
  expect(task).toMatchObject({
    title: 'Call within the hour',
    profileEmail: 'gwen@acme.example',
    ownerEmail: 'admin@example.com',
    overdue: false,
  });
  const profile = (await collector.api(`/api/profiles/${task.profileId}`)).body.profile;
  expect(profile.ownerEmail).toBe('admin@example.com');

  // The owner's email, received by the SMTP server.
  const mail = await waitFor(async () => smtp.mails[0], 'the email');
  expect(mail.to).toEqual(['admin@example.com']);
  expect(mail.data).toMatch(/Subject: Demo request/);
  expect(mail.data).toContain('gwen@acme.example');
  expect(mail.data).toMatch(/First touch: Email \(spring\)/);

  // The rule's webhook and the endpoint's own form.submitted, each signed.
  const hits = await rx.waitFor('/crm', 2);
  const bodies = hits.map((h) =>
    new Webhook(secret).verify(h.body, {
      'webhook-id': String(h.headers['webhook-id']),
      'webhook-timestamp': String(h.headers['webhook-timestamp']),
      'webhook-signature': String(h.headers['webhook-signature']),
    }),
  ) as { type: string; data: { profile: { email: string; firstTouch: { campaign: string } } } }[];
  expect(bodies.map((b) => b.type).sort()).toEqual(['form.submitted', 'rule.fired']);
  for (const b of bodies) {
    expect(b.data.profile.email).toBe('gwen@acme.example');
    expect(b.data.profile.firstTouch.campaign).toBe('spring');
  }
  // From the click on "Request demo" to the last delivery, everything happened within seconds.
  expect(Math.max(...hits.map((h) => h.at)) - submitted).toBeLessThan(10_000);
  const rule = (await collector.api(`/api/rules/${ruleId}`)).body;
  expect(rule.rule.fired).toBe(1);
  expect(rule.firings[0].results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, true, true]);
});
