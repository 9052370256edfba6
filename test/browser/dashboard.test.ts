// The dashboard in real Chromium against a real collector: sign in, the empty state, a profile row, its timeline.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEventInput } from '../../wire.ts';
import { launchBrowser, screenshotPath } from '../support/browser.ts';
import { startCollector, type TestCollector } from '../support/collector.ts';

const root = join(import.meta.dirname, '../..');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let collector: TestCollector;
let browser: Browser;

beforeAll(async () => {
  // `npm test` builds first; a lone run of this file builds the dashboard itself.
  if (!existsSync(join(root, 'dist/dashboard/index.html'))) {
    await build({ configFile: join(root, 'vite.config.ts'), mode: 'dashboard', logLevel: 'warn' });
  }
  collector = await startCollector({ origins: ['https://shop.example'] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await collector?.close();
});

/** A page that fails the test on any console error or uncaught exception (CSP violations included). */
async function openPage(viewport = LAPTOP): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The boot-time /api/me check answers 401 when signed out; Chromium logs every failed fetch.
    if (msg.type() === 'error' && !msg.text().includes('401')) problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}

async function signIn(page: Page) {
  await page.goto(`${collector.url}/app/profiles`);
  await page.waitForURL(/\/app\/login/);
  await page.getByLabel('Email').fill(collector.admin.email);
  await page.getByLabel('Password').fill(collector.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Profiles' }).waitFor();
}

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
let seq = 0;
const messageId = () => `msg-${Date.now()}-${seq++}`;

function journey(anonymousId: string): WireEventInput[] {
  const firstTouch = {
    at: minutesAgo(90),
    landingUrl: 'https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring',
    referrer: null,
    source: 'newsletter',
    medium: 'email',
    campaign: 'spring',
  };
  const page = (path: string, title: string, at: string): WireEventInput => ({
    type: 'page',
    messageId: messageId(),
    anonymousId,
    timestamp: at,
    properties: { url: `https://shop.example${path}`, path, title },
    context: { page: { url: `https://shop.example${path}`, path, title }, firstTouch },
  });
  return [
    page('/?utm_source=newsletter&utm_medium=email&utm_campaign=spring', 'Shop — Home', minutesAgo(90)),
    {
      type: 'track',
      messageId: messageId(),
      anonymousId,
      event: 'Element Clicked',
      timestamp: minutesAgo(89),
      properties: { text: 'See pricing', href: 'https://shop.example/pricing', tag: 'a' },
    },
    page('/pricing', 'Pricing', minutesAgo(88)),
    {
      type: 'track',
      messageId: messageId(),
      anonymousId,
      event: 'Form Submitted',
      timestamp: minutesAgo(80),
      properties: {
        formName: 'Contact sales',
        fields: { email: 'ada@example.com', company: 'Analytical Engines', message: '<b>not bold</b>' },
      },
    },
    {
      type: 'identify',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(80),
      traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' },
      context: { firstTouch },
    },
    {
      type: 'track',
      messageId: messageId(),
      anonymousId,
      event: 'Trial Started',
      timestamp: minutesAgo(5),
      properties: { plan: 'pro', seats: 3 },
    },
  ];
}

function referredVisit(anonymousId: string): WireEventInput[] {
  return [
    {
      type: 'page',
      messageId: messageId(),
      anonymousId,
      timestamp: minutesAgo(30),
      context: {
        page: {
          url: 'https://shop.example/blog/launch',
          title: 'We launched',
          referrer: 'https://news.ycombinator.com/',
        },
        firstTouch: {
          at: minutesAgo(30),
          landingUrl: 'https://shop.example/blog/launch',
          referrer: 'https://news.ycombinator.com/',
        },
      },
    },
  ];
}

async function send(events: WireEventInput[]) {
  const res = await fetch(`${collector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ writeKey: collector.site.siteKey, batch: events }),
  });
  const body = (await res.json()) as { results: { status: string; error?: string }[] };
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  expect(body.results.filter((r) => r.status !== 'accepted')).toEqual([]);
}

describe('dashboard', () => {
  it('refuses a wrong password with the server message, then signs in to the empty state', async () => {
    const { page, problems } = await openPage(PHONE);
    await page.goto(`${collector.url}/app/`);
    await page.waitForURL(/\/app\/login$/);
    await page.getByLabel('Email').fill(collector.admin.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('email or password is wrong');
    await page.screenshot({ path: screenshotPath('dashboard-login-error-390') });

    await page.getByLabel('Password').fill(collector.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'No visitors yet' }).waitFor();
    const snippet = await page.locator('.snippet code').textContent();
    expect(snippet).toBe(
      `<script async src="${new URL(collector.url).origin}/tp.js" data-site="${collector.site.siteKey}"></script>`,
    );
    await page.screenshot({ path: screenshotPath('dashboard-empty-390'), fullPage: true });
    await page.setViewportSize(LAPTOP);
    await page.screenshot({ path: screenshotPath('dashboard-empty-1280'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('lists profiles, searches them and opens a timeline', async () => {
    await send([...journey('anon-ada-0001'), ...referredVisit('anon-hn-0002')]);
    const { page, problems } = await openPage(LAPTOP);
    await signIn(page);

    const rows = page.locator('table.profiles tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    // Most recently seen first: Ada (5 minutes ago), then the anonymous Hacker News reader.
    await expect.poll(() => rows.nth(0).textContent()).toContain('ada@example.com');
    expect(await rows.nth(0).textContent()).toContain('newsletter / email / spring');
    expect(await rows.nth(1).textContent()).toContain('Anonymous');
    expect(await rows.nth(1).textContent()).toContain('news.ycombinator.com');
    await page.screenshot({ path: screenshotPath('dashboard-first-list-1280'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('dashboard-first-list-390'), fullPage: true });
    await page.setViewportSize(LAPTOP);

    // Search is debounced into ?q= and filters the rows.
    const search = page.getByRole('searchbox', { name: 'Search profiles' });
    await search.fill('ada@');
    await page.waitForURL(/\?q=ada%40/);
    await expect.poll(() => rows.count()).toBe(1);
    await search.fill('nobody-like-this');
    await page.getByRole('heading', { name: /Nothing matched/ }).waitFor();
    await page.getByRole('button', { name: 'Clear search' }).click();
    await expect.poll(() => rows.count()).toBe(2);

    await page.getByRole('link', { name: 'ada@example.com' }).click();
    await page.waitForURL(/\/app\/profiles\/[^/?]+$/);
    await page.getByRole('heading', { level: 1, name: 'ada@example.com' }).waitFor();
    const timeline = page.locator('.timeline li:not(.event-stage):not(.event-merge)');
    await expect.poll(() => timeline.count()).toBe(6);
    const texts = await timeline.allTextContents();
    expect(texts[0]).toContain('Viewed “Shop — Home”');
    expect(texts[1]).toContain('Clicked “See pricing”');
    expect(texts[3]).toContain('Submitted form “Contact sales”');
    // Visitor text stays text: no <b> element is made from a form value.
    expect(texts[3]).toContain('<b>not bold</b>');
    expect(await page.locator('.timeline b').count()).toBe(0);
    expect(texts[4]).toContain('Identified as ada@example.com');
    expect(texts[5]).toContain('Trial Started');
    const facts = await page.locator('.profile-facts').textContent();
    expect(facts).toContain('anon-ada-0001');
    expect(facts).toContain('newsletter');
    await page.screenshot({ path: screenshotPath('dashboard-first-profile-1280'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('dashboard-first-profile-390'), fullPage: true });

    await page.getByRole('link', { name: 'All profiles' }).click();
    await expect.poll(() => rows.count()).toBe(2);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/app\/login$/);
    const me = await page.evaluate(() => fetch('/api/me').then((r) => r.status));
    expect(me).toBe(401);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows not found for an unknown profile and returns to it after signing in', async () => {
    const { page, problems } = await openPage(LAPTOP);
    await page.goto(`${collector.url}/app/profiles/no-such-profile`);
    await page.waitForURL(/\/app\/login\?next=/);
    await page.getByLabel('Email').fill(collector.admin.email);
    await page.getByLabel('Password').fill(collector.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Profile not found' }).waitFor();
    expect(page.url()).toBe(`${collector.url}/app/profiles/no-such-profile`);
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.context().close();
  });
});
