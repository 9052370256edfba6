// Shared by the dashboard browser tests: build once, a real collector, Chromium pages that collect console
// errors, sign-in, and sending events through the public ingest API.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import type { WireEventInput } from '../../wire.ts';
import { launchBrowser, screenshotPath } from '../support/browser.ts';
import { startCollector, type TestCollector } from '../support/collector.ts';

const root = join(import.meta.dirname, '../..');
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Harness {
  collector: TestCollector;
  browser: Browser;
  close(): Promise<void>;
}

/** `env` adds collector settings (e.g. TOUCHPOINT_WEBHOOK_ALLOW_PRIVATE=1 for a receiver on loopback). */
export async function startHarness(options: { env?: Record<string, string> } = {}): Promise<Harness> {
  // `npm test` builds first; a lone run of a dashboard test builds the dashboard itself.
  if (!existsSync(join(root, 'dist/dashboard/index.html'))) {
    await build({ configFile: join(root, 'vite.config.ts'), mode: 'dashboard', logLevel: 'warn' });
  }
  const collector = await startCollector({ origins: ['https://shop.example'], env: options.env });
  const browser = await launchBrowser();
  return {
    collector,
    browser,
    async close() {
      await browser.close();
      await collector.close();
    },
  };
}

/** A page that records console errors and uncaught exceptions; tests assert the list stays empty. */
export async function openPage(
  browser: Browser,
  viewport = LAPTOP,
): Promise<{ page: Page; problems: string[] }> {
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

/** Signs in from the login page and lands on `path` (default: the app's home). */
export async function signIn(page: Page, collector: TestCollector, path = '/app/') {
  await page.goto(`${collector.url}${path}`);
  await page.waitForURL(/\/app\/login/);
  await page.getByLabel('Email').fill(collector.admin.email);
  await page.getByLabel('Password').fill(collector.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.endsWith('/login'));
}

/** Sends a batch with the public site key, or with the secret key as a server does (billing events). */
export async function send(collector: TestCollector, events: WireEventInput[], asServer = false) {
  const res = await fetch(`${collector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      writeKey: asServer ? collector.site.secretKey : collector.site.siteKey,
      batch: events,
    }),
  });
  const body = (await res.json()) as { results: { status: string; error?: string }[] };
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  expect(body.results.filter((r) => r.status !== 'accepted')).toEqual([]);
}

/** Screenshots the page at the laptop and the phone width, full length, leaving it at the laptop width. */
export async function shootBoth(page: Page, name: string, fullPage = true) {
  if (!fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize(LAPTOP);
  await page.screenshot({ path: screenshotPath(`${name}-1280`), fullPage });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: screenshotPath(`${name}-390`), fullPage });
  // No sideways scrolling at the phone width.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
  await page.setViewportSize(LAPTOP);
}

export const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
let seq = 0;
export const messageId = () => `msg-${Date.now()}-${seq++}`;
