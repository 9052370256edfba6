// Verified identifiers over HTTP: once the site's server (secret key) or a signed identify vouches for a user
// id or email, a browser's unproven claim of it neither merges into that customer nor writes on their profile;
// it is shown as a merge proposal instead.
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, ORIGIN } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

let n = 0;
const ts = () => new Date(Date.now() - 60_000 + n * 1000).toISOString();
const server = (event: object) =>
  h.post('/v1/batch', {
    writeKey: h.site.secretKey,
    batch: [{ messageId: `srv-${++n}`, timestamp: ts(), ...event }],
  });
const browser = (event: object) =>
  h.post(
    '/v1/batch',
    { writeKey: h.site.siteKey, batch: [{ messageId: `web-${++n}`, timestamp: ts(), ...event }] },
    { Origin: ORIGIN },
  );
const profileOf = async (q: string) => {
  const list = await h.api(`/api/profiles?q=${encodeURIComponent(q)}`);
  return list.body.profiles as { id: string; email: string | null; name: string | null }[];
};

describe('verified identifiers', () => {
  it('a browser claiming a verified customer stays its own profile, and a proposal is shown', async () => {
    await server({ type: 'identify', userId: 'cust-ada-7', traits: { name: 'Ada', email: 'ada@acme.com' } });
    await browser({ type: 'page', anonymousId: 'anon-ada', userId: 'cust-ada-7', name: 'Home' });
    await server({ type: 'identify', userId: 'cust-ada-7', anonymousId: 'anon-ada' }); // her own browser
    // Mallory, from a fresh browser, with the public key and no proof
    const forged = await browser({
      type: 'identify',
      anonymousId: 'anon-mallory',
      userId: 'cust-ada-7',
      traits: { name: 'Mallory', email: 'mallory@evil.test' },
    });
    expect(forged.status).toBe(200);
    await browser({
      type: 'track',
      event: 'Forged Event',
      anonymousId: 'anon-mallory',
      userId: 'cust-ada-7',
    });

    const [ada] = await profileOf('ada@acme.com');
    const detail = await h.api(`/api/profiles/${ada.id}`);
    expect(detail.body.profile).toMatchObject({ email: 'ada@acme.com', name: 'Ada' });
    const events = detail.body.timeline.map((t: { event: string | null; anonymousId: string | null }) => t);
    expect(events.some((t: { anonymousId: string | null }) => t.anonymousId === 'anon-mallory')).toBe(false);

    const [mallory] = await profileOf('mallory@evil.test');
    expect(mallory.id).not.toBe(ada.id);
    expect(mallory.name).toBe('Mallory');
    const proposals = await h.api('/api/merge-proposals');
    expect(proposals.body.proposals).toHaveLength(1);
    expect([...proposals.body.proposals[0].profileIds].sort()).toEqual([ada.id, mallory.id].sort());
    expect(proposals.body.proposals[0].link.reason).toMatch(/cust-ada-7 is verified/);
  });

  it('a signed identify (userHash) from the page is proof: the browser joins the customer', async () => {
    // the site's identity secret, as `site add` prints it for the site's server
    const identitySecret = (await h.store.sites.byId(h.site.id))!.identitySecret;
    await server({ type: 'identify', userId: 'cust-bo-1', traits: { name: 'Bo', email: 'bo@acme.com' } });
    const userHash = createHmac('sha256', identitySecret).update('cust-bo-1').digest('hex');
    await browser({
      type: 'identify',
      anonymousId: 'anon-bo-laptop',
      userId: 'cust-bo-1',
      context: { userHash },
    });
    const profiles = await profileOf('bo@acme.com');
    expect(profiles).toHaveLength(1);
    const detail = await h.api(`/api/profiles/${profiles[0].id}`);
    expect(
      detail.body.timeline.some((t: { anonymousId: string | null }) => t.anonymousId === 'anon-bo-laptop'),
    ).toBe(true);
    expect((await h.api('/api/merge-proposals')).body.proposals).toHaveLength(0);
  });

  it('claimed traits never overwrite verified ones, even once a marketer accepts the merge', async () => {
    await server({
      type: 'identify',
      userId: 'cust-cy',
      traits: { name: 'Cy Verified', email: 'cy@acme.com' },
    });
    await browser({
      type: 'identify',
      anonymousId: 'anon-cy',
      userId: 'cust-cy',
      traits: { name: 'Claimed Cy' },
    });
    const proposal = (await h.api('/api/merge-proposals')).body.proposals[0];
    const answered = await h.api(`/api/merge-proposals/${proposal.id}`, {
      method: 'POST',
      body: JSON.stringify({ accept: true }),
    });
    expect(answered.status).toBe(200);
    const profiles = await profileOf('cy@acme.com');
    expect(profiles).toHaveLength(1);
    expect(profiles[0].name).toBe('Cy Verified');
    const detail = await h.api(`/api/profiles/${profiles[0].id}`);
    expect(
      detail.body.timeline.some((t: { anonymousId: string | null }) => t.anonymousId === 'anon-cy'),
    ).toBe(true);
  });
});

describe('the site setting "require verified identify"', () => {
  it('refuses, per event, an identify with a user id that comes without proof, and keeps the rest', async () => {
    const saved = await h.api(`/api/sites/${h.site.id}/settings`, {
      method: 'PUT',
      body: JSON.stringify({ identity: { requireVerifiedIdentify: true } }),
    });
    expect(saved.status).toBe(200);
    expect(saved.body.settings.identity.requireVerifiedIdentify).toBe(true);
    expect(saved.body.defaults.identity.requireVerifiedIdentify).toBe(false);
    const identitySecret = (await h.store.sites.byId(h.site.id))!.identitySecret;
    const userHash = createHmac('sha256', identitySecret).update('cust-di').digest('hex');
    const reply = await h.post(
      '/v1/batch',
      {
        writeKey: h.site.siteKey,
        batch: [
          { type: 'page', messageId: 'rv-1', anonymousId: 'anon-rv', name: 'Home' },
          { type: 'identify', messageId: 'rv-2', anonymousId: 'anon-rv', userId: 'cust-di' },
          {
            type: 'identify',
            messageId: 'rv-3',
            anonymousId: 'anon-rv',
            userId: 'cust-di',
            context: { userHash },
          },
          { type: 'identify', messageId: 'rv-4', anonymousId: 'anon-rv', traits: { email: 'di@acme.com' } },
        ],
      },
      { Origin: ORIGIN },
    );
    expect(reply.status).toBe(200);
    expect(reply.body.results.map((r: { status: string }) => r.status)).toEqual([
      'accepted',
      'rejected',
      'accepted',
      'accepted',
    ]);
    expect(reply.body.results[1]).toMatchObject({ field: 'context.userHash' });
    expect(reply.body.results[1].error).toMatch(/userHash/);
    // the single-event verb refuses the request as a whole, naming the field
    const single = await h.post(
      '/v1/identify',
      { writeKey: h.site.siteKey, messageId: 'rv-5', anonymousId: 'anon-x', userId: 'cust-x' },
      { Origin: ORIGIN },
    );
    expect(single.status).toBe(400);
    expect(single.body.error).toMatchObject({ field: 'context.userHash' });
    // the site's server, with the secret key, needs no hash
    expect((await server({ type: 'identify', userId: 'cust-srv' })).body.results[0].status).toBe('accepted');
    expect(await h.count("SELECT COUNT(*) FROM events WHERE message_id IN ('rv-2', 'rv-5')")).toBe(0);
  });
});

describe('role mailboxes', () => {
  it('a lead known only by info@ keeps it as the contact email, searchable, and it links nobody', async () => {
    for (const anon of ['anon-role-1', 'anon-role-2'])
      await browser({
        type: 'track',
        event: 'Form Submitted',
        anonymousId: anon,
        properties: { fields: { email: 'Info@Bakery.example', name: 'The Bakery' } },
      });
    const found = await profileOf('info@bakery.example');
    expect(found).toHaveLength(2); // two browsers, not merged through the shared mailbox
    for (const p of found) expect(p.email).toBe('info@bakery.example');
    // a personal address, when it comes, takes its place
    await browser({
      type: 'identify',
      anonymousId: 'anon-role-1',
      traits: { email: 'baker@bakery.example' },
    });
    expect((await profileOf('baker@bakery.example'))[0].email).toBe('baker@bakery.example');
    expect(await profileOf('info@bakery.example')).toHaveLength(1);
  });
});

describe('touches', () => {
  const visit = (anonymousId: string, minutes: number, url: string, referrer = '') =>
    h.post(
      '/v1/batch',
      {
        writeKey: h.site.siteKey,
        batch: [
          {
            type: 'page',
            messageId: `t-${anonymousId}-${minutes}`,
            anonymousId,
            timestamp: new Date(Date.parse('2026-06-01T10:00:00Z') + minutes * 60_000).toISOString(),
            context: { page: { url, referrer } },
          },
        ],
      },
      { Origin: ORIGIN },
    );
  const lastChannel = async (anonymousId: string) => {
    // an identify makes the visitor findable; it is no touch
    await browser({ type: 'identify', anonymousId, traits: { email: `${anonymousId}@people.example` } });
    const list = await h.api(`/api/profiles?q=${anonymousId}%40people.example`);
    const detail = await h.api(`/api/profiles/${list.body.profiles[0].id}`);
    return detail.body.profile.lastTouch?.channel;
  };

  it('a direct visit soon after an ad click leaves the ad as the last touch (last non-direct click)', async () => {
    await visit('anon-ad', 0, 'https://shop.example/?gclid=abc&utm_source=google&utm_medium=cpc');
    await visit('anon-ad', 2, 'https://shop.example/pricing');
    expect(await lastChannel('anon-ad')).toBe('Paid Search');
  });

  it('past the attribution window, a direct visit is the last touch', async () => {
    await visit('anon-old', 0, 'https://shop.example/?gclid=abc&utm_source=google&utm_medium=cpc');
    await visit('anon-old', 91 * 24 * 60, 'https://shop.example/pricing');
    expect(await lastChannel('anon-old')).toBe('Direct');
  });
});

describe('sessions', () => {
  it('direct page views within 30 minutes are one touch; after 30 minutes idle, a new one', async () => {
    const view = (minutes: number) =>
      h.post(
        '/v1/batch',
        {
          writeKey: h.site.siteKey,
          batch: [
            {
              type: 'page',
              messageId: `s-${minutes}`,
              anonymousId: 'anon-sessions',
              timestamp: new Date(Date.parse('2026-06-01T10:00:00Z') + minutes * 60_000).toISOString(),
              context: { page: { url: `https://shop.example/page-${minutes}`, referrer: '' } },
            },
          ],
        },
        { Origin: ORIGIN },
      );
    const sessionScore = async () => {
      const list = await h.api('/api/profiles?q=anon-sessions%40people.example');
      return (await h.api(`/api/profiles/${list.body.profiles[0].id}`)).body.profile.scoreParts.sessions;
    };
    await browser({
      type: 'identify',
      anonymousId: 'anon-sessions',
      traits: { email: 'anon-sessions@people.example' },
    });
    for (const m of [0, 5, 12, 20]) await view(m);
    const one = await sessionScore();
    expect(one).toBeGreaterThan(0);
    await view(20 + 31); // idle for 31 minutes
    expect(await sessionScore()).toBe(one * 2);
  });
});
