// Events sent before the visitor consented (`context.consent: false`, what a consent-mode tag marks them with)
// through HTTP: a page view is counted apart on the overview, nothing of any of them is stored, and events
// with consent given are kept as ever.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

it('counts page views before consent and keeps nothing of them', async () => {
  const before = { consent: false, page: { url: 'https://shop.example/?utm_source=news' } };
  const res = await h.post('/v1/batch', {
    writeKey: h.site.siteKey,
    batch: [
      { type: 'page', messageId: 'pre-1', anonymousId: 'page-only-1', context: before },
      { type: 'page', messageId: 'pre-2', anonymousId: 'page-only-2', context: before },
      { type: 'track', event: 'Clicked', messageId: 'pre-3', anonymousId: 'page-only-2', context: before },
      { type: 'page', messageId: 'after-1', anonymousId: 'consented', context: { page: before.page } },
    ],
  });
  expect(res.status).toBe(200);
  expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
    'accepted',
    'accepted',
    'accepted',
    'accepted',
  ]);
  expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id LIKE 'pre-%'")).toBe(0);
  expect(await h.count("SELECT COUNT(*) FROM identities WHERE key LIKE 'a:page-only%'")).toBe(0);
  expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id = 'after-1'")).toBe(1);
  const overview = (await h.api(`/api/overview?site=${h.site.id}`)).body;
  expect(overview.cookieless).toEqual({ views: 2 });
  expect(overview.funnel[0].count).toBe(1);
});
