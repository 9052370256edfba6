// The profiles list in Chromium through the real API: stage, status and channel filters in the URL, sorting
// by the API (headers and the sort menu, kept in the URL), "Load more" paging in that order and a CSV export
// of what is shown.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEventInput } from '../../wire.ts';
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
});
afterAll(async () => {
  await h?.close();
});

const visit = (anonymousId: string, at: string, touch: Record<string, string | null>): WireEventInput => ({
  type: 'page',
  messageId: messageId(),
  anonymousId,
  timestamp: at,
  context: {
    page: { url: 'https://shop.example/', title: 'Home' },
    firstTouch: { at, landingUrl: 'https://shop.example/', referrer: null, ...touch },
  },
});

describe('dashboard profiles', () => {
  it('filters, sorts, pages and exports', async () => {
    const events: WireEventInput[] = [];
    // 52 anonymous direct visitors, so the list has a second page.
    for (let i = 0; i < 52; i++) events.push(visit(`anon-direct-${i}`, minutesAgo(100 + i), {}));
    // Two email leads, one with more events, and a Google visitor who has not been back for 45 days.
    for (const [id, email, extra] of [
      ['anon-lead-a', 'amy@example.com', 3],
      ['anon-lead-b', 'ben@example.com', 1],
    ] as const) {
      for (let i = 0; i < extra; i++)
        events.push(
          visit(id, minutesAgo(20 - i), { source: 'newsletter', medium: 'email', campaign: 'may' }),
        );
      events.push({
        type: 'identify',
        messageId: messageId(),
        anonymousId: id,
        timestamp: minutesAgo(10),
        traits: { email },
      });
    }
    events.push(visit('anon-search', minutesAgo(45 * 24 * 60), { referrer: 'https://www.google.com/' }));
    await send(h.collector, events);

    const { page, problems } = await openPage(h.browser);
    await signIn(page, h.collector, '/app/profiles');
    await page.getByRole('heading', { level: 1, name: 'Profiles' }).waitFor();
    const rows = page.locator('table.profiles tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.locator('.result-count').textContent()).toContain('50+ profiles');
    // The default order is the API's: last seen, newest first.
    const lastSeenHeader = page.getByRole('columnheader', { name: 'Last seen' });
    expect(await lastSeenHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await page.locator('.result-count').textContent()).not.toContain('among those loaded');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(55);
    await shootBoth(page, 'dashboard-profiles', false);

    // Who sorts by email through the API, A to Z: the two leads come first out of all 55, not only the
    // loaded rows, and the profiles without an email after them; "Load more" continues in that order.
    const whoHeader = page.getByRole('columnheader', { name: 'Who' });
    await whoHeader.getByRole('button').click();
    await page.waitForURL(/sort=email&dir=asc/);
    await expect.poll(() => whoHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await lastSeenHeader.getAttribute('aria-sort')).toBeNull();
    await expect.poll(() => rows.nth(0).textContent()).toContain('amy@example.com');
    expect(await rows.nth(1).textContent()).toContain('ben@example.com');
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(55);
    const shown = await page
      .locator('table.profiles tbody .row-link')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(new Set(shown).size).toBe(55);
    // Z to A: the profiles without an email lead, the leads come last.
    await whoHeader.getByRole('button').click();
    await page.waitForURL(/sort=email&dir=desc/);
    await expect.poll(() => whoHeader.getAttribute('aria-sort')).toBe('descending');
    await expect.poll(() => rows.nth(0).textContent()).not.toContain('@example.com');
    // The URL keeps the order: a reload reads it back.
    await page.reload();
    await expect.poll(() => whoHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await page.getByLabel('Sort by').inputValue()).toBe('email:desc');

    // Stage filter: the URL says it, the rows follow.
    await page.getByLabel('Stage').selectOption('lead');
    await page.waitForURL(/stage=lead/);
    await expect.poll(() => rows.count()).toBe(2);
    // Channel filter combines with it.
    await page.getByLabel('Channel').selectOption('Email');
    await page.waitForURL(/channel=Email/);
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('Email');

    // Sorting by events through the API, with the filters: most first on the first click, fewest on the second.
    const eventsHeader = page.getByRole('columnheader', { name: 'Events' });
    // The headers are buttons: the keyboard sorts too.
    await eventsHeader.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=eventCount&dir=desc/);
    await page.waitForURL(/stage=lead/);
    await expect.poll(() => eventsHeader.getAttribute('aria-sort')).toBe('descending');
    await expect.poll(() => rows.nth(0).textContent()).toContain('amy@example.com');
    // Focus stays on the header while the rows reload.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('Events');
    await page.keyboard.press('Enter');
    await expect.poll(() => eventsHeader.getAttribute('aria-sort')).toBe('ascending');
    await page.waitForURL(/sort=eventCount&dir=asc/);
    await expect.poll(() => rows.nth(0).textContent()).toContain('ben@example.com');
    await page.locator('table.profiles.stale').waitFor({ state: 'detached' });

    // The CSV holds what is shown, in the shown order.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^touchpoint-profiles-\d{4}-\d\d-\d\d\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe(
      'id,email,name,user_id,stage,status,channel,first_touch,score,first_seen,last_seen,events',
    );
    expect(csv).toHaveLength(3);
    expect(csv[1]).toContain('ben@example.com');
    expect(csv[1]).toContain(',lead,active,Email,newsletter / email / may,');
    expect(csv[2]).toContain('amy@example.com');

    // Status: only the visitor from 45 days ago is at risk.
    await page.goto(`${h.collector.url}/app/profiles?status=at_risk`);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.nth(0).textContent()).toContain('At risk');
    expect(await rows.nth(0).textContent()).toContain('Organic Search');

    // A filter nothing matches says so and offers the way back.
    await page.getByLabel('Stage').selectOption('loyal');
    await page.getByRole('heading', { name: 'No profile matches these filters' }).waitFor();
    await page.getByRole('button', { name: 'Clear search and filters' }).click();
    await expect.poll(() => rows.count()).toBe(50);

    // The sort menu (the phone's way to sort: the table has no header row there) offers first seen too.
    await page.getByLabel('Sort by').selectOption('firstSeen:asc');
    await page.waitForURL(/sort=firstSeen&dir=asc/);
    await expect.poll(() => rows.nth(0).textContent()).toContain('Organic Search');
    await shootBoth(page, 'dashboard-profiles-sorted', false);

    expect(problems).toEqual([]);
    await page.context().close();
  });
});
