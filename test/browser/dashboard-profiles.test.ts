// The profiles list in Chromium through the real API: stage, status and channel filters in the URL, sorting
// of the loaded rows, "Load more" paging and a CSV export of what is shown.
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
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(55);
    await shootBoth(page, 'dashboard-profiles', false);

    // Stage filter: the URL says it, the rows follow.
    await page.getByLabel('Stage').selectOption('lead');
    await page.waitForURL(/stage=lead/);
    await expect.poll(() => rows.count()).toBe(2);
    // Channel filter combines with it.
    await page.getByLabel('Channel').selectOption('Email');
    await page.waitForURL(/channel=Email/);
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('Email');

    // Sorting the loaded rows by events: ascending on the first click, descending on the second.
    const eventsHeader = page.getByRole('columnheader', { name: 'Events' });
    // The headers are buttons: the keyboard sorts too.
    await eventsHeader.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=events/);
    await expect.poll(() => eventsHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await rows.nth(0).textContent()).toContain('amy@example.com');
    await eventsHeader.getByRole('button').click();
    await expect.poll(() => eventsHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await rows.nth(0).textContent()).toContain('ben@example.com');

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

    expect(problems).toEqual([]);
    await page.context().close();
  });
});
