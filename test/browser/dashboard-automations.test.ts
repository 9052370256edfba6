// The automations page in Chromium through the real API and the collector's automation worker: a rule built
// in the editor (trigger, a condition, actions added and removed; the email action unavailable without SMTP),
// fired by form submissions from an email campaign; its tasks done, snoozed and overdue, on the tasks list and
// the profile; the firing log, edit, on/off and delete. Then a webhook endpoint added with its secret shown
// once, a signed test event and a redelivery in the delivery log, the secret rotated, and an endpoint the
// receiver disabled with a 410.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutomationRule, FollowUpTask, WebhookEndpoint } from '../../wire.ts';
import { screenshotPath } from '../support/browser.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';
import {
  type Harness,
  messageId,
  openPage,
  send,
  shootBoth,
  signIn,
  startHarness,
} from './dashboard-support.ts';

let h: Harness;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  h = await startHarness({
    env: { TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE: '1', TOUCHPOINT_AUTOMATION_POLL_MS: '50' },
  });
});
afterAll(async () => {
  await h?.close();
  await rx?.close();
});

const EMAIL_CAMPAIGN = 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=spring';

/** A visitor landing from `url` who submits a form with their email. */
async function formLead(email: string, url: string) {
  const anonymousId = `anon-${email}`;
  await send(h.collector, [
    { type: 'page', messageId: messageId(), anonymousId, context: { page: { url } } },
    {
      type: 'track',
      event: 'Form Submitted',
      messageId: messageId(),
      anonymousId,
      properties: { formId: 'contact', fields: { email } },
    },
  ]);
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const siteApi = (path: string) => `/api/sites/${h.collector.site.id}${path}`;

describe('dashboard automations', () => {
  it('builds a rule, fires it, and works through its tasks', async () => {
    const { page, problems } = await openPage(h.browser);
    await signIn(page, h.collector, '/app/automations');
    await page.getByRole('heading', { level: 1, name: 'Automations' }).waitFor();
    const sections = page.getByRole('navigation', { name: 'Automations sections' });
    expect(await sections.getByRole('link', { name: 'Rules' }).getAttribute('aria-current')).toBe('page');
    expect(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Automations' })
        .getAttribute('aria-current'),
    ).toBe('page');
    await page.getByText('No rules yet.').waitFor();
    await shootBoth(page, 'dashboard-automations-empty');

    // The editor: trigger, one condition, actions added, changed and removed.
    await page.getByRole('link', { name: 'Create the first rule' }).click();
    await page.waitForURL(/\/app\/automations\/rules\/new$/);
    await page.getByLabel('Rule name').fill('Email campaign leads');
    expect(await page.getByRole('combobox', { name: 'Trigger', exact: true }).inputValue()).toBe(
      'form_submitted',
    );
    expect(await page.getByRole('combobox', { name: 'Form', exact: true }).inputValue()).toBe('');
    await page.getByRole('button', { name: 'Add condition' }).click();
    const condition = page.getByRole('group', { name: 'Condition 1' });
    await condition.getByRole('combobox', { name: 'Field', exact: true }).selectOption('channel');
    await condition.getByLabel('Is', { exact: true }).fill('Email');

    // No SMTP server: the email action is shown as unavailable and cannot be chosen.
    await page.getByText('Email the owner is unavailable.').waitFor();
    await page.getByText('No SMTP server is configured', { exact: false }).first().waitFor();
    const first = page.getByRole('group', { name: 'Action 1' });
    expect(await first.getByRole('combobox', { name: 'Action', exact: true }).inputValue()).toBe('assign');
    const emailOption = first
      .getByRole('combobox', { name: 'Action', exact: true })
      .locator('option[value="email_owner"]');
    expect(await emailOption.isDisabled()).toBe(true);
    expect(await emailOption.textContent()).toContain('(unavailable)');

    await page.getByRole('button', { name: 'Add action' }).click();
    const task = page.getByRole('group', { name: 'Action 2' });
    expect(await task.getByRole('combobox', { name: 'Action', exact: true }).inputValue()).toBe('task');
    await task.getByLabel('Task', { exact: true }).fill('Call back now');
    await task.getByLabel('Due in (hours)').fill('0');
    await page.getByRole('button', { name: 'Add action' }).click();
    const tag = page.getByRole('group', { name: 'Action 3' });
    await tag.getByRole('combobox', { name: 'Action', exact: true }).selectOption('tag');
    await tag.getByLabel('Tag', { exact: true }).fill('email lead');
    // A chat reply does nothing for a lead without a chat: its firings will say so.
    await page.getByRole('button', { name: 'Add action' }).click();
    const reply = page.getByRole('group', { name: 'Action 4' });
    await reply.getByRole('combobox', { name: 'Action', exact: true }).selectOption('chat_reply');
    await reply.getByLabel('Message', { exact: true }).fill('Thanks! We will call you shortly.');
    await page.getByRole('button', { name: 'Add action' }).click();
    const stage = page.getByRole('group', { name: 'Action 5' });
    await stage.getByRole('combobox', { name: 'Action', exact: true }).selectOption('set_stage');
    await stage.getByRole('combobox', { name: 'Stage', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove action 5' }).click();
    expect(await page.getByRole('group', { name: /^Action \d$/ }).count()).toBe(4);
    await shootBoth(page, 'dashboard-automations-rule-new');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.waitForURL(/\/app\/automations\/rules$/);

    const rules = page.getByRole('list', { name: 'Rules' });
    await rules.getByText('When any form is submitted, if first-touch channel is “Email”').waitFor();
    await rules.getByText('Never fired').waitFor();
    const [stored] = (await h.collector.api(siteApi('/rules'))).body.rules as AutomationRule[];
    expect(stored).toMatchObject({
      name: 'Email campaign leads',
      enabled: true,
      trigger: { kind: 'form_submitted' },
      conditions: [{ field: 'channel', equals: 'Email' }],
      actions: [
        { kind: 'assign' },
        { kind: 'task', title: 'Call back now', dueHours: 0 },
        { kind: 'tag', tag: 'email lead' },
        { kind: 'chat_reply', text: 'Thanks! We will call you shortly.' },
      ],
    });
    expect(stored.actions[0]).not.toHaveProperty('userId');

    // Three leads from the email campaign fire it; one who came directly does not.
    for (const email of ['ada@acme.example', 'bob@acme.example', 'cy@acme.example'])
      await formLead(email, EMAIL_CAMPAIGN);
    await formLead('di@acme.example', 'https://shop.example/');
    await until('three firings', async () => {
      const r = (await h.collector.api(`/api/rules/${stored.id}`)).body.rule as AutomationRule;
      return r.fired === 3;
    });
    await page.reload();
    await rules.getByText('Fired 3 times', { exact: false }).waitFor();
    await shootBoth(page, 'dashboard-automations-rules');

    // Tasks: a due time of 0 hours makes each overdue at once, highlighted.
    await sections.getByRole('link', { name: 'Tasks' }).click();
    await page.waitForURL(/\/app\/automations\/tasks$/);
    const tasks = page.getByRole('list', { name: 'Tasks' });
    const item = (email: string) => tasks.getByRole('listitem', { name: `Call back now: ${email}` });
    await item('cy@acme.example').waitFor();
    expect(await tasks.getByRole('listitem').count()).toBe(3);
    expect(await tasks.locator('.task-overdue').count()).toBe(3);
    await page.getByText('3 open, 3 overdue').waitFor();
    expect(await item('ada@acme.example').getByText('Owner admin@example.com').count()).toBe(1);
    expect(await item('ada@acme.example').getByText('Overdue', { exact: true }).count()).toBe(1);
    const bg = await item('ada@acme.example').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).not.toBe('rgba(0, 0, 0, 0)');

    // Done leaves the open list; a snooze of a day makes one due tomorrow, no longer overdue.
    await item('ada@acme.example').getByRole('button', { name: /^Done/ }).click();
    await item('ada@acme.example').waitFor({ state: 'detached' });
    await item('bob@acme.example')
      .getByRole('button', { name: /by 1 day$/ })
      .click();
    await expect
      .poll(() => item('bob@acme.example').getAttribute('class'), { timeout: 10_000 })
      .not.toContain('task-overdue');
    await page.getByText('2 open, 1 overdue').waitFor();
    // Overdue first, the snoozed one after it.
    expect(await tasks.getByRole('listitem').first().getAttribute('aria-label')).toBe(
      'Call back now: cy@acme.example',
    );
    expect(await item('cy@acme.example').getAttribute('class')).toContain('task-overdue');
    const stored2 = (await h.collector.api(`/api/tasks?site=${h.collector.site.id}&status=all`)).body
      .tasks as FollowUpTask[];
    const byEmail = (email: string) => stored2.find((t) => t.profileEmail === email)!;
    expect(byEmail('ada@acme.example').doneAt).not.toBeNull();
    expect(byEmail('bob@acme.example').snoozedUntil).not.toBeNull();
    expect(byEmail('bob@acme.example').overdue).toBe(false);
    expect(stored2.some((t) => t.profileEmail === 'di@acme.example')).toBe(false);
    await shootBoth(page, 'dashboard-automations-tasks');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: screenshotPath('dashboard-automations-tasks-dark-1280'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // The filter: done tasks, addressable by URL.
    await page.getByRole('group', { name: 'Show tasks' }).getByRole('button', { name: 'Done' }).click();
    await page.waitForURL(/status=done/);
    await item('ada@acme.example').getByText('Done', { exact: true }).waitFor();
    expect(await tasks.getByRole('listitem').count()).toBe(1);
    await page.getByRole('group', { name: 'Show tasks' }).getByRole('button', { name: 'Open' }).click();
    await item('cy@acme.example').waitFor();

    // The profile: owner, tags, and its task with Done.
    await item('cy@acme.example').getByRole('link', { name: 'cy@acme.example' }).click();
    await page.waitForURL(/\/app\/profiles\//);
    await page.getByRole('heading', { level: 1, name: 'cy@acme.example' }).waitFor();
    const facts = page.getByRole('complementary', { name: 'About this profile' });
    await facts.getByText('admin@example.com', { exact: true }).waitFor();
    await facts.getByRole('list', { name: 'Tags' }).getByText('email lead').waitFor();
    const profileTasks = facts.getByRole('list', { name: 'Follow-up tasks' });
    await profileTasks.getByText('Overdue, was due', { exact: false }).waitFor();
    await shootBoth(page, 'dashboard-automations-profile');
    await profileTasks.getByRole('button', { name: 'Done: Call back now' }).click();
    await expect.poll(() => profileTasks.getByRole('button').count(), { timeout: 10_000 }).toBe(0);
    await profileTasks.getByText('Done just now').waitFor();

    // The rule's page: what each action did per firing; then an edit that turns it off.
    await page.goto(`${h.collector.url}/app/automations/rules/${stored.id}`);
    const firings = page.getByRole('list', { name: 'Firings' });
    await firings.getByRole('listitem').first().waitFor();
    expect(await firings.locator(':scope > li').count()).toBe(3);
    expect(await firings.locator('.result-ok').count()).toBe(9);
    expect(await firings.getByText('the profile has no chat conversation', { exact: false }).count()).toBe(3);
    await firings.getByText('Assign an owner').first().waitFor();
    await shootBoth(page, 'dashboard-automations-rule');
    await page.getByLabel('Rule name').fill('Email leads');
    await page.getByLabel('Enabled', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    expect((await h.collector.api(`/api/rules/${stored.id}`)).body.rule).toMatchObject({
      name: 'Email leads',
      enabled: false,
      conditions: [{ field: 'channel', equals: 'Email' }],
    });

    // Back in the list: on again with its switch, then deleted after a confirmation.
    await page.getByRole('link', { name: 'All rules' }).click();
    const toggle = page.getByRole('switch', { name: 'Email leads enabled' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await until('enabled', async () => (await h.collector.api(`/api/rules/${stored.id}`)).body.rule.enabled);
    await page.getByRole('button', { name: 'Delete Email leads' }).click();
    await page.getByRole('dialog', { name: 'Delete rule' }).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('link', { name: 'Email leads' }).waitFor();
    await page.getByRole('button', { name: 'Delete Email leads' }).click();
    await page
      .getByRole('dialog', { name: 'Delete rule' })
      .getByRole('button', { name: 'Delete rule' })
      .click();
    await page.getByText('No rules yet.').waitFor();
    expect((await h.collector.api(siteApi('/rules'))).body.rules).toEqual([]);

    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('adds a webhook endpoint, shows its secret once, and logs deliveries', async () => {
    const { page, problems } = await openPage(h.browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.collector.url });
    await signIn(page, h.collector, '/app/automations/webhooks');
    await page.getByText('No endpoints yet.', { exact: false }).waitFor();

    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'New endpoint' });
    await form.getByLabel('Endpoint URL').fill(`${rx.url}/crm`);
    expect(await form.getByRole('checkbox', { name: /lead\.created/ }).isChecked()).toBe(true);
    await form.getByRole('checkbox', { name: /payment\.succeeded/ }).check();
    await form.getByRole('checkbox', { name: /lead\.created/ }).uncheck();
    await form.getByRole('button', { name: 'Add endpoint' }).click();

    // The secret, once: copyable, and gone for good once dismissed.
    const once = page.getByRole('status').filter({ hasText: 'you will not see it again' });
    await once.waitFor();
    const secret = (await once.locator('.secret-value').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await once.getByRole('button', { name: 'Copy the signing secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const [endpoint] = (await h.collector.api(siteApi('/webhooks'))).body.endpoints as WebhookEndpoint[];
    expect(endpoint).toMatchObject({ url: `${rx.url}/crm`, events: ['form.submitted', 'payment.succeeded'] });
    expect(endpoint).not.toHaveProperty('secret');
    await page.getByRole('list', { name: 'Endpoints' }).getByText(`${rx.url}/crm`).waitFor();
    await shootBoth(page, 'dashboard-automations-webhook-secret');
    await once.getByRole('button', { name: 'I have copied it' }).click();
    await once.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);

    // A test event, signed with that secret, lands in the log; redelivering sends it again with the same id.
    await page.getByRole('link', { name: 'Deliveries and settings' }).click();
    await page.waitForURL(new RegExp(`/app/automations/webhooks/${endpoint.id}$`));
    await page.getByText('Nothing sent yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const [ping] = await rx.waitFor('/crm', 1);
    const payload = new Webhook(secret).verify(ping.body, ping.headers as Record<string, string>) as {
      type: string;
    };
    expect(payload.type).toBe('webhook.test');
    const deliveries = page.getByRole('list', { name: 'Deliveries' });
    const delivery = deliveries.getByRole('listitem', { name: 'webhook.test, Delivered' });
    await delivery.waitFor();
    expect(await delivery.locator('.delivery-facts').innerText()).toMatch(
      /Attempts\s+1\s+Response\s+200\s+Latency\s+\d+ ms/,
    );
    await delivery.getByRole('button', { name: /^Redeliver/ }).click();
    const [, again] = await rx.waitFor('/crm', 2);
    expect(again.headers['webhook-id']).toBe(ping.headers['webhook-id']);
    await expect
      .poll(() => delivery.locator('.delivery-facts').innerText(), { timeout: 15_000 })
      .toMatch(/Attempts\s+2\b/);
    await delivery.getByText('2 attempts', { exact: false }).click();
    await delivery.getByText('HTTP 200').first().waitFor();
    await shootBoth(page, 'dashboard-automations-webhook');

    // Rotating shows the new secret once; the next delivery is signed with it.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page
      .getByRole('dialog', { name: 'Rotate the signing secret' })
      .getByRole('button', { name: 'Rotate secret' })
      .click();
    const rotated = page.getByRole('status').filter({ hasText: 'New signing secret' });
    await rotated.waitFor();
    const secret2 = (await rotated.locator('.secret-value').textContent())!;
    expect(secret2).toMatch(/^whsec_/);
    expect(secret2).not.toBe(secret);
    await rotated.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const [, , third] = await rx.waitFor('/crm', 3);
    expect(
      (new Webhook(secret2).verify(third.body, third.headers as Record<string, string>) as { type: string })
        .type,
    ).toBe('webhook.test');

    // A receiver that answers 410 disables its endpoint; the page says why, and it can be turned on again.
    rx.script('/gone', [410]);
    const gone = (
      await h.collector.api(siteApi('/webhooks'), {
        method: 'POST',
        body: JSON.stringify({ url: `${rx.url}/gone`, events: ['lead.created'] }),
      })
    ).body.endpoint as WebhookEndpoint;
    await page.goto(`${h.collector.url}/app/automations/webhooks/${gone.id}`);
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('note').getByText('410', { exact: false }).waitFor();
    await page.getByRole('listitem', { name: 'webhook.test, Failed' }).waitFor();
    const onOff = page.getByRole('switch');
    expect(await onOff.isChecked()).toBe(false);
    await page.getByRole('link', { name: 'All endpoints' }).click();
    await page.getByText('Disabled: the receiver answered 410', { exact: false }).waitFor();
    await shootBoth(page, 'dashboard-automations-webhooks');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({
      path: screenshotPath('dashboard-automations-webhooks-dark-1280'),
      fullPage: true,
    });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('link', { name: `${rx.url}/gone` }).click();
    await page.getByRole('switch').check();
    await page.getByText('Enabled', { exact: true }).waitFor();
    expect((await h.collector.api(`/api/webhooks/${gone.id}`)).body.endpoint.enabled).toBe(true);

    // Deleting asks first, then the endpoint leaves the list.
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page
      .getByRole('dialog', { name: 'Delete endpoint' })
      .getByRole('button', { name: 'Delete endpoint' })
      .click();
    await page.waitForURL(/\/app\/automations\/webhooks$/);
    await page.getByRole('list', { name: 'Endpoints' }).getByText(`${rx.url}/crm`).waitFor();
    expect(await page.getByText(`${rx.url}/gone`).count()).toBe(0);

    expect(problems).toEqual([]);
    await page.context().close();
  });
});
