// A hijack attempt in real Chromium: the site's server has identified its customer cust-ada-7 with the secret
// key; a stranger's fresh browser calls touchpoint('identify', 'cust-ada-7', …) on the site's page. Ada's profile
// is untouched, the stranger keeps a profile of their own, and the dashboard shows a merge proposal.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, screenshotPath } from '../support/browser.ts';
import { startCollector, type TestCollector } from '../support/collector.ts';
import { type HostSite, serveHostPages } from '../support/pages.ts';

let browser: Browser;
let collector: TestCollector;
let host: HostSite;

beforeAll(async () => {
  host = await serveHostPages({ '/': 'placeholder' });
  await host.close();
  const port = Number(new URL(host.url).port);
  collector = await startCollector({ origins: [host.url] });
  const tag = `<script async src="${collector.url}/tp.js" data-site="${collector.site.siteKey}"></script>`;
  host = await serveHostPages(
    {
      '/': `<!doctype html><html><head><meta charset="utf-8"><title>Acme</title>
        <script>window.touchpoint=window.touchpoint||function(){(touchpoint.q=touchpoint.q||[]).push(arguments)};</script>
        ${tag}</head><body><h1>Acme</h1>
        <button id="claim" type="button"
          onclick="touchpoint('identify', 'cust-ada-7', { name: 'Mallory', email: 'mallory@evil.test' }); touchpoint('track', 'Forged Event'); touchpoint('flush')">
          Claim</button></body></html>`,
      // A family computer: Erin signs up with the form, later Frank says who he is on the same browser.
      '/family': `<!doctype html><html><head><meta charset="utf-8"><title>Family</title>
        <script>window.touchpoint=window.touchpoint||function(){(touchpoint.q=touchpoint.q||[]).push(arguments)};</script>
        ${tag}</head><body><h1>Newsletter</h1>
        <form id="signup" action="/family-thanks" method="get">
          <label>Email <input type="email" name="email"></label>
          <label>Name <input name="name"></label>
          <button type="submit">Sign up</button>
        </form>
        <button id="frank" type="button"
          onclick="touchpoint('identify', { email: 'frank@family.test', name: 'Frank' }); touchpoint('flush')">
          I am Frank</button></body></html>`,
      '/family-thanks': `<!doctype html><html><head><meta charset="utf-8"><title>Thanks</title>${tag}</head>
        <body><h1>Thanks</h1></body></html>`,
      '/frank-reads': `<!doctype html><html><head><meta charset="utf-8"><title>Frank reads</title>${tag}</head>
        <body><h1>Frank's article</h1></body></html>`,
    },
    port,
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await collector?.close();
});

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it(
  'a stranger claiming a verified customer in the page leaves the customer untouched',
  { timeout: 60_000 },
  async () => {
    // The site's server knows Ada.
    const res = await fetch(`${collector.url}/v1/identify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        writeKey: collector.site.secretKey,
        messageId: 'srv-ada',
        userId: 'cust-ada-7',
        traits: { name: 'Ada Lovelace', email: 'ada@acme.example' },
      }),
    });
    expect(res.status).toBe(200);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(host.url);
    await page.click('#claim');
    const mallory = await until(async () => {
      const list = await collector.api(`/api/profiles?q=mallory%40evil.test`);
      return list.body.profiles[0] as { id: string; name: string } | undefined;
    }, "the stranger's profile");
    await until(async () => {
      const detail = await collector.api(`/api/profiles/${mallory.id}`);
      return detail.body.timeline.some((t: { event: string | null }) => t.event === 'Forged Event');
    }, 'the forged event');
    await context.close();

    const ada = (await collector.api(`/api/profiles?q=ada%40acme.example`)).body.profiles[0];
    expect(ada.id).not.toBe(mallory.id);
    const detail = await collector.api(`/api/profiles/${ada.id}`);
    expect(detail.body.profile).toMatchObject({ name: 'Ada Lovelace', email: 'ada@acme.example' });
    expect(detail.body.timeline.map((t: { id: string }) => t.id)).toEqual(['srv-ada']);
    expect(mallory.name).toBe('Mallory');

    // The marketer sees the claim as a proposal on Ada's page in the dashboard.
    const proposals = (await collector.api('/api/merge-proposals')).body.proposals;
    expect(proposals).toHaveLength(1);
    expect([...proposals[0].profileIds].sort()).toEqual([ada.id, mallory.id].sort());
    const admin = await browser.newContext();
    const dash = await admin.newPage();
    await dash.goto(`${collector.url}/app/login`);
    await dash.getByLabel('Email').fill(collector.admin.email);
    await dash.getByLabel('Password').fill(collector.admin.password);
    await dash.getByRole('button', { name: /sign in|log in/i }).click();
    await dash.waitForURL(/\/app\/?$/);
    await dash.goto(`${collector.url}/app/profiles/${ada.id}`);
    await dash.getByText('Ada Lovelace').first().waitFor();
    await dash
      .getByText(/cust-ada-7 is verified/)
      .first()
      .waitFor();
    await dash.screenshot({ path: screenshotPath('identity-hijack-proposal'), fullPage: true });
    await admin.close();
  },
);

it(
  'two people on one browser stay two profiles, and its later visits go to whoever identified last',
  { timeout: 60_000 },
  async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${host.url}/family`);
    await page.fill('input[name=email]', 'erin@family.test');
    await page.fill('input[name=name]', 'Erin');
    await Promise.all([page.waitForURL(/family-thanks/), page.click('button[type=submit]')]);
    const erin = await until(async () => {
      const list = await collector.api(`/api/profiles?q=erin%40family.test`);
      return list.body.profiles[0] as { id: string } | undefined;
    }, "Erin's profile");
    await page.goto(`${host.url}/family`);
    await page.click('#frank');
    const frank = await until(async () => {
      const list = await collector.api(`/api/profiles?q=frank%40family.test`);
      return list.body.profiles[0] as { id: string } | undefined;
    }, "Frank's profile");
    await page.goto(`${host.url}/frank-reads`);
    const titles = async (id: string) =>
      ((await collector.api(`/api/profiles/${id}`)).body.timeline as { title: string | null; type: string }[])
        .filter((t) => t.type === 'page')
        .map((t) => t.title);
    await until(async () => (await titles(frank.id)).includes('Frank reads'), "Frank's page view");
    await context.close();

    expect(frank.id).not.toBe(erin.id);
    const erinDetail = (await collector.api(`/api/profiles/${erin.id}`)).body.profile;
    const frankDetail = (await collector.api(`/api/profiles/${frank.id}`)).body.profile;
    expect(erinDetail).toMatchObject({ email: 'erin@family.test', name: 'Erin' });
    expect(frankDetail).toMatchObject({ email: 'frank@family.test', name: 'Frank' });
    const emails = (d: { identifiers: { kind: string; value: string }[] }) =>
      d.identifiers.filter((i) => i.kind === 'email').map((i) => i.value);
    expect(emails(erinDetail)).toEqual(['erin@family.test']);
    expect(emails(frankDetail)).toEqual(['frank@family.test']);
    expect(await titles(erin.id)).not.toContain('Frank reads');

    // The marketer sees two people in the dashboard, each on their own page.
    const admin = await browser.newContext();
    const dash = await admin.newPage();
    await dash.goto(`${collector.url}/app/login`);
    await dash.getByLabel('Email').fill(collector.admin.email);
    await dash.getByLabel('Password').fill(collector.admin.password);
    await dash.getByRole('button', { name: /sign in|log in/i }).click();
    await dash.waitForURL(/\/app\/?$/);
    await dash.goto(`${collector.url}/app/profiles/${frank.id}`);
    await dash.getByText('frank@family.test').first().waitFor();
    expect(await dash.getByText('erin@family.test').count()).toBe(0);
    await dash.screenshot({ path: screenshotPath('shared-device-frank'), fullPage: true });
    await dash.goto(`${collector.url}/app/profiles/${erin.id}`);
    await dash.getByText('erin@family.test').first().waitFor();
    await dash.screenshot({ path: screenshotPath('shared-device-erin'), fullPage: true });
    expect(await dash.getByText('frank@family.test').count()).toBe(0);
    await admin.close();
  },
);
