// A long-lived customer's journey in Chromium: the profile page shows the newest events, says so, and loads
// older ones on demand until the first.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TIMELINE_PAGE, type WireEventInput } from '../../wire.ts';
import { type Harness, openPage, send, shootBoth, signIn, startHarness } from './dashboard-support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it('shows the latest events of a long history and loads the older ones', { timeout: 90_000 }, async () => {
  const total = TIMELINE_PAGE + 40;
  const t0 = Date.now() - total * 3_600_000;
  for (let from = 0; from < total; from += 100) {
    const batch: WireEventInput[] = Array.from({ length: Math.min(100, total - from) }, (_, i) => ({
      type: 'track',
      event: `Step ${from + i}`,
      messageId: `long-${from + i}`,
      anonymousId: 'anon-long',
      timestamp: new Date(t0 + (from + i) * 3_600_000).toISOString(),
      ...(from + i === 0 ? { traits: { email: 'long@customer.example' } } : {}),
    }));
    await send(h.collector, batch, true);
  }
  await send(
    h.collector,
    [
      {
        type: 'identify',
        messageId: 'long-id',
        anonymousId: 'anon-long',
        traits: { email: 'long@customer.example' },
      },
    ],
    true,
  );
  const id = (await h.collector.api('/api/profiles?q=long%40customer.example')).body.profiles[0].id;
  const { page, problems } = await openPage(h.browser);
  await signIn(page, h.collector, `/app/profiles/${id}`);
  const journey = page.getByRole('region', { name: /Journey/ });
  await journey.getByText(`Step ${total - 1}`, { exact: true }).waitFor();
  expect(await journey.getByText('Step 0', { exact: true }).count()).toBe(0);
  await page.getByText(`latest ${TIMELINE_PAGE.toLocaleString('en-US')} events, oldest first`).waitFor();
  await shootBoth(page, 'dashboard-timeline-latest', false);
  await page.getByRole('button', { name: 'Show older events' }).click();
  await journey.getByText('Step 0', { exact: true }).waitFor();
  expect(await page.getByRole('button', { name: 'Show older events' }).count()).toBe(0);
  await page.getByText(`${(total + 1).toLocaleString('en-US')} events, oldest first`).waitFor();
  await shootBoth(page, 'dashboard-timeline-older', false);
  expect(problems).toEqual([]);
});
