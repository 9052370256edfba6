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

it('where the site requires consent, keeps only what a page marked consented; counts nothing when told so', async () => {
  const settings = `/api/sites/${h.site.id}/settings`;
  const put = await h.api(settings, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ consent: { required: true } }),
  });
  expect(put.status).toBe(200);
  expect(put.body.settings.consent).toMatchObject({ required: true, beforeConsent: 'cookieless' });
  // The site's snippet now carries the attribute the tag reads.
  const site = (await h.api('/api/sites')).body.sites.find((s: { id: string }) => s.id === h.site.id);
  expect(site.consent.required).toBe(true);

  const page = { url: 'https://shop.example/pricing' };
  const send = (batch: unknown[], key = h.site.siteKey) => h.post('/v1/batch', { writeKey: key, batch });
  const res = await send([
    // an old snippet without data-consent: no mark at all
    { type: 'page', messageId: 'req-1', anonymousId: 'old-tag', context: { page } },
    { type: 'identify', messageId: 'req-2', anonymousId: 'old-tag', traits: { email: 'old@tag.example' } },
    // consent given on the page
    { type: 'page', messageId: 'req-3', anonymousId: 'said-yes', context: { page, consent: true } },
  ]);
  expect(res.status).toBe(200);
  expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
    'accepted',
    'accepted',
    'accepted',
  ]);
  expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id IN ('req-1', 'req-2')")).toBe(0);
  expect(await h.count("SELECT COUNT(*) FROM identities WHERE key LIKE '%old@tag.example%'")).toBe(0);
  expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id = 'req-3'")).toBe(1);
  // The site's own server (secret key) is not a page: its events need no mark.
  const server = await send(
    [{ type: 'track', event: 'Signed up', messageId: 'req-4', userId: 'server-user' }],
    h.site.secretKey,
  );
  expect(server.body.results[0].status).toBe('accepted');
  expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id = 'req-4'")).toBe(1);
  let overview = (await h.api(`/api/overview?site=${h.site.id}`)).body;
  expect(overview.cookieless).toEqual({ views: 3 });

  // Counting nothing before consent: a page view without consent leaves no number either.
  await h.api(settings, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ consent: { beforeConsent: 'nothing' } }),
  });
  await send([{ type: 'page', messageId: 'req-5', anonymousId: 'quiet', context: { page, consent: false } }]);
  overview = (await h.api(`/api/overview?site=${h.site.id}`)).body;
  expect(overview.cookieless).toEqual({ views: 3 });
  expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id = 'req-5'")).toBe(0);
});

it('counts a page once when the visitor consents on it: the visit marked counted gives its cookieless view back', async () => {
  const views = async () => (await h.api(`/api/overview?site=${h.site.id}`)).body.cookieless.views;
  // the site counts views without consent (the test above told it to count nothing)
  const put = await h.api(`/api/sites/${h.site.id}/settings`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ consent: { required: false, beforeConsent: 'cookieless' } }),
  });
  expect(put.status).toBe(200);
  const start = await views();
  const page = { url: 'https://shop.example/offer' };
  const send = (batch: unknown[]) => h.post('/v1/batch', { writeKey: h.site.siteKey, batch });
  await send([
    { type: 'page', messageId: 'once-1', anonymousId: 'p-once', context: { page, consent: false } },
  ]);
  expect(await views()).toBe(start + 1);
  const visit = {
    type: 'page',
    messageId: 'once-2',
    anonymousId: 'p-once',
    context: { page, consent: true, counted: 1 },
  };
  expect((await send([visit])).body.results[0].status).toBe('accepted');
  expect(await views()).toBe(start);
  // a retry of the same visit gives back nothing more; neither does a page not marked consented
  expect((await send([visit])).body.results[0].status).toBe('duplicate');
  await send([{ type: 'page', messageId: 'once-3', anonymousId: 'p-once', context: { page, counted: 1 } }]);
  expect(await views()).toBe(start);
  // and a day never goes below nought
  await send([
    { ...visit, messageId: 'once-4' },
    { ...visit, messageId: 'once-5' },
  ]);
  expect(await views()).toBeGreaterThanOrEqual(0);
  expect(await h.count('SELECT MIN(views) FROM cookieless_days')).toBeGreaterThanOrEqual(0);
});
