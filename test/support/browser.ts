// Launches Debian's Chromium through playwright-core with the flags this sandbox needs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const ARTIFACTS = join(import.meta.dirname, '../.artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Headless Chromium says so in its user agent, and the collector keeps such visits apart as bots. The tests
 * play visitors, so their browser presents the desktop Chrome user agent; bots.test.ts uses the headless one.
 */
export const VISITOR_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export function launchBrowser(options: { headlessUserAgent?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(options.headlessUserAgent ? [] : [`--user-agent=${VISITOR_UA}`]),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export function screenshotPath(name: string): string {
  return join(ARTIFACTS, `${name}.png`);
}
